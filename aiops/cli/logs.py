"""`aiops logs templates`: mine log templates from one plain log file of raw lines.

The header of each line (time, level, host, pid, thread, component; JSON and logfmt
keys) is recognised without configuration (`aiops.logheader`, its layout
learned from the first lines) and only the message is mined; a template reads
`<LEVEL> <message template>`. The file is streamed once (split on `\\n` only, decoded
as UTF-8 with undecodable bytes replaced by U+FFFD, a trailing `\\r` dropped) and only
the shape number of each line is kept, so memory is 4 bytes a line plus the distinct
shapes. Output formats:

- `csv` (default, the fixed contract): header `line,template_id,template`, one row per
  input line, line numbers from 1, the *final* template of each line;
- `json`: one document: the templates (id, template, count, first line), most frequent
  first, and `records`, one per line with its template id and header fields;
- `text`: a table of the `--top` most frequent templates with counts.
"""

from __future__ import annotations

import io
import sys
from itertools import chain, islice
from pathlib import Path
from typing import IO, Iterable, Iterator, Optional

import typer

from aiops.errors import BadInputError
from aiops.safe_text import printable
from aiops.writing import OutputFile

app = typer.Typer(no_args_is_help=True)

_FORMATS = ("csv", "json", "text")


@app.command("templates")
def templates_command(
    input_path: str = typer.Option(..., "--input", "-i", help="Plain log file, one record a line ('-' for standard input)."),
    fmt: str = typer.Option("csv", "--format", "-f", help="csv (one row per line), json (template summary) or text (table)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to this file instead of standard output."),
    sim_threshold: float = typer.Option(0.5, "--sim-threshold", help="Token similarity (0-1] for a line to join a template."),
    top: int = typer.Option(20, "--top", help="Templates shown by --format text."),
) -> None:
    """Group the lines of a log file by logging statement (headers recognised, variable parts as <*>)."""
    if fmt not in _FORMATS:
        raise BadInputError(f"--format {fmt!r}: use one of {', '.join(_FORMATS)}")
    if not 0.0 < sim_threshold <= 1.0:
        raise BadInputError(f"--sim-threshold {sim_threshold!r}: must be greater than 0 and at most 1")
    if top < 1:
        raise BadInputError(f"--top {top!r}: must be at least 1")

    from array import array

    from aiops.analytics.logtemplates import SAMPLE_LINES, LogTemplater
    from aiops.cli.global_options import load_cli_settings
    from aiops.telemetry.lines import BoundedLines

    max_kb = load_cli_settings().limits.max_line_kb
    headers: list[dict[str, str]] = []
    with _Input(input_path) as stream:
        bounded = BoundedLines(stream, max_kb * 1024)        # a 200 MB line is cut, not held
        try:
            lines = _lines(bounded)
            head = list(islice(lines, SAMPLE_LINES))
            templater = LogTemplater(head, sim_threshold)
            if fmt == "json":
                clusters = array("i")
                for line in chain(head, lines):
                    shape, header = templater.add_with_header(line)
                    clusters.append(shape)
                    headers.append(header.as_dict())
            else:
                add = templater.add
                clusters = array("i", (add(line) for line in chain(head, lines)))
        except OSError as exc:
            raise BadInputError(f"{input_path}: cannot read: {exc.strerror or exc}") from None
    miner = templater.miner
    if bounded.cut:
        typer.echo(f"warning: {input_path}: {bounded.cut:,} line(s) longer than limits.max_line_kb = {max_kb:,} KiB "
                   f"were cut to their first {max_kb:,} KiB", err=True)
    with _Output(output) as out:
        if fmt == "csv":
            _write_csv(out, miner, clusters)
        elif fmt == "json":
            _write_json(out, miner, clusters, headers)
        else:
            _write_text(out, miner, top)


def _lines(stream: Iterable[str]) -> Iterator[str]:
    for line in stream:
        yield line.rstrip("\r\n")


class _Input:
    def __init__(self, path: str) -> None:
        self.path = path
        self.stream: IO[str] | None = None

    def __enter__(self) -> IO[str]:
        # split on "\n" only (a stray "\r" stays inside its line); undecodable bytes -> U+FFFD
        if self.path == "-":
            self.stream = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace", newline="\n")
            return self.stream
        p = Path(self.path)
        if not p.exists():
            raise BadInputError(f"{self.path}: no such file")
        if p.is_dir():
            raise BadInputError(f"{self.path}: is a directory, not a log file")
        try:
            self.stream = open(p, encoding="utf-8", errors="replace", newline="\n")  # noqa: SIM115
        except OSError as exc:
            raise BadInputError(f"{self.path}: cannot read: {exc.strerror or exc}") from None
        return self.stream

    def __exit__(self, *exc: object) -> None:
        if self.stream is None:
            return
        if self.path == "-":
            self.stream.detach()  # leave standard input open
        else:
            self.stream.close()


class _Output(OutputFile):
    """Standard output, or --output FILE (aiops.writing: replaced atomically, a device or link
    written through, a full disk a one-line WriteError naming the file)."""

    def __init__(self, path: Optional[Path]) -> None:
        super().__init__(path, "--output")


def _write_csv(out: IO[str], miner, clusters) -> None:  # noqa: ANN001
    """Rows `line,template_id,template`; each cluster's CSV tail is encoded once."""
    import csv
    import io

    ids = miner.template_ids()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    tails = []
    for c in range(miner.cluster_count):   # one per shape
        buffer.seek(0)
        buffer.truncate()
        writer.writerow((ids[c], miner.template_of(c)))
        tails.append(buffer.getvalue())
    out.write("line,template_id,template\n")
    step = 1 << 16
    for first in range(0, len(clusters), step):
        out.write("".join([f"{n},{tails[c]}" for n, c in enumerate(clusters[first:first + step], first + 1)]))


def _write_json(out: IO[str], miner, clusters, headers: list[dict[str, str]]) -> None:  # noqa: ANN001
    """The template summary, then one record a line: its template id and header fields."""
    import json

    templates = miner.templates()
    ids = miner.template_ids()
    summary = {
        "lines": miner.lines,
        "template_count": len(templates),
        "templates": [
            {"template_id": t.template_id, "template": t.template, "count": t.count, "first_line": t.first_line}
            for t in templates
        ],
    }
    text = json.dumps(summary, indent=2, ensure_ascii=False)
    out.write(text[: text.rstrip().rfind("}")].rstrip() + ',\n  "records": [')
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
    for n, (shape, header) in enumerate(zip(clusters, headers), 1):
        out.write(("\n    " if n == 1 else ",\n    ") + dumps({"line": n, "template_id": ids[shape], **header}))
    out.write("\n  ]\n}\n")


def _write_text(out: IO[str], miner, top: int) -> None:  # noqa: ANN001
    templates = miner.templates()
    total = max(miner.lines, 1)
    out.write(f"{miner.lines} lines, {len(templates)} templates (top {min(top, len(templates))} shown)\n")
    width = max([len(str(t.count)) for t in templates[:top]] + [5])
    out.write(f"{'count':>{width}}  {'share':>6}  {'template_id':<12}  template\n")
    for t in templates[:top]:
        out.write(f"{t.count:>{width}}  {100.0 * t.count / total:5.1f}%  {t.template_id:<12}  "
                  f"{printable(t.template, keep_lines=False)}\n")      # a terminal table: escapes, not ESC
