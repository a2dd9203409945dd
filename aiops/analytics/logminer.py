"""Log template miner: same logging statement -> same template id.

Mining runs in two steps.

1. On every message (`add`): the message is masked (`aiops.analytics.logmasking`: numbers,
   ids, addresses, paths, times... become `<*>`) and split on whitespace; the masked token
   list is its *shape*. Distinct shapes are kept with their line counts, so repeated
   shapes cost one dict lookup and lines are remembered as 4-byte shape numbers.
2. Once, when templates are asked for: shapes with the same key (the header fields that
   belong to the statement, e.g. its level) and the same number of tokens are grouped
   Drain-style — similarity is the share of positions whose tokens are equal, and a shape
   joins the most similar group at or above `sim_threshold` (a shared constant token is
   required, so lines that share only masked values never group). Then every group is
   split by the positions that hold *a few repeated words*: a position whose values vary a
   lot (more than `MAX_CONSTANT_VALUES` distinct ones, or words seen once each) is a
   parameter (`<*>`), while `Link up` / `Link down`, each repeated, are two statements.
   Last, templates that differ only where one of them has `<*>` merge, across lengths too
   (a parameter of several tokens: `user <*> logged in` absorbs `user Ann Lee logged in`
   when the tokens around it match).

Template ids are a short hash of the final template text, so they are the same for the
same input on every run (and the same across files whose lines generalise alike). Templates
join tokens with single spaces; a blank message has the template "" (or just its key).
"""

from __future__ import annotations

import hashlib
import re
from array import array
from dataclasses import dataclass
from typing import Iterable

from aiops.analytics.logmasking import WILDCARD, TokenMasker

DEFAULT_SIM_THRESHOLD = 0.5
_SQUASH = str.maketrans("123456789", "000000000")
_DIGIT = re.compile(r"\d")
MAX_SCAN = 1000          # groups compared per new shape: keeps unmergeable input (random text) linear
MAX_CONSTANT_VALUES = 3  # a position with more distinct words than this is a parameter


@dataclass(frozen=True)
class MinedTemplate:
    template_id: str
    template: str
    count: int
    first_line: int          # 1-based number of the first line with this template


def template_id_of(template: str) -> str:
    """The stable id of a template text: 12 hex digits of its BLAKE2b hash."""
    return hashlib.blake2b(template.encode("utf-8"), digest_size=6).hexdigest()


