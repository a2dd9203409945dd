"""Metric evidence: scan every series of the window against its baseline."""

from __future__ import annotations

import math

import numpy as np

from aiops.agent.evidence import Investigation, StepResult
from aiops.analytics.shift import scan_shifts
from aiops.analytics.signals import signal_class
from aiops.domain import Finding
from aiops.timeutil import to_rfc3339

MIN_SCORE = 0.05         # weaker series are not evidence
TARGET_BUCKETS = 180     # grid resolution: about this many points across the window


def grid_step(window_s: float) -> float:
    """A bucket size that keeps ~TARGET_BUCKETS points, never finer than 5 s."""
    return float(max(5, int(math.ceil(window_s / TARGET_BUCKETS / 5.0)) * 5))


def _describe(metric: str, direction: int, rel: float, z: float, onset: float | None, pod: str) -> str:
    where = f" on {pod}" if pod else ""
    if math.isfinite(rel) and abs(rel) < 100:
        change = f"{'+' if rel >= 0 else ''}{rel * 100:.0f}%"
    else:
        change = "up" if direction > 0 else "down" if direction < 0 else "changed"
    since = f" since {to_rfc3339(onset)}" if onset is not None else ""
    return f"{metric}{where} {change} vs baseline (robust z {z:.1f}){since}"


def metric_findings(inv: Investigation) -> StepResult:
    w = inv.incident.window
    grid = inv.store.metric_grid(w.start, w.end, grid_step(w.seconds), counter_rates=True)
    if len(grid) == 0:
        return StepResult("no_data", "no metric samples in the window")
    scan = scan_shifts(grid.values, grid.timestamps, inv.baseline_end)
    found: list[Finding] = []
    for i in np.flatnonzero(scan.valid & (scan.score >= MIN_SCORE)):
        key = grid.keys[i]
        onset = float(scan.onset[i]) if np.isfinite(scan.onset[i]) else None
        cls = signal_class(key.metric)
        found.append(Finding(
            kind="metric", service=key.service, signal=key.metric, score=float(scan.score[i]),
            summary=_describe(key.metric, int(scan.direction[i]), float(scan.rel_change[i]),
                              float(scan.stat[i]) * int(scan.direction[i]), onset, key.pod),
            onset=onset, direction=int(scan.direction[i]), magnitude=float(scan.stat[i]),
            component=f"pod/{key.pod}" if key.pod else "", ref=str(key), tags=(cls,),
        ))
    found.sort(key=lambda f: (-f.score, f.service, f.signal))
    inv.add(found)
    n_bad = len({(f.service, f.signal) for f in found})
    return StepResult("ok", f"{len(grid)} series scanned, {n_bad} anomalous", found)
