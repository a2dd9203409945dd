"""Header recognition for raw log lines: the fields before the message, found, not configured.

A raw line is `<header> <message>`: timestamps, a level, a host, pids and thread ids, a
component (logger, program, class) and separators, in whatever order the logger wrote
them. `HeaderParser.split(line)` returns the header as fields (`Header`) and where the
message starts; only the message is mined into templates.

Recognised field shapes (generic operator knowledge, no per-system setting):

- time: ISO 8601 / RFC 3339 (`2023-01-29T08:43:04.123Z`, `2023-01-29 08:43:04,123`,
  `2023/01/29 08:43:04`, `2023-01-29-08.43.04.123456`, `2023.01.29`), syslog and ctime
  (`Jan 29 08:43:04`, `Sun Jan 29 08:43:04 2023`), Java's `Jan 29, 2023 8:43:04 AM`,
  day-first (`29 Jan 2023 08:43:04.123`, `29/Jan/2023:08:43:04 +0000`), short dates
  (`23/01/29 08:43:04`, `01-29 08:43:04.123`), `yyMMdd HHmmss`, `yyyyMMdd-HH:mm:ss:SSS`,
  glog (`I0129 08:43:04.123456`), unix seconds or milliseconds; optionally in brackets
  and followed by a zone word;
- level: the usual words (`INFO`, `Warning`, `[error]`, `<warn>`, `ERROR:`, `info:`), a
  logcat letter after the pids;
- pid / thread id: numbers, `[1234]`, `<0.123.0>`; thread: any bracketed group
  (`[main]`, `[IPC Server handler 3 on 8020]`, nested brackets too);
- component: a name ending with a colon (`sshd(pam_unix)[1234]:`, `kernel:`,
  `org.apache.Foo:`) or a dotted logger name before ` - ` / ` : `; its `[pid]` is split off;
- host: the token after a syslog time, and identifier-like tokens (`node-12`,
  `R02-M1-N0`) between a time and the level;
- JSON objects and logfmt lines: their time/level/logger/... keys are the header, the
  `msg`/`message` value and the other keys are the message.

A file's header keeps one layout, so `learn(sample)` finds in a sample of lines the field
positions that hold a time or a level in most of them (the *anchors*); fields before the
last anchor are header whatever they look like (a record type, a node name, a
component column). After the anchors the header goes on while fields look like header
fields and ends at a component. Lines that do not fit the layout (stack traces, banners)
are parsed on their own shape: a header there starts with a time or a level. The `Header`
record, level words, JSON/logfmt lines and `iso_time` live in `aiops.logfields`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from aiops.logfields import (
    LEVELS, NO_HEADER, Header, KEY_FIRST, iso_time, normalise_level, split_json, split_logfmt,
)

__all__ = ["Header", "HeaderParser", "Layout", "iso_time", "leading_time", "learn_layout", "normalise_level",
           "scan_fields"]

_MON = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]{0,6}\.?"
_DOW = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]{0,6},?"
_CLOCK = r"\d{1,2}[:.]\d{2}(?:[:.]\d{2})?(?:[.,:]\d{1,9})?"
_ZONE = r"(?:\s?(?:Z|[+-]\d{2}:?\d{2})\b|\s(?:UTC|GMT|[A-Z]{3,4}T)\b|Z)?"
_AMPM = r"(?:\s?[AaPp][Mm]\b)?"
_END = r"(?=[\s\]|,;)>]|$)"

_TIME = (
    # ISO 8601 / RFC 3339 and relatives: date, optional time after T, space, _ or -
    rf"\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}(?:(?:[T_-]|\s+){_CLOCK}{_ZONE})?{_END}"
    rf"|\d{{8}}[-T_ ]?\d{{1,2}}:\d{{2}}:\d{{2}}(?:[.,:]\d{{1,9}})?{_END}"
    # syslog, ctime, Java: (weekday) month day(,) (year) time (year) (AM/PM)
    rf"|(?:{_DOW}\s+)?{_MON}\s+\d{{1,2}},?(?:\s+\d{{4}})?\s+{_CLOCK}(?:\s+\d{{4}})?{_AMPM}{_ZONE}{_END}"
    # day-first: 29 Jan 2023 08:43:04 / 29/Jan/2023:08:43:04 +0000
    rf"|\d{{1,2}}[-/ ]{_MON}[-/ ]\d{{4}}[: ]{_CLOCK}(?:\s[+-]\d{{4}})?{_END}"
    # short date + time: 23/01/29 08:43:04, 01-29 08:43:04.123, 10.30 16:49:06
    rf"|\d{{1,2}}[-/.]\d{{1,2}}(?:[-/.]\d{{2,4}})?(?:\s+|[T_-]){_CLOCK}{_AMPM}{_ZONE}{_END}"
    # yyMMdd HHmmss
    r"|\d{6}\s\d{6}(?=\s|$)"
    # unix seconds or milliseconds (10 or 13 digits), optional fraction
    rf"|\d{{10}}(?:\.\d{{1,9}})?{_END}|\d{{13}}{_END}"
    # a bare clock time
    rf"|{_CLOCK}{_AMPM}{_ZONE}(?=[\s\]|,;)>]|$)"
)
_GLOG = re.compile(r"([IWEFD])(\d{4}\s+\d{1,2}:\d{2}:\d{2}(?:\.\d+)?)(?=\s)")

_WORD_LEVELS = "|".join(sorted((w for w in LEVELS if len(w) > 1), key=len, reverse=True))
_LEVEL = (
    rf"(?:{_WORD_LEVELS.upper()}|{'|'.join(w.title() for w in _WORD_LEVELS.split('|'))})(?::)?(?=\s|$)"
    rf"|(?i:\[\s*(?:{_WORD_LEVELS})\s*\]|<(?:{_WORD_LEVELS})>|\((?:{_WORD_LEVELS})\))(?=\s|$|:)"
    rf"|(?:{_WORD_LEVELS}):(?=\s)"
    r"|[VDIWEF](?=\s+\S)"                       # logcat's letter
)
_BRACKET = r"\[[^\[\]]*(?:\[[^\[\]]*\][^\[\]]*)*\]:?|\([^()]*\)(?=\s|$)|<[^<>\s]*>(?=\s|$)"
_COMPONENT = (
    r"[\w./$@#~-][\w./$@#~-]*(?:\([^()\s]*\))?(?:\[[^\]\s]*\])?:(?=\s|$)"
    r"|[A-Za-z_$][\w$]*(?:\.[\w$]+)+(?=\s+[-:]\s)"
)
_FIELD = re.compile(
    rf"(?P<time>{_TIME})|(?P<level>{_LEVEL})|(?P<num>[-+]?\d+{_END})|(?P<bracket>{_BRACKET})"
    rf"|(?P<component>{_COMPONENT})|(?P<sep>(?:-{{1,3}}|\||:|\*|#|>{{1,2}}|=>|->){_END})|(?P<word>[^\s|]+)"
)
_SPACE = re.compile(r"[\s|]*")
_ID_LIKE = re.compile(r"(?=.*\d)[\w.@/:-]*\w|[\w-]+(?:[.@/:][\w-]+)+")
_BRACKET_INNER = re.compile(rf"\[\s*(?:(?P<time>{_TIME})|(?P<num>\d+)|(?P<level>{_WORD_LEVELS}))\s*\]:?", re.IGNORECASE)
_EXCEPTION = re.compile(r"(?:Exception|Error|Throwable|Fault)\b")
_PID_SUFFIX = re.compile(r"\[(\d+)\]:?$")
_SYSLOG_TIME = re.compile(rf"(?:{_DOW}\s+)?{_MON}\s+\d{{1,2}}\s+\d")
_MAX_FIELDS = 14
_SAMPLE = 400
_MEMO_PREFIX = 120
_MEMO_SIZE = 100_000
_SQUASH = str.maketrans("123456789", "000000000")
_ANCHOR_SHARE = 0.5
_MAX_LEAD = 10        # fields before the last anchor that a learned layout may claim

def scan_fields(line: str, limit: int = _MAX_FIELDS) -> list[tuple[str, int, int]]:
    """The first `limit` fields of a line as (kind, start, end): kinds are time, level,
    num, bracket, component, sep, word (whitespace and `|` separate fields)."""
    fields: list[tuple[str, int, int]] = []
    pos = _SPACE.match(line).end()
    n = len(line)
    match = _FIELD.match
    while pos < n and len(fields) < limit:
        m = match(line, pos)
        kind = m.lastgroup
        end = m.end()
        if kind == "bracket":
            inner = _BRACKET_INNER.fullmatch(line, pos, end)
            if inner is not None:
                kind = inner.lastgroup
        elif kind == "word":
            g = _GLOG.match(line, pos)
            if g is not None:
                kind, end = "glog", g.end()
        fields.append((kind, pos, end))
        pos = _SPACE.match(line, end).end()
    return fields


@dataclass(frozen=True)
class Layout:
    """Learned field positions: `anchors` holds the indices that carry a time or level in
    most lines, `kinds` the kind expected at each of them."""

    anchors: tuple[int, ...] = ()
    kinds: tuple[str, ...] = ()
    logfmt: bool = False

    @property
    def last(self) -> int:
        return self.anchors[-1] if self.anchors else -1


def learn_layout(lines: Iterable[str], sample: int = 400) -> Layout:
    """Field positions holding a time or a level in at least half of the (non-blank,
    non-JSON, non-logfmt) sample lines; positions past `_MAX_LEAD` are not considered.
    `logfmt` is set when at least a tenth of the sample lines are logfmt."""
    counts: dict[tuple[int, str], int] = {}
    total = logfmt = 0
    for line in lines:
        if total >= sample:
            break
        stripped = line.lstrip()
        if not stripped or stripped.startswith("{"):
            continue
        total += 1
        if "=" in line and split_logfmt(line) is not None:
            logfmt += 1
            continue
        for i, (kind, _, _) in enumerate(scan_fields(line, _MAX_LEAD + 1)):
            if kind in ("time", "level", "glog"):
                key = (i, "level" if kind == "level" else "time")
                counts[key] = counts.get(key, 0) + 1
    if not total:
        return Layout()
    chosen = sorted(k for k, c in counts.items() if c >= _ANCHOR_SHARE * (total - logfmt) and c >= 2)
    return Layout(tuple(i for i, _ in chosen), tuple(k for _, k in chosen), logfmt=10 * logfmt >= total)


class HeaderParser:
    """Splits raw lines into header fields and message (see the module doc)."""

    def __init__(self, layout: Layout | None = None, sample: Iterable[str] = ()) -> None:
        self.layout = layout or Layout()
        self._memo: dict[str, tuple[list[tuple[str, int, int]], str, int, int]] = {}
        self._prefixes: tuple[int, ...] = ()
        reach = sorted(self._parse(line)[3] for line in sample)
        if reach:   # memo keys: as many characters as the parse of most lines looks at
            self._prefixes = tuple(sorted({min(_MEMO_PREFIX, reach[(len(reach) * q) // 100])
                                           for q in (50, 75, 90, 97)}))

    @classmethod
    def learn(cls, sample: Iterable[str]) -> "HeaderParser":
        lines = [line for line, _ in zip(sample, range(_SAMPLE))]
        return cls(learn_layout(lines), lines)

    def split(self, line: str) -> tuple[Header, str]:
        """(header, message) of one line; a line without a recognised header is all message."""
        structured = self._structured(line)
        if structured is not None:
            return structured
        fields, level, start, _ = self._parse(line)
        if not fields:
            return NO_HEADER, line.strip()
        return _header(line, fields, level), line[start:].strip(" \t|")

    def level_and_message(self, line: str) -> tuple[str, str]:
        """(normalised level, message) of one line: `split` without building the fields."""
        structured = self._structured(line)
        if structured is not None:
            return structured[0].level, structured[1]
        _, level, start, _ = self._parse(line)
        return level, line[start:].strip(" \t|") if start else line.strip()

    def _structured(self, line: str) -> tuple[Header, str] | None:
        first = line[:1] if line[:1] not in (" ", "\t") else line.lstrip()[:1]
        if first == "{":
            return split_json(line)
        if (self.layout.logfmt and "=" in line) or KEY_FIRST.match(line):
            return split_logfmt(line)
        return None

    def _parse(self, line: str) -> tuple[list[tuple[str, int, int]], str, int, int]:
        """(header fields, normalised level, message start, characters looked at) of a
        plain line. Memoised on the line's first characters with digits squashed (the parse
        looks at the digits' places, not their values), tried at a few learned lengths: a
        parse is stored under the shortest one that covers what it looked at."""
        squashed = line[: self._prefixes[-1]].translate(_SQUASH) if self._prefixes else ""
        memo = self._memo
        for p in self._prefixes:
            hit = memo.get(squashed[:p])
            if hit is not None:
                return hit
        layout = self.layout
        fields = scan_fields(line, max(layout.last + 6, 8))
        start = self._fitted_start(fields)
        if start < 0:
            start = _generic_start(fields)
        n = len(fields)
        end, looked = _extend(fields, start, line) if start >= 0 else (-1, min(n, max(4, layout.last + 2)) - 1)
        seen = fields[looked][2] + 2 if n else 0
        if end < 0:
            result: tuple[list[tuple[str, int, int]], str, int, int] = ([], "", 0, seen)
        else:
            level = next((line[a:b] if kind == "level" else line[a] for kind, a, b in fields[: end + 1]
                          if kind in ("level", "glog")), "")
            result = (fields[: end + 1], normalise_level(level), fields[end][2], seen)
        for p in self._prefixes:
            if seen <= p or len(line) < p:
                if len(memo) >= _MEMO_SIZE:
                    memo.clear()
                memo[squashed[:p]] = result
                break
        return result

    def _fitted_start(self, fields: list[tuple[str, int, int]]) -> int:
        """Index of the last learned anchor when this line has the learned anchors, else -1."""
        layout = self.layout
        if not layout.anchors or len(fields) <= layout.last + 1:
            return -1
        for i, want in zip(layout.anchors, layout.kinds):
            kind = fields[i][0]
            got = "level" if kind == "level" else ("time" if kind in ("time", "glog") else "")
            if got != want:
                return -1
        return layout.last


def _generic_start(fields: list[tuple[str, int, int]]) -> int:
    """A header without a learned layout starts with a time or level, possibly after up
    to two short id fields (`- 1131566461 ...`, `10.0.0.1 - - [29/Jan/2023...]`)."""
    for i, (kind, _, _) in enumerate(fields[:4]):
        if kind in ("time", "glog", "level"):
            return i
        if kind not in ("sep", "num") and not (kind == "word" and i < 3):
            return -1
        if i >= 3:
            return -1
    return -1


_AFTER_ANCHOR = frozenset(("time", "glog", "level", "num", "bracket", "sep", "component"))


def _extend(fields: list[tuple[str, int, int]], start: int, line: str) -> tuple[int, int]:
    """(index of the last header field, index of the last field looked at): from `start`
    on, fields are taken while they look like header fields; a component ends the header,
    a plain word (or an exception's class name) stops it."""
    if fields[start][0] == "word":
        return -1, start
    end = start
    seen_level = any(k == "level" or k == "glog" for k, _, _ in fields[: start + 1])
    after_syslog = fields[start][0] == "time" and _SYSLOG_TIME.match(line, fields[start][1]) is not None
    i = start + 1
    n = len(fields)
    while i < n:
        kind, a, b = fields[i]
        if after_syslog and kind in ("word", "num", "bracket") and not seen_level:
            end, after_syslog = i, False          # the host of a syslog line
            i += 1
            continue
        after_syslog = False
        if kind == "component":
            if _EXCEPTION.search(line, a, b):
                return end, i                     # `java.io.IOException: ...` is the message
            if line[b - 1] != ":" and i + 1 < n and fields[i + 1][0] == "sep":
                return i + 1, i + 1               # logger name then its separator
            return i, i
        if kind == "word":
            if not seen_level and _ID_LIKE.fullmatch(line, a, b) and i + 1 < n:
                if fields[i + 1][0] != "word":
                    end = i                       # a host or node name before the level
                    i += 1
                    continue
                return end, i + 1
            return end, i
        if kind not in _AFTER_ANCHOR:
            return end, i
        if kind == "level":
            seen_level = True
        end = i
        i += 1
    return end, n - 1


def _header(line: str, fields: list[tuple[str, int, int]], normalised: str) -> Header:
    times, level, host, pid, thread, component = [], "", "", "", "", ""
    for kind, a, b in fields:
        text = line[a:b]
        if kind == "time":
            times.append(text.strip("[]"))
        elif kind == "glog":
            level = level or text[0]
            times.append(text[1:])
        elif kind == "level":
            level = level or text.strip("[]<>():")
        elif kind == "num":
            pid = pid or text.strip("[]:")
        elif kind == "bracket":
            thread = thread or text.strip("[]():<> ")
        elif kind == "component":
            name = text.rstrip(":")
            m = _PID_SUFFIX.search(name)
            if m is not None:
                pid, name = pid or m.group(1), name[: m.start()]
            component = name
        elif kind == "word":
            host = host or text
    return Header(time=" ".join(times), level=normalised, level_text=level, host=host, pid=pid,
                  thread=thread, component=component)


def leading_time(line: str) -> tuple[str, int] | None:
    """(text, end) of a time field at the very start of a line (optionally in brackets)."""
    fields = scan_fields(line, 1)
    if not fields or fields[0][0] not in ("time", "glog"):
        return None
    kind, a, b = fields[0]
    return line[a:b].strip("[]")[1 if kind == "glog" else 0:], b