class TemplateMiner:
    """`add(message, key)` returns the message's shape number; templates are final only
    after the last line, so report through `template_ids()` / `template_of()` /
    `templates()` (indexed by shape number)."""

    def __init__(self, sim_threshold: float = DEFAULT_SIM_THRESHOLD, memo_size: int = 200_000) -> None:
        if not 0.0 < sim_threshold <= 1.0:
            raise ValueError(f"sim_threshold {sim_threshold!r} must be in (0, 1]")
        self.sim_threshold = sim_threshold
        self._mask = TokenMasker(memo_size)
        self._shape_of: dict[str, int] = {}
        self._memo: dict[str, int] = {}
        self._memo_size = memo_size
        self._tokens: list[tuple[str, ...]] = []
        self._keys: list[str] = []
        self._counts: list[int] = []
        self._first_line: list[int] = []
        self._lines = 0
        self._final: list[int] | None = None        # shape -> template number
        self._texts: list[str] = []

    @property
    def lines(self) -> int:
        return self._lines

    @property
    def cluster_count(self) -> int:
        """Number of distinct shapes (the numbers `add` returns run from 0 to this - 1)."""
        return len(self._tokens)

    def add(self, message: str, key: str = "") -> int:
        """Count one message (without its newline) under `key` and return its shape number."""
        self._lines += 1
        # memo on the message with its digits squashed: masking looks at where digits are,
        # not at their values (stored only when no digit survives masking)
        squashed = key + "\x00" + message.translate(_SQUASH)
        shape = self._memo.get(squashed)
        if shape is None:
            tokens = tuple(self._mask(message))
            canonical = key + "\x01" + " ".join(tokens)
            shape = self._shape_of.get(canonical)
            if shape is None:
                shape = len(self._tokens)
                self._shape_of[canonical] = shape
                self._tokens.append(tokens)
                self._keys.append(key)
                self._counts.append(0)
                self._first_line.append(self._lines)
                self._final = None
            if len(message) < 400 and not _DIGIT.search(canonical):
                if len(self._memo) >= self._memo_size:
                    self._memo.clear()          # bounded; hot messages come back at once
                self._memo[squashed] = shape
        self._counts[shape] += 1
        return shape

    def add_all(self, lines: Iterable[str]) -> array:
        """Count every line (no key); returns the shape number of each line (array of int32)."""
        add = self.add
        return array("i", (add(line) for line in lines))

    # -- templates -------------------------------------------------------------------

    def template_of(self, shape: int) -> str:
        self._finish()
        return self._texts[self._final[shape]]

    def template_ids(self) -> list[str]:
        """Final template id of every shape, indexed by shape number."""
        self._finish()
        ids = [template_id_of(text) for text in self._texts]
        return [ids[t] for t in self._final]

    def templates(self) -> list[MinedTemplate]:
        """One entry per distinct final template, most frequent first (ties: first seen)."""
        self._finish()
        merged: dict[str, list] = {}
        for shape, t in enumerate(self._final):
            text = self._texts[t]
            entry = merged.get(text)
            if entry is None:
                merged[text] = [self._counts[shape], self._first_line[shape]]
            else:
                entry[0] += self._counts[shape]
                entry[1] = min(entry[1], self._first_line[shape])
        out = [MinedTemplate(template_id_of(text), text, count, first) for text, (count, first) in merged.items()]
        out.sort(key=lambda t: (-t.count, t.first_line))
        return out

    def _finish(self) -> None:
        if self._final is not None:
            return
        groups: dict[tuple[str, int], list[int]] = {}
        for shape, tokens in enumerate(self._tokens):
            groups.setdefault((self._keys[shape], len(tokens)), []).append(shape)
        final = [0] * len(self._tokens)
        templates: list[tuple[str, list[str]]] = []
        for (key, _), shapes in groups.items():
            for members in self._group(shapes):
                for part in self._split(members):
                    for s in part:
                        final[s] = len(templates)
                    templates.append((key, _common(self._tokens[s] for s in part)))
        remap = _merge_generalised(templates)
        self._texts = []
        seen: dict[str, int] = {}
        number = []
        for key, tokens in (templates[remap[t]] for t in range(len(templates))):
            text = " ".join(([key] if key else []) + tokens)
            number.append(seen.setdefault(text, len(seen)))
            if number[-1] == len(self._texts):
                self._texts.append(text)
        self._final = [number[t] for t in final]

    def _group(self, shapes: list[int]) -> list[list[int]]:
        """Drain-style grouping of same-length shapes (first seen first)."""
        templates: list[list[str]] = []
        members: list[list[int]] = []
        by_head: dict[str, list[int]] = {}
        for s in shapes:
            tokens = self._tokens[s]
            head = tokens[0] if tokens else ""
            branch = by_head.get(head, ())
            best = _best(templates, tokens, branch[-MAX_SCAN:], self.sim_threshold)
            if best < 0 and len(templates) <= MAX_SCAN:
                best = _best(templates, tokens, range(len(templates)), self.sim_threshold)
            if best < 0:
                by_head.setdefault(head, []).append(len(templates))
                templates.append(list(tokens))
                members.append([s])
                continue
            template = templates[best]
            for i, (t, u) in enumerate(zip(template, tokens)):
                if t != u:
                    template[i] = WILDCARD
            members[best].append(s)
        return members

    def _split(self, members: list[int]) -> list[list[int]]:
        """Split a group by its positions that hold a few repeated words (see the module doc)."""
        if len(members) == 1:
            return [members]
        tokens, counts = self._tokens, self._counts
        n = len(tokens[members[0]])
        constant_positions = []
        for p in range(n):
            values: dict[str, int] = {}
            for s in members:
                values[tokens[s][p]] = values.get(tokens[s][p], 0) + counts[s]
            if len(values) > 1 and _constant_column(values):
                constant_positions.append(p)
        if not constant_positions:
            return [members]
        parts: dict[tuple[str, ...], list[int]] = {}
        for s in members:
            parts.setdefault(tuple(tokens[s][p] for p in constant_positions), []).append(s)
        return list(parts.values())


