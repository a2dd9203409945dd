"""Scoring of 0/1 alarm columns, shared by the detector benches (evaluation code, no aiops import).

Two families:

* `nab_style_score` — windows around labelled anomalies, a sigmoid reward for an early
  detection, a small penalty for every false alarm, a full penalty for every missed window,
  normalised so that 0 = no detections and 100 = every window caught at its first point.
  Written from the published description of the Numenta Anomaly Benchmark's scoring (see
  docs/analytics.md), not from its code; no NAB data is used anywhere.
* `skab_binary`, `skab_changepoint_nab`, `skab_average_delay` — SKAB's leaderboard metrics
  as its `core/metrics.py` computes them (binary F1/FAR/MAR over the test parts; NAB-like
  score and average detection delay over changepoints with 60 s windows to their right).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

PROFILES = {   # (reward for a detection, cost of a false alarm, cost of a missed window)
    "standard": (1.0, 0.11, 1.0),
    "low_fp": (1.0, 0.22, 1.0),
    "low_fn": (1.0, 0.11, 2.0),
}
WINDOW_SHARE = 0.10      # all windows of a series together cover 10 % of its points
PROBATION_SHARE = 0.15   # detections in the first 15 % of a series (at most 750 points) are not scored


def scaled_sigmoid(position: float) -> float:
    """+~1 at a window's start (position -1), 0 at its end (0), towards -1 after it."""
    if position > 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * position)) - 1.0


