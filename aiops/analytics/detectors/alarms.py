"""Alarms for one entity: several value columns scored jointly, decided in episodes.

`detect_table(values [N, T], timestamps, ...)` is what `aiops detect` runs. It returns a
per-point score in [0, 1] for the entity as a whole, the anomalous *episodes* (state), their
first points (start: what a monitor alerts on, once per episode) and which columns take
part. The default detector, `adaptive`, decides episodes itself (see `adaptive.py`). Any
other registered detector is scored per column (calibrated, causal or against a fitted
baseline), combined by the smallest tail probability times the number of columns, and cut
into episodes by the threshold (a new episode only after a short quiet spell).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aiops.analytics.detectors.adaptive import AdaptiveEpisodes, p_for_score, score_from_p
from aiops.analytics.detectors.base import as_series

DEFAULT_DETECTOR = "adaptive"
RELEASE_AFTER = 10      # quiet points after which a score-based detector may alert again
MARKS = ("start", "all")
WARMUP = 300           # points that only teach what is normal (analytics.warmup_points)


@dataclass(frozen=True)
class TableAlarms:
    score: np.ndarray      # [T] 0..1
    state: np.ndarray      # [T] bool: inside an anomalous episode
    start: np.ndarray      # [T] bool: first point of an episode
    columns: np.ndarray    # [N, T] bool: the column takes part in the episode at that point

    def marks(self, mark: str = "start") -> np.ndarray:
        """0/1 per point: `start` = first point of each episode, `all` = every point in one."""
        if mark not in MARKS:
            raise ValueError(f"mark must be one of {', '.join(MARKS)}, not {mark!r}")
        return (self.start if mark == "start" else self.state).astype(np.int8)

    def episodes(self) -> list[tuple[int, int, list[int]]]:
        """(first index, last index, columns involved) of every episode, in time order."""
        on = np.concatenate([[False], self.state, [False]])
        edges = np.flatnonzero(on[1:] != on[:-1])
        out = []
        for a, b in zip(edges[::2], edges[1::2]):
            cols = np.flatnonzero(self.columns[:, a:b].any(axis=1)).tolist()
            out.append((int(a), int(b - 1), cols))
        return out


def detect_table(
    values: object,
    timestamps: object | None = None,
    *,
    detector: str = DEFAULT_DETECTOR,
    level: float = 0.9,
    causal: bool = True,
    baseline_end: float | None = None,
    warmup: int = WARMUP,
) -> TableAlarms:
    """Score the columns [N, T] of one entity jointly; timestamps [T] non-decreasing.

    causal=True: each point is judged on the points before it. causal=False: behaviour is
    learnt only before `baseline_end` and every point is judged against that. No episode
    starts in the first `warmup` points (they only teach what is normal).
    """
    x, ts, _ = as_series(values, timestamps)
    n_cols, n = x.shape
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1, not {level!r}")
    n_base = n if causal or baseline_end is None else int(np.searchsorted(ts, baseline_end, side="left"))
    if n == 0:
        empty = np.zeros(0, dtype=bool)
        return TableAlarms(np.zeros(0), empty, empty, np.zeros((n_cols, 0), dtype=bool))
    if detector == DEFAULT_DETECTOR:
        result = AdaptiveEpisodes(level=level, warmup=warmup).run(x, learn_until=None if causal else n_base)
        return TableAlarms(result.score, result.state, result.start, result.columns)
    return _score_based(x, ts, detector, level, causal, baseline_end, warmup)


def _score_based(x: np.ndarray, ts: np.ndarray, detector: str, level: float, causal: bool,
                 baseline_end: float | None, warmup: int) -> TableAlarms:
    from aiops.analytics.detectors.registry import get_detector
    from aiops.analytics.detectors.scan import calibrated_scores

    det = get_detector(detector)
    per_col = np.atleast_2d(calibrated_scores(det, x, ts, causal=causal, baseline_end=baseline_end))
    # back to per-point tail probabilities, Bonferroni over the columns, and a joint score
    with np.errstate(divide="ignore"):
        p = -np.expm1(np.log(np.clip(per_col, 1e-300, 1.0)) / 1440)
    p = np.where(per_col > 0, p, 1.0)
    joint_p = np.minimum(p.min(axis=0) * x.shape[0], 1.0)
    score = score_from_p(joint_p)
    columns = per_col >= level
    state = joint_p <= p_for_score(level)
    state[: min(warmup, state.shape[0])] = False
    # an alert starts an episode only after RELEASE_AFTER quiet points: a flickering score is one episode
    recent = np.convolve(state.astype(np.int64), np.ones(RELEASE_AFTER, dtype=np.int64))[: state.shape[0]]
    before = np.concatenate([[0], recent[:-1]])
    start = state & (before == 0)
    return TableAlarms(score, state, start, columns & state[None, :])
