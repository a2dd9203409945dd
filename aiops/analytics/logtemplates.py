"""Raw log lines -> header fields + message template: the one path every log input takes.

`LogTemplater` learns the header layout from a sample of the lines
(`aiops.logheader`), splits each line into header and message, and mines the
message (`aiops.analytics.logminer`) under the statement's level: a level belongs to the
logging statement, so `ERROR payment failed` and `INFO payment failed` are two templates,
and templates read `<LEVEL> <message template>`. Time, host, pid, thread and component are
kept as fields and do not take part in mining.
"""

from __future__ import annotations

from itertools import islice
from typing import Iterable, Sequence

from aiops.logheader import Header, HeaderParser
from aiops.analytics.logminer import DEFAULT_SIM_THRESHOLD, TemplateMiner

SAMPLE_LINES = 400


class LogTemplater:
    """Header recognition and template mining over one stream of raw lines."""

    def __init__(self, sample: Iterable[str] = (), sim_threshold: float = DEFAULT_SIM_THRESHOLD) -> None:
        self.parser = HeaderParser.learn(islice(sample, SAMPLE_LINES))
        self.miner = TemplateMiner(sim_threshold)

    def add(self, line: str) -> int:
        """Count one raw line (without its newline); returns its shape number."""
        level, message = self.parser.level_and_message(line)
        return self.miner.add(message, level.upper())

    def add_with_header(self, line: str) -> tuple[int, Header]:
        header, message = self.parser.split(line)
        return self.miner.add(message, header.level.upper()), header


def spread_sample(lines: Sequence[str], size: int = SAMPLE_LINES) -> list[str]:
    """Up to `size` lines spread evenly over `lines` (for learning a header layout)."""
    if len(lines) <= size:
        return list(lines)
    step = len(lines) / size
    return [lines[int(i * step)] for i in range(size)]


def mine_templates(lines: Sequence[str], sim_threshold: float = DEFAULT_SIM_THRESHOLD) -> tuple[list[str], list[str]]:
    """Convenience for small inputs: (template id per line, template text per line)."""
    lines = list(lines)
    templater = LogTemplater(spread_sample(lines), sim_threshold)
    shapes = [templater.add(line) for line in lines]
    miner = templater.miner
    ids = miner.template_ids()
    return [ids[s] for s in shapes], [miner.template_of(s) for s in shapes]
