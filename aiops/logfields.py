"""Log header fields: the `Header` record, level words, JSON/logfmt lines and dated times.

The plain-text header scanner is `aiops.logheader`; this module holds what it and the
structured (JSON object, logfmt) lines share, and `iso_time`, which reads a recognised
header time as RFC 3339 text when it carries a date.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

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
_JSON_TIME = ("time", "timestamp", "ts", "@timestamp", "t", "date", "datetime", "eventTime")
_JSON_LEVEL = ("level", "severity", "lvl", "loglevel", "log.level", "levelname", "s", "severity_text")
_JSON_MESSAGE = ("msg", "message", "log", "body", "text", "@message")
_JSON_COMPONENT = ("logger", "logger_name", "name", "component", "c", "module", "caller", "source", "category")
_JSON_HEADER = frozenset(("pid", "hostname", "host", "thread", "thread_name", "threadName", "tid", "v",
                          "ctx", "id", "stream", "time_ms", "process", "file", "line", "func", "function"))
KEY_FIRST = re.compile(r"\s*[\w.@-]+=")
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


def split_json(line: str) -> tuple[Header, str] | None:
    try:
        doc = json.loads(line)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    return _from_pairs(list(doc.items()))


def split_logfmt(line: str) -> tuple[Header, str] | None:
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

