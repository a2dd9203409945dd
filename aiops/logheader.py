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
are parsed on their own shape: a header there starts with a time or a level.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Iterable

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

LEVELS = {
    "trace": "trace", "finest": "trace", "finer": "trace", "verbose": "trace", "v": "trace",
    "debug": "debug", "dbg": "debug", "dbug": "debug", "fine": "debug", "d": "debug", "config": "debug",
    "info": "info", "inf": "info", "information": "info", "informational": "info", "notice": "info",
    "note": "info", "i": "info", "log": "info",
    "warn": "warn", "warning": "warn", "wrn": "warn", "w": "warn",
    "error": "error", "err": "error", "fail": "error", "severe": "error", "e": "error",
    "fatal": "fatal", "critical": "fatal", "crit": "fatal", "panic": "fatal", "alert": "fatal",
    "emerg": "fatal", "emergency": "fatal", "f": "fatal",
}
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

_JSON_TIME = ("time", "timestamp", "ts", "@timestamp", "t", "date", "datetime", "eventTime")
_JSON_LEVEL = ("level", "severity", "lvl", "loglevel", "log.level", "levelname", "s", "severity_text")
_JSON_MESSAGE = ("msg", "message", "log", "body", "text", "@message")
_JSON_COMPONENT = ("logger", "logger_name", "name", "component", "c", "module", "caller", "source", "category")
_JSON_HEADER = frozenset(("pid", "hostname", "host", "thread", "thread_name", "threadName", "tid", "v",
                          "ctx", "id", "stream", "time_ms", "process", "file", "line", "func", "function"))
_KEY_FIRST = re.compile(r"\s*[\w.@-]+=")
_LOGFMT = re.compile(r'([\w.@-]+)=("(?:[^"\\]|\\.)*"|\S*)')


@dataclass(frozen=True)
class Header:
    """The header fields of one line ('' where absent); `level` is normalised
    (trace, debug, info, warn, error, fatal) and `level_text` is as written."""

    time: str = ""
    level: str = ""
    level_text: str = ""
    host: str = ""
    pid: str = ""
    thread: str = ""
    component: str = ""

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


NO_HEADER = Header()


def normalise_level(word: str) -> str:
    """A level word in any of its spellings -> trace/debug/info/warn/error/fatal ('' if none)."""
    return LEVELS.get(word.strip("[]<>():! ").lower(), "")


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
        if "=" in line and _split_logfmt(line) is not None:
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
            return _split_json(line)
        if (self.layout.logfmt and "=" in line) or _KEY_FIRST.match(line):
            return _split_logfmt(line)
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


def _split_json(line: str) -> tuple[Header, str] | None:
    try:
        doc = json.loads(line)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    return _from_pairs(list(doc.items()))


def _split_logfmt(line: str) -> tuple[Header, str] | None:
    pairs = _LOGFMT.findall(line)
    if len(pairs) < 2 or not any(k in _JSON_MESSAGE or k in _JSON_LEVEL or k in _JSON_TIME for k, _ in pairs):
        return None
    covered = sum(len(k) + 1 + len(v) for k, v in pairs) + len(pairs) - 1
    if covered < 0.8 * len(line.strip()):
        return None
    return _from_pairs([(k, v[1:-1].replace('\\"', '"') if v.startswith('"') and len(v) > 1 else v) for k, v in pairs])


def _from_pairs(pairs: list[tuple[str, object]]) -> tuple[Header, str] | None:
    fields: dict[str, str] = {}
    message: str | None = None
    rest: list[str] = []
    for key, value in pairs:
        if key in _JSON_MESSAGE and message is None and isinstance(value, str):
            message = value.rstrip("\n")
        elif key in _JSON_TIME and "time" not in fields:
            fields["time"] = _scalar(value)
        elif key in _JSON_LEVEL and "level" not in fields:
            fields["level"] = _scalar(value)
        elif key in _JSON_COMPONENT and "component" not in fields and isinstance(value, str):
            fields["component"] = value
        elif key in ("pid", "process") and "pid" not in fields:
            fields["pid"] = _scalar(value)
        elif key in ("hostname", "host") and "host" not in fields:
            fields["host"] = _scalar(value)
        elif key in ("thread", "thread_name", "threadName", "tid") and "thread" not in fields:
            fields["thread"] = _scalar(value)
        elif key not in _JSON_HEADER:
            rest.append(f"{key}={_scalar(value) if not isinstance(value, str) or ' ' not in value else json.dumps(value)}")
    if not fields and message is None:
        return None
    level_text = fields.pop("level", "")
    level = normalise_level(level_text) if not level_text.isdigit() else _numeric_level(int(level_text))
    text = " ".join(([message] if message else []) + rest)
    return Header(level=level, level_text=level_text, **fields), text


