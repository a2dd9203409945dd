"""Trivial root-cause rankings that every accuracy figure is printed beside.

A diagnosis is worth something only where it beats what a one-line ranking of the same
data gets. Four such rankings, each over every service that has data in the bundle, the
alert time (`started_at`, else the middle of the window) splitting before from after:

* ``random``: every service equally likely (its expected accuracy, k / services);
* ``metric_shift``: the largest robust shift of any metric series of the service, BARO's
  scaling (Pham et al., FSE 2024): (value - median before) / IQR before, an IQR of 0 counting
  as 1 (scikit-learn's RobustScaler), the largest |z| after the alert; counters as rates;
* ``span_latency``: the shift of the median span duration per service and operation,
  (median after - median before) / IQR before (an IQR of 0 counting as 1 µs), the largest;
* ``error_logs``: most error log lines (error level or error words) after the alert.

Ties are scored by their expectation (a truth tied with m others at the cut gets its share),
so a ranking that cannot tell services apart is not lucky or unlucky by name order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from aiops.analytics.logs import ERROR_LEVELS, is_error_text
from aiops.domain import Incident
from aiops.telemetry.reader import TelemetryReader

BASELINES = ("random", "metric_shift", "span_latency", "error_logs")
MAX_GRID_POINTS = 2000      # the metric grid of a baseline: native resolution, at most this many buckets


@dataclass(frozen=True)
class BaselineScores:
    """name -> service -> score (higher = more suspect); services without data are absent."""

    services: tuple[str, ...]
    scores: dict[str, dict[str, float]]

    def hit(self, name: str, truth: tuple[str, ...], k: int) -> float:
        """Expected top-k hit (0..1) of ranking `name`, ties shared, services without data last."""
        if name == "random":
            n = len(self.services)
            return min(1.0, k / n) if n and any(t in self.services for t in truth) else 0.0
        return expected_hit(self.scores.get(name, {}), self.services, truth, k)


def expected_hit(scores: dict[str, float], services: tuple[str, ...], truth: tuple[str, ...], k: int) -> float:
    """P(a true service is within the first k) when ties are broken at random."""
    vals = {s: scores.get(s, -math.inf) for s in services}
    best = 0.0
    for t in truth:
        if t not in vals:
            continue
        v = vals[t]
        above = sum(1 for x in vals.values() if x > v)
        tied = sum(1 for x in vals.values() if x == v)
        best = max(best, min(1.0, max(0.0, (k - above) / tied)))
    return best


def onset_of(incident: Incident) -> float:
    w = incident.window
    return incident.started_at if incident.started_at is not None else (w.start + w.end) / 2.0


def _robust_z_max(before: np.ndarray, after: np.ndarray) -> float:
    before, after = before[np.isfinite(before)], after[np.isfinite(after)]
    if len(before) == 0 or len(after) == 0:
        return -math.inf
    q25, med, q75 = np.percentile(before, (25, 50, 75))
    iqr = q75 - q25
    scale = iqr if iqr > 0 else 1.0
    return float(np.max(np.abs(after - med)) / scale)


def _median_shift(before: np.ndarray, after: np.ndarray) -> float:
    if len(before) == 0 or len(after) == 0:
        return -math.inf
    q25, med, q75 = np.percentile(before, (25, 50, 75))
    return float(abs(np.median(after) - med) / (q75 - q25 if q75 > q25 else 1.0))


def metric_shift(store: TelemetryReader, incident: Incident) -> dict[str, float]:
    span = store.metric_span(incident.window.start, incident.window.end)
    if span is None:
        return {}
    lo, hi, step = span
    step = max(step, (hi - lo) / MAX_GRID_POINTS)
    grid = store.metric_grid(lo, hi + step, step, counter_rates=True)
    onset = onset_of(incident)
    pre = grid.timestamps < onset
    out: dict[str, float] = {}
    for key, row in zip(grid.keys, grid.values):
        z = _robust_z_max(row[pre], row[~pre])
        if z > out.get(key.service, -math.inf):
            out[key.service] = z
    return out


def span_latency(store: TelemetryReader, incident: Incident) -> dict[str, float]:
    w = incident.window
    spans = store.span_table(w.start, w.end)
    if len(spans["span_id"]) == 0:
        return {}
    onset = onset_of(incident)
    svc = np.asarray(spans["service"], dtype=object)
    op = np.asarray(spans["operation"], dtype=object)
    dur = np.asarray(spans["duration_us"], dtype=np.float64)
    after = np.asarray(spans["start"], dtype=np.float64) >= onset
    out: dict[str, float] = {}
    keys = np.char.add(np.char.add(svc.astype(str), "\x00"), op.astype(str))
    order = np.argsort(keys, kind="stable")
    uniq, first = np.unique(keys[order], return_index=True)
    for i, start in enumerate(first):
        rows = order[start:first[i + 1] if i + 1 < len(first) else len(order)]
        z = _median_shift(dur[rows][~after[rows]], dur[rows][after[rows]])
        service = str(svc[rows[0]])
        if z > out.get(service, -math.inf):
            out[service] = z
    return out


def error_logs(store: TelemetryReader, incident: Incident) -> dict[str, float]:
    rec = store.log_records(onset_of(incident), incident.window.end)
    out: dict[str, float] = {}
    for service, level, message in zip(rec["service"], rec["level"], rec["message"]):
        if str(level).lower() in ERROR_LEVELS or is_error_text(str(message)):
            out[str(service)] = out.get(str(service), 0.0) + 1.0
    return out


def baseline_scores(store: TelemetryReader, incident: Incident) -> BaselineScores:
    """Every baseline ranking of one bundle's data."""
    services = tuple(store.services())
    return BaselineScores(services, {"metric_shift": metric_shift(store, incident),
                                     "span_latency": span_latency(store, incident),
                                     "error_logs": error_logs(store, incident)})