def _constant_column(values: dict[str, int]) -> bool:
    """Does a position with these (value -> lines) hold statement words, not a parameter?"""
    if len(values) > MAX_CONSTANT_VALUES:
        return False
    return all(c >= 2 for c in values.values())


def _best(templates: list[list[str]], tokens: tuple[str, ...], candidates: Iterable[int], threshold: float) -> int:
    """Most similar template at or above the threshold (ties: fewer `<*>`, then older), or -1;
    at least one constant token must match when the shape has one."""
    n = len(tokens)
    if n == 0:
        return next(iter(candidates), -1)
    need = threshold * n - 1e-9
    has_constant = any(u != WILDCARD for u in tokens)
    best, best_key = -1, (-1, 0)
    for c in candidates:
        template = templates[c]
        same = constant_same = 0
        for t, u in zip(template, tokens):
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


def _common(shapes: Iterable[tuple[str, ...]]) -> list[str]:
    it = iter(shapes)
    out = list(next(it))
    for tokens in it:
        for i, (t, u) in enumerate(zip(out, tokens)):
            if t != u:
                out[i] = WILDCARD
    return out


def _merge_generalised(templates: list[tuple[str, list[str]]]) -> list[int]:
    """Template number -> the template it merges into: one that equals it except where
    the other has `<*>` (same key; a `<*>` may stand for several tokens)."""
    remap = list(range(len(templates)))
    by_key: dict[str, list[int]] = {}
    for t, (key, tokens) in enumerate(templates):
        by_key.setdefault(key, []).append(t)
    for numbers in by_key.values():
        if len(numbers) < 2:
            continue
        general = [t for t in numbers if WILDCARD in templates[t][1]]
        for t in numbers:
            tokens = templates[t][1]
            for g in general:
                if g != t and remap[g] == g and _covers(templates[g][1], tokens):
                    remap[t] = g
                    break
    for t in range(len(remap)):          # follow chains to their end
        while remap[remap[t]] != remap[t]:
            remap[t] = remap[remap[t]]
    return remap


def _covers(general: list[str], tokens: list[str]) -> bool:
    """Does `general` match `tokens`, each `<*>` standing for one or more tokens, with at
    least one constant token and no more wildcards than `tokens` has tokens?"""
    constants = len(general) - general.count(WILDCARD)
    if len(general) >= len(tokens) or constants < 2 or 2 * constants < len(general):
        return False
    return _match(general, 0, tokens, 0, {})


def _match(pattern: list[str], i: int, tokens: list[str], j: int, memo: dict) -> bool:
    if (i, j) in memo:
        return memo[i, j]
    if i == len(pattern):
        result = j == len(tokens)
    elif pattern[i] == WILDCARD:
        # an interior `<*>` may stand for several tokens; one at either end for one token
        last = len(tokens) if 0 < i < len(pattern) - 1 else j + 1
        result = j < len(tokens) and any(_match(pattern, i + 1, tokens, k, memo) for k in range(j + 1, last + 1))
    else:
        result = j < len(tokens) and pattern[i] == tokens[j] and _match(pattern, i + 1, tokens, j + 1, memo)
    memo[i, j] = result
    return result
