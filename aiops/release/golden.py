"""Golden signals per service from the store's metrics: latency percentiles, error ratio,
traffic, saturation (CPU, memory), bucketed over the release windows.

Metric names are read by vocabulary, not by a fixed list (`aiops.analytics.signals`):
a latency-class series whose name or `quantile` label says p50/p90/p95/p99 is that
percentile; `<x>_sum` / `<x>_count` pairs of a duration histogram give the mean latency
(and `<x>_count` the traffic when nothing else does); an error-class counter divided by a
traffic counter of the same service gives the error ratio (an error ratio gauge is used
as it is); CPU seconds counters (cores) or CPU ratios, and working-set / resident memory
are the saturation signals. Pods are aggregated per service (traffic and errors summed,
the rest averaged), so a rolling deploy that replaces every pod keeps one continuous series.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from aiops.analytics.histograms import histogram_quantile, parse_le
from aiops.analytics.signals import counts_timed_requests, signal_class
from aiops.release.model import ReleaseWindows
from aiops.telemetry.reader import TelemetryReader

BUCKETS_AFTER = 30        # the after window is cut into about this many buckets
MIN_STEP_S = 15.0
_PERCENTILE = re.compile(r"(?:^|_)p(50|90|95|99)(?:_|$)|(?:^|_)(50|90|95|99)(?:th)?_?percentile")
_QUANTILE_LABEL = {"0.5": "50", "0.9": "90", "0.95": "95", "0.99": "99"}
_RATIO = re.compile(r"ratio|percent|pct|(?:^|_)rate(?:_|$)")
_PERSEC = re.compile(r"per_second|rps|qps|throughput")
_MEMORY = re.compile(r"working_set|rss|memory_usage|memory_bytes|mem_used|memory_used")
SUM_SUFFIX, COUNT_SUFFIX = "_sum", "_count"

# signal -> (unit, aggregation over pods, direction that hurts, scale)
SIGNALS: dict[str, tuple[str, str, int, str]] = {
    "latency_p50": ("s", "mean", 1, "ratio"),
    "latency_p90": ("s", "mean", 1, "ratio"),
    "latency_p95": ("s", "mean", 1, "ratio"),
    "latency_p99": ("s", "mean", 1, "ratio"),
    "latency_mean": ("s", "mean", 1, "ratio"),
    "error_rate": ("ratio", "mean", 1, "additive"),
    "traffic": ("req/s", "sum", -1, "ratio"),
    "cpu": ("cores", "mean", 1, "ratio"),
    "memory": ("bytes", "mean", 1, "ratio"),
}


def bucket_step(after_s: float) -> float:
    """Bucket size: about BUCKETS_AFTER buckets after the release, a multiple of 5 s, >= 15 s."""
    return float(max(MIN_STEP_S, math.ceil(after_s / BUCKETS_AFTER / 5.0) * 5.0))


@dataclass
class SignalSeries:
    service: str
    signal: str                                   # a key of SIGNALS
    source: str                                   # the metric name(s) it came from
    timestamps: np.ndarray                        # bucket starts over the release day's span
    values: np.ndarray
    n_before: int                                 # buckets of the baseline
    history: list[np.ndarray] = field(default_factory=list)   # the same span on previous days, aligned
    pairs: list[tuple[np.ndarray, np.ndarray]] | None = None  # (before, after) per previous day, when not aligned

    @property
    def unit(self) -> str:
        return SIGNALS[self.signal][0]

    @property
    def before(self) -> np.ndarray:
        return self.values[: self.n_before]

    @property
    def after(self) -> np.ndarray:
        return self.values[self.n_before:]

    def history_pairs(self) -> list[tuple[np.ndarray, np.ndarray]]:
        if self.pairs is not None:
            return self.pairs
        return [(h[: self.n_before], h[self.n_before:]) for h in self.history]


def _role(metric: str, labels: dict[str, str], is_rate: bool) -> str | None:
    """What a series says about its service: a SIGNALS key, or a part of one
    ('errors', 'latency_sum', 'latency_count'), or None."""
    name = metric.lower()
    if is_rate and counts_timed_requests(name):
        return "latency_count"     # a duration histogram's count: requests, paired with its _sum
    cls = signal_class(name)
    if cls == "latency":
        m = _PERCENTILE.search(name)
        q = _QUANTILE_LABEL.get(labels.get("quantile", ""))
        if m or q:
            return f"latency_p{q or m.group(1) or m.group(2)}"
        if name.endswith(SUM_SUFFIX) and is_rate:
            return "latency_sum"
        if name.endswith(COUNT_SUFFIX) and is_rate:
            return "latency_count"
        return None
    if cls == "errors":
        if is_rate:
            return "errors"
        return "error_ratio" if _RATIO.search(name) else None
    if cls == "traffic":
        return "traffic" if is_rate or _PERSEC.search(name) else None
    if cls == "cpu" and "throttl" not in name:
        return "cpu" if is_rate or _RATIO.search(name) or "usage" in name else None
    if cls == "memory" and _MEMORY.search(name):
        return "memory"
    return None


def _scale_of(metric: str) -> float:
    name = metric.lower()
    if "milliseconds" in name or name.endswith("_ms") or "_ms_" in name:
        return 1e-3
    if "microseconds" in name or name.endswith("_us") or "_us_" in name:
        return 1e-6
    if "percent" in name or "pct" in name:
        return 1e-2
    return 1.0


def _aggregate(rows: np.ndarray, how: str) -> np.ndarray:
    with np.errstate(all="ignore"):
        n = np.isfinite(rows).sum(axis=0)
        total = np.nansum(rows, axis=0)
        out = total if how == "sum" else total / np.maximum(n, 1)
    return np.where(n > 0, out, np.nan)


def _pick_metric(candidates: dict[str, list], role: str) -> str:
    """One metric name per (service, role): prefer request-named traffic and working-set
    memory, then the metric with the most series, then the name."""
    def rank(name: str) -> tuple:
        lowered = name.lower()
        prefer = ("request" in lowered) if role in ("traffic", "errors") else \
            ("working_set" in lowered) if role == "memory" else ("usage" in lowered) if role == "cpu" else False
        return (not prefer, -len(candidates[name]), name)

    return min(candidates, key=rank)


_COUNTER_NAME = re.compile(r"(_total|_count|_sum|_bucket)$")
_BUCKET = re.compile(r"^(.*)_bucket$")
_RATE_ROLES = ("errors", "traffic", "latency_sum", "latency_count", "cpu")


def _series_by_role(rates, raw, services: set[str] | None) -> dict[tuple[str, str], tuple[str, np.ndarray]]:
    """(service, role) -> (metric name, values aggregated over pods) for one window.

    Counters come from `rates` (the store's per-second rates); gauges from `raw` (bucket
    means), so a short-lived gauge that happens to only rise (a batch pod's memory) is
    never read as a counter."""
    raw_row = {key: i for i, key in enumerate(raw.keys)}
    found: dict[tuple[str, str], dict[str, list[np.ndarray]]] = {}
    buckets: dict[tuple[str, str], dict[float, list[np.ndarray]]] = {}
    for i, key in enumerate(rates.keys):
        if services is not None and key.service not in services:
            continue
        lowered = key.metric.lower()
        bucket = _BUCKET.match(key.metric)
        if bucket and rates.is_rate[i] and signal_class(bucket.group(1)) == "latency":
            le = parse_le(dict(key.labels).get("le", ""))
            if le is not None:   # summed over pods and other labels, as `sum by (le)` would
                buckets.setdefault((key.service, bucket.group(1)), {}).setdefault(le, []).append(rates.values[i])
            continue
        gauge_name = bool(_PERSEC.search(lowered) or _RATIO.search(lowered))   # rps, ratio, percent: a gauge
        counter = bool(_COUNTER_NAME.search(lowered)) or (bool(rates.is_rate[i]) and not gauge_name)
        role = _role(key.metric, dict(key.labels), counter)
        if role is None:
            continue
        if role in _RATE_ROLES and counter:
            row = rates.values[i]
        elif key in raw_row:
            row = raw.values[raw_row[key]]
        else:
            continue
        found.setdefault((key.service, role), {}).setdefault(key.metric, []).append(row)
    out = {}
    for (service, role), by_metric in found.items():
        metric = _pick_metric(by_metric, role)
        how = "sum" if role in ("traffic", "errors", "latency_sum", "latency_count") else "mean"
        scale = 1.0 if role in ("traffic", "errors", "latency_count") else _scale_of(metric)   # counts have no unit
        out[(service, role)] = (metric, _aggregate(np.array(by_metric[metric]), how) * scale)
    for (service, base), by_le in sorted(buckets.items()):
        if len(by_le) < 2:
            continue
        bounds = np.array(sorted(by_le))
        cumulative = np.array([_aggregate(np.array(by_le[b]), "sum") for b in bounds])
        for q in (50, 90, 99):
            if (service, f"latency_p{q}") not in out:     # a percentile the service exports itself wins
                out[(service, f"latency_p{q}")] = (f"histogram_quantile(0.{q}, {base}_bucket)",
                                                  histogram_quantile(q / 100, bounds, cumulative) * _scale_of(base))
    return out


def _signals_of(parts: dict[tuple[str, str], tuple[str, np.ndarray]]) -> dict[tuple[str, str], tuple[str, np.ndarray]]:
    """Finished signals from the parts: error ratio and mean latency need two series."""
    out = {k: v for k, v in parts.items() if k[1] in SIGNALS}
    services = {s for s, _ in parts}
    with np.errstate(all="ignore"):
        for s in services:
            if (s, "traffic") not in out and (s, "latency_count") in parts:
                out[(s, "traffic")] = parts[(s, "latency_count")]
            traffic = out.get((s, "traffic"))
            if (s, "errors") in parts and traffic is not None and (s, "error_ratio") not in parts:
                name, err = parts[(s, "errors")]
                out[(s, "error_rate")] = (f"{name} / {traffic[0]}",
                                          np.where(traffic[1] > 0, err / np.where(traffic[1] > 0, traffic[1], 1.0), np.nan))
            elif (s, "error_ratio") in parts:
                out[(s, "error_rate")] = parts[(s, "error_ratio")]
            if (s, "latency_sum") in parts and (s, "latency_count") in parts:
                (n1, total), (n2, count) = parts[(s, "latency_sum")], parts[(s, "latency_count")]
                out[(s, "latency_mean")] = (f"{n1} / {n2}", np.where(count > 0, total / np.where(count > 0, count, 1.0), np.nan))
    return out


def golden_signals(store: TelemetryReader, windows: ReleaseWindows, services: tuple[str, ...] = (),
                   history_days: list[int] | None = None) -> list[SignalSeries]:
    """Every golden signal with data on the release day, with the same hours of the given
    previous days (`history_days`, e.g. [1, 2]) aligned to it."""
    step = bucket_step(windows.after_s)
    wanted = set(services) or None
    span = windows.span
    n_before = int(round(windows.baseline_s / step))
    start = windows.deployed_at - n_before * step

    def signals(back: int) -> dict[tuple[str, str], tuple[str, np.ndarray]]:
        shift = back * 86400.0
        svc = sorted(wanted) if wanted else None
        rates = store.metric_grid(start - shift, span.end - shift, step, counter_rates=True, services=svc)
        raw = store.metric_grid(start - shift, span.end - shift, step, counter_rates=False, services=svc)
        return _signals_of(_series_by_role(rates, raw, wanted))

    today = signals(0)
    days = [(back, signals(back)) for back in (history_days or [])]
    out = []
    for (service, signal), (metric, values) in sorted(today.items()):
        ts = start + step * np.arange(len(values))
        history = []
        for _, found in days:
            if (service, signal) in found:
                history.append(found[(service, signal)][1])     # same start offset and step: aligned
        out.append(SignalSeries(service, signal, metric, ts, values, n_before, history))
    return out