def nab_windows(n_points: int, anomalies: list[int]) -> list[tuple[int, int]]:
    """[start, end] (inclusive) windows centred on each labelled anomaly index."""
    if not anomalies:
        return []
    width = max(1, int(WINDOW_SHARE * n_points / len(anomalies)))
    out = []
    for a in sorted(anomalies):
        lo, hi = max(0, a - width // 2), min(n_points - 1, a + width // 2)
        if out and lo <= out[-1][1]:          # overlapping windows merge
            out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def probation(n_points: int) -> int:
    return int(min(math.floor(PROBATION_SHARE * n_points), PROBATION_SHARE * 5000))


@dataclass
class NabTally:
    """Raw scores summed over series, per profile, with the counts behind them."""

    raw: dict[str, float] = field(default_factory=lambda: {p: 0.0 for p in PROFILES})
    null: dict[str, float] = field(default_factory=lambda: {p: 0.0 for p in PROFILES})
    perfect: dict[str, float] = field(default_factory=lambda: {p: 0.0 for p in PROFILES})
    windows: int = 0
    hits: int = 0
    false_alarms: int = 0
    detections: int = 0
    delays: list[float] = field(default_factory=list)   # detection position in the window, 0 = its start, 1 = its end

    def add(self, alarms: np.ndarray, anomalies: list[int]) -> None:
        """One series: `alarms` 0/1 per point, `anomalies` the labelled indices."""
        a = np.asarray(alarms).astype(bool)
        n = a.shape[0]
        wins = nab_windows(n, anomalies)
        first = probation(n)
        det = [int(i) for i in np.flatnonzero(a) if i >= first]
        self.windows += len(wins)
        self.detections += len(det)
        caught: dict[int, float] = {}
        fp_weights: list[float] = []
        for i in det:
            k = next((j for j, (lo, hi) in enumerate(wins) if lo <= i <= hi), None)
            if k is not None:
                if k not in caught:
                    lo, hi = wins[k]
                    width = hi - lo + 1
                    caught[k] = scaled_sigmoid(-(hi - i + 1) / width)
                    self.delays.append((i - lo) / width)
                continue
            before = [w for w in wins if w[1] < i]
            if before:
                lo, hi = before[-1]
                fp_weights.append(scaled_sigmoid((i - hi) / (hi - lo + 1)))
            else:
                fp_weights.append(-1.0)
        self.hits += len(caught)
        self.false_alarms += len(fp_weights)
        for name, (a_tp, a_fp, a_fn) in PROFILES.items():
            score = a_tp * sum(caught.values()) + a_fp * sum(fp_weights) - a_fn * (len(wins) - len(caught))
            self.raw[name] += score
            self.null[name] -= a_fn * len(wins)
            self.perfect[name] += a_tp * sum(scaled_sigmoid(-1.0) for _ in wins)

    def normalised(self, profile: str = "standard") -> float:
        span = self.perfect[profile] - self.null[profile]
        return 100.0 * (self.raw[profile] - self.null[profile]) / span if span > 0 else 0.0


# ---- SKAB's leaderboard metrics ----------------------------------------------------------


def skab_binary(truths: list[np.ndarray], preds: list[np.ndarray]) -> tuple[float, float, float]:
    """(F1, FAR %, MAR %) over all points of all test parts, as SKAB's `chp_score(metric='binary')`."""
    tp = tn = fp = fn = 0
    for y, p in zip(truths, preds):
        y, p = np.asarray(y) == 1, np.asarray(p) == 1
        tp += int(np.sum(y & p))
        tn += int(np.sum(~y & ~p))
        fp += int(np.sum(~y & p))
        fn += int(np.sum(y & ~p))
    f1 = tp / (tp + (fn + fp) / 2) if tp + fn + fp else 0.0
    far = 100.0 * fp / (fp + tn) if fp + tn else 0.0
    mar = 100.0 * fn / (fn + tp) if fn + tp else 0.0
    return f1, far, mar


def _skab_windows(ts: np.ndarray, cps: np.ndarray, width_s: float) -> list[tuple[float, float]]:
    """Windows [cp, cp + width] to the right of each changepoint; an overlap cuts the right one."""
    out = [[float(t), float(t) + width_s] for t in ts[np.asarray(cps) == 1]]
    for i in range(len(out) - 1):
        if out[i][1] >= out[i + 1][0]:
            out[i + 1][0] = out[i][1]
    return [(a, b) for a, b in out]


def _skab_confusion(ts: np.ndarray, pred: np.ndarray, wins: list[tuple[float, float]]) -> tuple[dict[int, float], int, int]:
    """First detection time per caught window, number of false alarms, missed windows."""
    times = ts[np.asarray(pred) == 1]
    first: dict[int, float] = {}
    inside = np.zeros(times.shape[0], dtype=bool)
    for k, (lo, hi) in enumerate(wins):
        hit = (times >= lo) & (times <= hi)
        inside |= hit
        if hit.any():
            first[k] = float(times[hit][0])
    return first, int(np.sum(~inside)), len(wins) - len(first)


def _skab_reward(lo: float, t: float, hi: float, a_tp: float, a_fp: float) -> float:
    """SKAB's 'improved' scale: a tanh from a_tp at the window's start to a_fp at its end."""
    x = np.linspace(-np.pi / 2, np.pi / 2, 1000)
    y = (a_tp - a_fp) / 2 * -np.tanh(x) / np.tanh(np.pi / 2) + (a_tp - a_fp) / 2 + a_fp
    event = min(int((t - lo) / (hi - lo) * 1000), 999) if hi > lo else 0
    return float(y[event])


SKAB_PROFILES = {"standard": (1.0, -0.11, -1.0), "low_fp": (1.0, -0.22, -1.0), "low_fn": (1.0, -0.11, -2.0)}


def skab_changepoint_nab(series: list[tuple[np.ndarray, np.ndarray, np.ndarray]], width_s: float = 60.0) -> dict[str, float]:
    """SKAB's NAB-like changepoint score over (timestamps s, true changepoints, predicted) per file."""
    totals = {p: np.zeros(3) for p in SKAB_PROFILES}
    for ts, cps, pred in series:
        wins = _skab_windows(ts, cps, width_s)
        first, n_fp, n_fn = _skab_confusion(ts, pred, wins)
        for name, (a_tp, a_fp, a_fn) in SKAB_PROFILES.items():
            score = a_fp * n_fp + a_fn * n_fn + sum(_skab_reward(wins[k][0], t, wins[k][1], a_tp, a_fp) for k, t in first.items())
            totals[name] += (score, len(wins) * a_fn, len(wins) * a_tp)
    return {p: 100.0 * (v[0] - v[1]) / (v[2] - v[1]) for p, v in totals.items()}


def skab_average_delay(series: list[tuple[np.ndarray, np.ndarray, np.ndarray]], width_s: float = 60.0) -> tuple[float, int, int, int]:
    """(mean delay s of caught changepoints, missed, false alarms, changepoints) as SKAB's 'average_time'."""
    delays: list[float] = []
    missed = false = total = 0
    for ts, cps, pred in series:
        wins = _skab_windows(ts, cps, width_s)
        first, n_fp, n_fn = _skab_confusion(ts, pred, wins)
        delays += [t - wins[k][0] for k, t in first.items()]
        missed += n_fn
        false += n_fp
        total += len(wins)
    return (float(np.mean(delays)) if delays else float("nan")), missed, false, total
