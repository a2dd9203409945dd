"""Timestamps: everything inside aiops is float unix seconds (UTC)."""

from __future__ import annotations

import re
from datetime import datetime, timezone

_NUMERIC = re.compile(r"^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$")


def epoch_from_number(x: float) -> float:
    """Interpret a numeric timestamp by magnitude: s, ms, us or ns since the epoch."""
    ax = abs(x)
    if ax >= 1e17:
        return x / 1e9
    if ax >= 1e14:
        return x / 1e6
    if ax >= 1e11:
        return x / 1e3
    return float(x)


def parse_timestamp(value: object) -> float:
    """Parse unix seconds/ms/us/ns or RFC 3339 into float unix seconds.

    Raises ValueError with the offending value when the format is unknown.
    """
    if isinstance(value, bool):
        raise ValueError(f"unknown timestamp format: {value!r}")
    if isinstance(value, (int, float)):
        return epoch_from_number(float(value))
    if isinstance(value, datetime):
        dt = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return dt.timestamp()
    text = str(value).strip()
    if _NUMERIC.match(text):
        return epoch_from_number(float(text))
    iso = text.replace("Z", "+00:00").replace("z", "+00:00")
    if " " in iso and "T" not in iso:
        iso = iso.replace(" ", "T", 1)
    # Python < 3.11 quirks are gone; fromisoformat handles fractions and offsets.
    try:
        dt = datetime.fromisoformat(iso)
    except ValueError:
        raise ValueError(f"unknown timestamp format: {text!r}") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def to_rfc3339(ts: float) -> str:
    """Float unix seconds -> RFC 3339 UTC with a Z suffix (second precision unless fractional)."""
    dt = datetime.fromtimestamp(ts, tz=timezone.utc)
    if dt.microsecond:
        return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return dt.isoformat(timespec="seconds").replace("+00:00", "Z")


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_UNIT = {"ms": 0.001, "s": 1, None: 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> float:
    """'15m' -> 900.0; accepts ms, s, m, h, d, w and combinations like '1h30m'."""
    raw = str(text).strip()
    total, pos = 0.0, 0
    for m in re.finditer(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)", raw):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNIT[m.group(2)]
        pos = m.end()
    if pos == len(raw) and pos > 0:
        return total
    m = _DURATION.match(raw)
    if not m:
        raise ValueError(f"unknown duration: {text!r} (use e.g. 90s, 15m, 2h, 1d)")
    return float(m.group(1)) * _UNIT[m.group(2)]
