"""Score calibration and thresholds: post-processing shared by every detector.

`ScoreCalibrator` maps raw scores (robust-z units) to [0, 1] in two steps:

1. normalise: divide |raw| by a per-series tail scale fitted on baseline raw scores — the
   factor by which their upper tail (99th percentile, or less for short baselines) is
   heavier than a normal one, never below 1 (so a quiet baseline never amplifies scores).
   Heavy-tailed or bursty series are thereby judged against their own normal extremes.
2. probability: score = P(the largest |z| among `reference_points` normal points is below
   |z|) = (1 - two-sided tail(z)) ** reference_points. With the default 1440 points (a
   day of minutes), 0.9 means |z| ~ 4.0: a day of normal data would reach it only one time
   in ten. The same number therefore means the same for every detector.

`Threshold` turns calibrated scores into 0/1 with an optional minimum duration and
hysteresis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aiops.analytics.detectors.robust_stats import nan_quantile_sorted

DEFAULT_REFERENCE_POINTS = 1440
FIRST_CHECKPOINT = 32      # causal mode: the tail scale is refitted on the prefix at these points
CHECKPOINT_GROWTH = 1.5


class ScoreCalibrator:
    """Raw detector scores -> calibrated [0, 1]; see the module docstring."""

    def __init__(
        self,
        reference_points: int = DEFAULT_REFERENCE_POINTS,
        tail_quantile: float = 0.99,
        min_scale: float = 1.0,
        min_count: int = 16,
    ) -> None:
        if reference_points < 1 or not 0.5 < tail_quantile < 1.0 or min_scale <= 0:
            raise ValueError("reference_points >= 1, 0.5 < tail_quantile < 1 and min_scale > 0 are required")
        self.reference_points = int(reference_points)
        self.tail_quantile = float(tail_quantile)
        self.min_scale = float(min_scale)
        self.min_count = int(min_count)
        self.scale_: np.ndarray | None = None

    def fit(self, raw: np.ndarray) -> "ScoreCalibrator":
        """Fit the per-series tail scale on baseline raw scores [N, T] (NaN ignored)."""
        self.scale_ = self._tail_scale(np.atleast_2d(np.asarray(raw, dtype=float)))
        return self

    def _tail_scale(self, raw: np.ndarray) -> np.ndarray:
        from scipy.special import ndtri

        s = np.sort(np.abs(raw), axis=1)
        n = np.count_nonzero(~np.isnan(s), axis=1)
        q = np.minimum(self.tail_quantile, 1.0 - 1.0 / np.maximum(n, 2))
        q = np.maximum(q, 0.5)
        observed = nan_quantile_sorted(s, n, q)
        expected = ndtri(0.5 + q / 2.0)   # the same quantile of |N(0, 1)|
        scale = np.where(n >= self.min_count, observed / expected, self.min_scale)
        return np.maximum(np.nan_to_num(scale, nan=self.min_scale), self.min_scale)

    def normalize(self, raw: np.ndarray, causal: bool = False) -> np.ndarray:
        """Signed raw / tail scale. causal=True refits the scale on prefixes only."""
        raw = np.asarray(raw, dtype=float)
        squeeze = raw.ndim == 1
        r2 = np.atleast_2d(raw)
        if causal:
            scale = self._causal_scale(r2)
        else:
            if self.scale_ is None:
                raise RuntimeError("ScoreCalibrator: call fit() before normalize(causal=False)")
            if self.scale_.shape[0] != r2.shape[0]:
                raise ValueError(f"calibrator fitted on {self.scale_.shape[0]} series, got {r2.shape[0]}")
            scale = self.scale_[:, None]
        z = r2 / scale
        return z[0] if squeeze else z

    def _causal_scale(self, raw: np.ndarray) -> np.ndarray:
        n_rows, n_cols = raw.shape
        scale = np.full((n_rows, n_cols), self.min_scale)
        cut = FIRST_CHECKPOINT
        while cut < n_cols:
            nxt = max(cut + 1, int(cut * CHECKPOINT_GROWTH))
            scale[:, cut:nxt] = self._tail_scale(raw[:, :cut])[:, None]
            cut = nxt
        return scale

    def probability(self, z: np.ndarray) -> np.ndarray:
        """|z| -> [0, 1]: chance that `reference_points` normal points all stay below |z|."""
        from scipy.special import ndtr

        z = np.abs(np.asarray(z, dtype=float))
        tail = 2.0 * ndtr(-z)
        with np.errstate(divide="ignore"):
            p = np.exp(self.reference_points * np.log1p(-tail))
        return np.where(np.isnan(z), 0.0, np.clip(p, 0.0, 1.0))

    def z_for(self, score: float) -> float:
        """The |z| whose calibrated score is `score` (the inverse of `probability`)."""
        from scipy.special import ndtri

        if not 0.0 < score < 1.0:
            raise ValueError(f"score must be strictly between 0 and 1, not {score!r}")
        tail = -np.expm1(np.log(score) / self.reference_points)
        return float(ndtri(1.0 - tail / 2.0))

    def transform(self, raw: np.ndarray, causal: bool = False) -> np.ndarray:
        """Raw scores -> calibrated scores in [0, 1] (NaN -> 0)."""
        return self.probability(self.normalize(raw, causal=causal))


@dataclass(frozen=True)
class Threshold:
    """Calibrated score -> anomaly 0/1.

    level: a point is "on" when its score >= level.
    release: hysteresis — once on, stay on while the score >= release (default: level).
    min_duration: only runs of at least this many consecutive "on" points count. Causal
    application flags a run from its min_duration-th point on (a live monitor cannot
    know earlier); non-causal application flags the whole run.
    """

    level: float = 0.9
    min_duration: int = 1
    release: float | None = None

    def __post_init__(self) -> None:
        if not 0.0 < self.level < 1.0:
            raise ValueError(f"threshold level must be between 0 and 1, not {self.level!r}")
        if self.min_duration < 1:
            raise ValueError(f"min_duration must be >= 1, not {self.min_duration!r}")
        if self.release is not None and not 0.0 <= self.release <= self.level:
            raise ValueError(f"release must be between 0 and level, not {self.release!r}")

    def apply(self, scores: np.ndarray, causal: bool = True) -> np.ndarray:
        """int8 array of 0/1, same shape as `scores` (NaN counts as 0)."""
        s = np.nan_to_num(np.asarray(scores, dtype=float), nan=0.0)
        squeeze = s.ndim == 1
        s = np.atleast_2d(s)
        on = s >= self.level
        if self.release is not None and self.release < self.level:
            hold = s >= self.release
            state = np.zeros(s.shape[0], dtype=bool)
            for t in range(s.shape[1]):
                state = on[:, t] | (state & hold[:, t])
                on[:, t] = state
        if self.min_duration > 1:
            ahead = run_length(on)
            if causal:
                on = ahead >= self.min_duration
            else:
                total = ahead + run_length(on[:, ::-1])[:, ::-1] - 1
                on = on & (total >= self.min_duration)
        out = on.astype(np.int8)
        return out[0] if squeeze else out


def run_length(on: np.ndarray) -> np.ndarray:
    """For each t, how many consecutive True values end at t (0 where False)."""
    n_cols = on.shape[1]
    idx = np.arange(n_cols)
    last_off = np.maximum.accumulate(np.where(on, -1, idx[None, :]), axis=1)
    return np.where(on, idx[None, :] - last_off, 0)