def _numeric_level(n: int) -> str:
    """pino/bunyan numeric levels (10 trace ... 60 fatal) and syslog severities (0-7)."""
    if n >= 10:
        return {1: "trace", 2: "debug", 3: "info", 4: "warn", 5: "error", 6: "fatal"}.get(n // 10, "")
    return ("fatal", "fatal", "fatal", "error", "warn", "info", "info", "debug")[n] if n < 8 else ""


def _scalar(value: object) -> str:
    if isinstance(value, dict) and len(value) == 1:
        value = next(iter(value.values()))     # {"$date": "..."}
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


_ISO_LIKE = re.compile(
    r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:(?:[T_-]|\s+)(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?(?:[.,:](\d{1,9}))?"
    r"\s?(Z|[+-]\d{2}:?\d{2}|UTC|GMT)?)?")
_COMPACT = re.compile(r"(\d{2})(\d{2})(\d{2})\s(\d{2})(\d{2})(\d{2})|(\d{4})(\d{2})(\d{2})[-T_ ]?(\d{1,2}):(\d{2}):(\d{2})(?:[.,:](\d{1,9}))?")
_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
_WORDY = re.compile(
    r"(?:[A-Za-z]{3,9},?\s+)?(?:(\d{1,2})[-/ ]([A-Za-z]{3})[a-z]*[-/ ](\d{4})[: ]|([A-Za-z]{3})[a-z]*\.?\s+(\d{1,2}),?\s+(\d{4})?\s*)"
    r"(\d{1,2}):(\d{2})(?::(\d{2}))?(?:[.,](\d{1,9}))?(?:\s+(\d{4}))?(?:\s?([AaPp][Mm]))?(?:\s([+-]\d{4}))?")


def leading_time(line: str) -> tuple[str, int] | None:
    """(text, end) of a time field at the very start of a line (optionally in brackets)."""
    fields = scan_fields(line, 1)
    if not fields or fields[0][0] not in ("time", "glog"):
        return None
    kind, a, b = fields[0]
    return line[a:b].strip("[]")[1 if kind == "glog" else 0:], b


def iso_time(text: str) -> str | None:
    """A header time as RFC 3339 text ('YYYY-MM-DD HH:MM:SS[.f][zone]'), or None when it
    has no year (syslog) or no date; unix times are returned as they are."""
    text = text.strip("[] ")
    if text.replace(".", "", 1).isdigit():
        return text
    m = _ISO_LIKE.fullmatch(text)
    if m is not None:
        y, mo, d, h, mi, s, frac, zone = m.groups()
        return _iso(y, mo, d, h, mi, s, frac, zone)
    m = _COMPACT.fullmatch(text)
    if m is not None:
        g = m.groups()
        if g[0] is not None:
            return _iso("20" + g[0], g[1], g[2], g[3], g[4], g[5], None, None)
        return _iso(g[6], g[7], g[8], g[9], g[10], g[11], g[12], None)
    m = _WORDY.fullmatch(text)
    if m is not None:
        d1, mon1, y1, mon2, d2, y2, h, mi, s, frac, y3, ampm, zone = m.groups()
        year, month, day = y1 or y2 or y3, _MONTHS.get((mon1 or mon2 or "").lower()), d1 or d2
        if year is None or month is None:
            return None
        hour = int(h)
        if ampm:
            hour = hour % 12 + (12 if ampm.lower() == "pm" else 0)
        return _iso(year, str(month), day, str(hour), mi, s, frac, zone)
    return None


def _iso(y: str, mo: str, d: str, h: str | None, mi: str | None, s: str | None, frac: str | None,
         zone: str | None) -> str | None:
    if not (1 <= int(mo) <= 12 and 1 <= int(d) <= 31) or (h is not None and int(h) > 23):
        return None
    out = f"{int(y):04d}-{int(mo):02d}-{int(d):02d}"
    if h is not None:
        out += f" {int(h):02d}:{mi}:{s or '00'}" + (f".{frac}" if frac else "")
    if zone in ("UTC", "GMT", "Z"):
        zone = "+00:00"
    elif zone and ":" not in zone:
        zone = zone[:3] + ":" + zone[3:]
    return out + (zone or "")
