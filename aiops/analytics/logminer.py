"""Drain-style log template miner: same logging statement -> same template id.

Each line is masked (`aiops.analytics.logmasking`) and split on whitespace. Lines with
the same number of tokens are compared with the clusters of that length; similarity is
the fraction of positions whose tokens are equal (Drain's simSeq, learned `<*>`
positions not counted as matches). The best cluster at or above `sim_threshold` absorbs
the line and every position that differs becomes `<*>` — so a variable part that first
appeared as a constant (`user alice logged in`, then `user bob logged in`) is merged
into `user <*> logged in`. Otherwise the line starts a new cluster.

Drain's fixed-depth tree is kept in its short form: clusters are indexed by (length,
first token) and that branch is searched first; only when it holds no match is the
whole length group searched, so a variable first token still merges. Scans are capped
(`MAX_SCAN`: the newest clusters of a branch; no group scan once a length has more
clusters than that) so that input that never merges stays linear. A memo of masked
line -> cluster makes repeated shapes cost one dict lookup.

Template ids are a short hash of the *final* template text, so they are the same for the
same input on every run (and the same across files whose lines generalise alike), and
two clusters that end with the same template share one id. Templates join tokens with
single spaces; a blank line has the template "" and its own id.
"""

from __future__ import annotations

import hashlib
from array import array
from dataclasses import dataclass
from typing import Iterable

from aiops.analytics.logmasking import WILDCARD, TokenMasker

DEFAULT_SIM_THRESHOLD = 0.5
MAX_SCAN = 1000   # clusters compared per new line shape: keeps unmergeable input (random text) linear


@dataclass(frozen=True)
class MinedTemplate:
    template_id: str
    template: str
    count: int
    first_line: int          # 1-based number of the first line with this template


_LEVEL_WORDS = frozenset(
    "TRACE DEBUG DBG INFO INF NOTICE WARN WARNING WRN ERROR ERR FATAL CRIT CRITICAL SEVERE PANIC EMERG ALERT".split()
)
_CALENDAR_WORDS = frozenset("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC MON TUE WED THU FRI SAT SUN".split())
_MAX_HEADER = 6
_HEADER_KEYS = ("time=", "ts=", "t=", "timestamp=", "@timestamp=", "date=", "datetime=")   # logfmt's header
_LEVEL_KEYS = ("level=", "lvl=", "severity=", "loglevel=", "log.level=")


def header_length(tokens: list[str]) -> int:
    """Mask the header in place and return its length.

    The header is the leading run (at most 6 tokens) of masked values (timestamps, pids),
    level words and month/weekday names; month and weekday names there are part of a
    timestamp, so they become `<*>` too. Level words stay: they must be equal for two
    lines to share a template.
    """
    h = 0
    for i, token in enumerate(tokens[:_MAX_HEADER]):
        key, eq, value = token.partition("=")
        if token == WILDCARD or (eq and value == WILDCARD and token.lower().startswith(_HEADER_KEYS)):
            pass
        elif eq and token.lower().startswith(_LEVEL_KEYS) and value.strip("\"'").upper() in _LEVEL_WORDS:
            pass                  # logfmt `level=info`: a level word, kept as it is
        else:
            word = token.strip("[]():|").upper()
            if word in _CALENDAR_WORDS:
                tokens[i] = WILDCARD
            elif word not in _LEVEL_WORDS:
                break
        h += 1
    return h


def template_id_of(template: str) -> str:
    """The stable id of a template text: 12 hex digits of its BLAKE2b hash."""
    return hashlib.blake2b(template.encode("utf-8"), digest_size=6).hexdigest()


