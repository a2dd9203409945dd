"""Timestamps: everything inside aiops is float unix seconds (UTC)."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone

# The times aiops can represent (and print as RFC 3339): years 1 to 9999, UTC. A value
# outside is not a timestamp, whatever its spelling (1e300, -99999999999, year 10000).
MIN_EPOCH_S = -62135596800.0      # 0001-01-01T00:00:00Z
MAX_EPOCH_S = 253402300799.0      # 9999-12-31T23:59:59Z
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
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


def in_range(ts: float) -> bool:
    """Is `ts` a finite unix time between the years 1 and 9999?"""
    return math.isfinite(ts) and MIN_EPOCH_S <= ts <= MAX_EPOCH_S


def parse_timestamp(value: object) -> float:
    """Parse unix seconds/ms/us/ns or RFC 3339 into float unix seconds.

    Raises ValueError with the offending value when the format is unknown or the time lies
    outside the years 1 to 9999.
    """
    try:
        ts = _parse_timestamp(value)
    except OverflowError:
        ts = math.inf
    if not in_range(ts):
        raise ValueError(f"timestamp out of range (years 1 to 9999): {value!r}")
    return ts


def _parse_timestamp(value: object) -> float:
    if isinstance(value, bool):
        raise ValueError(f"unknown timestamp format: {value!r}")
    if isinstance(value, (int, float)):
        return epoch_from_number(float(value))
    if isinstance(value, datetime):
        dt = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return _seconds(dt)
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
    return _seconds(dt)


def _seconds(dt: datetime) -> float:
    """Unix seconds of an aware datetime, without the platform's time_t limits."""
    try:
        return dt.timestamp()
    except (OverflowError, OSError, ValueError):
        return (dt - _EPOCH).total_seconds()


def to_rfc3339(ts: float) -> str:
    """Float unix seconds -> RFC 3339 UTC with a Z suffix (second precision unless fractional).

    Total: a time outside the years 1 to 9999 (or not a number) is written as the number
    with a note, never an exception (reports and error messages print whatever they get).
    """
    try:
        dt = datetime.fromtimestamp(ts, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        try:
            dt = _EPOCH + timedelta(seconds=ts)
        except (OverflowError, ValueError, TypeError):
            return f"{ts!r} (not a representable time)"
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
