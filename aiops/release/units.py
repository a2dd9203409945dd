"""Human-readable values of the golden signals' units (shared by checks and renderers)."""

from __future__ import annotations

import math

LABELS = {
    "latency_p50": "latency p50", "latency_p90": "latency p90", "latency_p95": "latency p95",
    "latency_p99": "latency p99", "latency_mean": "mean latency", "error_rate": "error rate",
    "traffic": "traffic", "cpu": "CPU per pod", "memory": "memory per pod",
    "log_templates": "log templates", "error_paths": "error trace paths", "restarts": "restarts",
}


def label(check: str) -> str:
    return LABELS.get(check, check.replace("_", " "))


def format_value(value: float | None, unit: str) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    if unit == "s":
        return f"{value * 1000:.1f} ms" if abs(value) < 10 else f"{value:.2f} s"
    if unit == "ratio":
        return f"{value * 100:.2f}%"
    if unit == "bytes":
        return f"{value / 2**20:.0f} MiB"
    if unit == "cores":
        return f"{value:.3f} cores"
    if unit == "req/s":
        return f"{value:.3g} req/s"
    return f"{value:.3g}{(' ' + unit) if unit else ''}"


def format_change(change: float | None, unit: str, additive: bool) -> str:
    if change is None or not math.isfinite(change):
        return "new" if change is not None else "n/a"
    if additive:
        return f"{change * 100:+.2f} points" if unit == "ratio" else f"{change:+.3g}"
    return f"{change * 100:+.0f}%"


def format_check_change(check) -> str:
    """The change column of a CheckResult: relative or in points for golden signals, a
    ratio for logs and traces, the excess over the expected count for restarts."""
    if check.change is None:
        return "n/a"
    if check.category in ("logs", "traces"):
        return f"x{check.change:.1f}"
    if check.category == "restarts":
        return f"{check.change:+.1f}"
    return format_change(check.change, check.unit, check.check == "error_rate")


def format_p(p: float | None) -> str:
    if p is None:
        return "n/a"
    return "p<1e-12" if p < 1e-12 else f"p={p:.1g}" if p < 0.01 else f"p={p:.2f}"