class TemplateMiner:
    """Online template miner. `add(line)` returns a cluster number; templates are final
    only after the last line, so report through `template_ids()` / `templates()`."""

    def __init__(self, sim_threshold: float = DEFAULT_SIM_THRESHOLD, memo_size: int = 200_000) -> None:
        if not 0.0 < sim_threshold <= 1.0:
            raise ValueError(f"sim_threshold {sim_threshold!r} must be in (0, 1]")
        self.sim_threshold = sim_threshold
        self._mask = TokenMasker(memo_size)
        self._memo_size = memo_size
        self._templates: list[list[str]] = []
        self._counts: list[int] = []
        self._first_line: list[int] = []
        self._by_length: dict[int, list[int]] = {}
        self._by_prefix: dict[tuple[int, str], list[int]] = {}
        self._memo: dict[str, int] = {}
        self._lines = 0

    @property
    def lines(self) -> int:
        return self._lines

    @property
    def cluster_count(self) -> int:
        return len(self._templates)

    def add(self, line: str) -> int:
        """Assign one line (without its newline) to a cluster and return the cluster number."""
        self._lines += 1
        tokens = self._mask(line)
        key = " ".join(tokens)
        cluster = self._memo.get(key)
        if cluster is None:
            cluster = self._place(tokens, header_length(tokens))
            if len(self._memo) >= self._memo_size:
                self._memo.clear()
            self._memo[key] = cluster
        self._counts[cluster] += 1
        return cluster

    def add_all(self, lines: Iterable[str]) -> array:
        """Assign every line; returns the cluster number of each line (array of int32)."""
        add = self.add
        return array("i", (add(line) for line in lines))

    def _place(self, tokens: list[str], h: int) -> int:
        n = len(tokens)
        head = tokens[h] if h < n else ""
        branch = self._by_prefix.get((n, head), ())
        best = self._best(tokens, h, branch[-MAX_SCAN:], ())
        group = self._by_length.get(n, ())
        if best < 0 and len(group) <= MAX_SCAN:
            best = self._best(tokens, h, group, branch)
        if best >= 0:
            template = self._templates[best]
            if template != tokens:
                self._templates[best] = [t if t == u else WILDCARD for t, u in zip(template, tokens)]
            return best
        cluster = len(self._templates)
        self._templates.append(list(tokens))
        self._counts.append(0)
        self._first_line.append(self._lines)
        self._by_length.setdefault(n, []).append(cluster)
        self._by_prefix.setdefault((n, head), []).append(cluster)
        return cluster

    def _best(self, tokens: list[str], h: int, candidates: Iterable[int], skip: Iterable[int]) -> int:
        """Most similar cluster at or above the threshold (ties: fewer `<*>`, then older), or -1.

        Similarity is measured on the content after the header (`header_length`); the
        header tokens must be equal (a different level is a different statement), and at
        least one constant content token must match, so lines that share only masked
        values never merge.
        """
        n = len(tokens)
        header, content = tokens[:h], tokens[h:]
        need = self.sim_threshold * (n - h) - 1e-9
        has_constant = any(u != WILDCARD for u in content)
        skip_set = set(skip) if skip else ()
        best, best_key = -1, (-1, 0)
        templates = self._templates
        for c in candidates:
            if c in skip_set:
                continue
            template = templates[c]
            if h and template[:h] != header:
                continue
            if h == n:
                if template == tokens:
                    return c
                continue
            same = constant_same = 0
            for t, u in zip(template[h:], content):
                if t == u:
                    same += 1
                    if t != WILDCARD:
                        constant_same += 1
            if same < need or (has_constant and not constant_same):
                continue
            key = (same, -template.count(WILDCARD))
            if key > best_key:
                best, best_key = c, key
        return best

    def template_of(self, cluster: int) -> str:
        return " ".join(self._templates[cluster])

    def template_ids(self) -> list[str]:
        """Final template id of every cluster, indexed by cluster number."""
        ids: list[str] = []
        owner: dict[str, str] = {}
        for c in range(len(self._templates)):
            text = self.template_of(c)
            tid = template_id_of(text)
            while owner.get(tid, text) != text:  # a hash collision between different texts
                tid = template_id_of(text + "\x00" + tid)
            owner[tid] = text
            ids.append(tid)
        return ids

    def templates(self) -> list[MinedTemplate]:
        """One entry per distinct final template, most frequent first (ties: first seen)."""
        merged: dict[str, list] = {}
        for c, tid in enumerate(self.template_ids()):
            entry = merged.get(tid)
            if entry is None:
                merged[tid] = [self.template_of(c), self._counts[c], self._first_line[c]]
            else:
                entry[1] += self._counts[c]
                entry[2] = min(entry[2], self._first_line[c])
        out = [MinedTemplate(tid, text, count, first) for tid, (text, count, first) in merged.items()]
        out.sort(key=lambda t: (-t.count, t.first_line))
        return out


def mine_templates(lines: Iterable[str], sim_threshold: float = DEFAULT_SIM_THRESHOLD) -> tuple[list[str], list[str]]:
    """Convenience for small inputs: (template id per line, template text per line)."""
    miner = TemplateMiner(sim_threshold)
    clusters = miner.add_all(lines)
    ids = miner.template_ids()
    texts = [miner.template_of(c) for c in range(miner.cluster_count)]
    return [ids[c] for c in clusters], [texts[c] for c in clusters]
