"""Series that stop reporting: the metric evidence of a target that went away.

A database that is down, a pod that crashed or hangs, an exporter that cannot reach its
target: Prometheus keeps the `up` series (at 0) and little else, so every other series of
the target has a hole. A shift scan cannot see a hole (there is nothing to compare), so
holes are scanned on their own: per series, the longest run of empty buckets after the
baseline, compared with the longest run the same series had in its baseline (scrapes are
missed now and then; a rate needs two samples).

A hole counts when the series was covered before (>= 40 % of baseline buckets: scrapes
may be sparser than the buckets), the
run is at least `MIN_GAP_S` long and at least twice (plus one bucket) the longest
baseline run. Whether the series came back (`resumed`) tells an outage or a restart from
a series that simply ended (a pod replaced by a rollout: callers decide with the rest of
the service's series, see `aiops.tooling.scans.metrics`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_GAP_S = 60.0          # shorter holes are scrape noise
MIN_COVERAGE = 0.4        # baseline buckets with data needed to call a hole unusual
MIN_GAP_BUCKETS = 2       # one missing scrape is jitter, whatever the scrape interval


@dataclass(frozen=True)
class GapScan:
    found: np.ndarray      # [N] bool: an unusual hole after the baseline
    start: np.ndarray      # [N] unix s of the first empty bucket of the longest hole (NaN if none)
    end: np.ndarray        # [N] unix s where data came back (NaN if it never did)
    resumed: np.ndarray    # [N] bool


def _longest_runs(missing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: length of the longest run of True and the column where it ends (inclusive)."""
    n, t = missing.shape
    run = np.zeros(n, dtype=np.int64)
    best = np.zeros(n, dtype=np.int64)
    best_end = np.full(n, -1, dtype=np.int64)
    for j in range(t):
        run = np.where(missing[:, j], run + 1, 0)
        longer = run > best
        best = np.where(longer, run, best)
        best_end = np.where(longer, j, best_end)
    return best, best_end


def scan_gaps(values: np.ndarray, timestamps: np.ndarray, baseline_end: float, step: float) -> GapScan:
    x = np.asarray(values, dtype=np.float64)
    ts = np.asarray(timestamps, dtype=np.float64)
    n, t = x.shape if x.ndim == 2 else (0, 0)
    nb = int(np.searchsorted(ts, baseline_end, side="left"))
    empty = np.full(n, np.nan)
    if n == 0 or nb == 0 or nb >= t:
        return GapScan(np.zeros(n, dtype=bool), empty, empty, np.zeros(n, dtype=bool))
    missing = ~np.isfinite(x)
    coverage = 1.0 - missing[:, :nb].mean(axis=1)
    base_run, _ = _longest_runs(missing[:, :nb])
    post_run, post_end = _longest_runs(missing[:, nb:])
    need = np.maximum(np.maximum(np.ceil(MIN_GAP_S / step), MIN_GAP_BUCKETS), 2 * base_run + 1)
    first = nb + post_end - post_run + 1
    last = nb + post_end
    ends_open = last >= t - 1
    # a hole that runs to the end of the data may be the export ending a little early for this
    # series: it needs one bucket more before it says anything
    found = (coverage >= MIN_COVERAGE) & (post_run >= need + ends_open)
    resumed = found & ~ends_open
    start = np.where(found, ts[np.clip(first, 0, t - 1)], np.nan)
    end = np.where(resumed, ts[np.clip(last + 1, 0, t - 1)], np.nan)
    return GapScan(found, start, end, resumed)
