"""What a metric's values mean, read from its name, and how to write them for a person.

Conventions only (Prometheus and OpenTelemetry naming, CloudWatch-like exports): a
`_seconds`/`_ms` suffix is a duration, `_bytes` a size, `_ratio`/`_percent` a share,
`_total`/`_count` a counter (the scans turn counters into per-second rates), and a name that
says free/available/remaining/idle measures what is left, so pressure shows as a fall.
"""

from __future__ import annotations

import math
import re

_WORDS = re.compile(r"[a-z0-9]+")
_COUNTER = re.compile(r"(_total|_count|_sum)$")
_LEFT = {"free", "available", "avail", "remaining", "idle", "headroom"}


def _words(metric: str) -> list[str]:
    return _WORDS.findall(metric.lower().split(":")[0])


def metric_unit(metric: str) -> str:
    """'s', 'ms', 'bytes', 'ratio' (0..1), 'percent' (0..100), '/s', 'bytes/s' or 's/s' (a
    counter's per-second rate), or '' when the name does not say."""
    name = metric.lower()
    derived = ":" in name            # <histogram>:p99 / :mean: a duration in the base's unit
    base = name.split(":")[0]
    words = set(_words(metric))
    if not derived and _COUNTER.search(base):
        if base.endswith("_count"):       # a histogram's observation count: events, whatever it measures
            return "/s"
        return "bytes/s" if "bytes" in words else "s/s" if "seconds" in words else "/s"
    if words & {"ms", "milliseconds"}:
        return "ms"
    if "seconds" in words:
        return "s"
    if "bytes" in words:
        return "bytes"
    if "ratio" in words:
        return "ratio"
    if words & {"percent", "pct", "percentage"}:
        return "percent"
    return ""


def pressure_sign(metric: str) -> int:
    """+1 when pressure on the resource makes the series rise (usage), -1 when it makes it
    fall (free/available/remaining bytes, idle CPU)."""
    return -1 if set(_words(metric)) & _LEFT else 1


def format_quantity(value: float, unit: str) -> str:
    """A value in its unit, scaled for reading: 540 ms, 2.1 s, 9.8 GB, 45 %, 8.1/s."""
    if value is None or not math.isfinite(value):
        return "n/a"
    if unit == "ms":
        return format_quantity(value / 1000.0, "s")
    if unit == "s":
        a = abs(value)
        if a == 0:
            return "0 s"
        if a < 1e-3:
            return f"{value * 1e6:.3g} µs"
        if a < 1:
            return f"{value * 1e3:.3g} ms"
        if a >= 7200:
            return f"{value / 3600:.3g} h"
        if a >= 120:
            return f"{value / 60:.3g} min"
        return f"{value:.3g} s"
    if unit in ("bytes", "bytes/s"):
        rate = "/s" if unit == "bytes/s" else ""
        for scale, name in ((1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
            if abs(value) >= scale:
                return f"{value / scale:.3g} {name}{rate}"
        return f"{value:.3g} B{rate}"
    if unit == "ratio":
        return f"{value * 100:.3g} %"
    if unit == "percent":
        return f"{value:.3g} %"
    if unit == "s/s":                  # CPU seconds per second: cores busy
        return f"{value:.3g} cores"
    if unit == "/s":
        return f"{_plain(value)}/s"
    return _plain(value)


def _plain(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1e4 else f"{value:.3g}"
