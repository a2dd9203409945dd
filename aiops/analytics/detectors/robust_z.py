"""Detectors built on the robust (median/MAD, optionally seasonal) baseline.

* `SeasonalMadDetector` — the robust z-score of each point on the seasonal residual.
* `LevelShiftDetector` — a sustained shift: over trailing windows of 4..32 points, the
  mean of the clipped robust z times sqrt(window), the largest in absolute value, divided
  by the square root of the variance inflation that the z-scores' lag-1 autocorrelation
  causes for window sums ((1 + rho) / (1 - rho), AR(1) approximation; rho from the
  baseline, or in causal mode from a trailing window that ends before the sum windows).
  One outlier contributes at most `clip / 2`, so single spikes do not look like shifts.
* `SpikeDetector` — a sudden jump relative to the few points just before, so a spike on
  top of an already shifted level still stands out while a held level does not.

All three share one `RobustBaseline`, which the ensemble exploits to compute it once.
"""

from __future__ import annotations

import numpy as np

from aiops.analytics.detectors.base import Detector
from aiops.analytics.detectors.baseline import RobustBaseline
from aiops.analytics.detectors.robust_stats import trailing_median

SHIFT_WINDOWS = (4, 8, 16, 32)
SHIFT_CLIP = 4.0
PRIOR_RHO, PRIOR_WEIGHT = 0.5, 30.0   # metrics are usually autocorrelated until shown otherwise
MAX_RHO = 0.95
AUTOCORR_WINDOW = 240


class RobustZDetector(Detector):
    """Base for detectors whose raw score is a function of the robust z-score."""

    name = "robust_z"

    def __init__(
        self,
        period: float | str | None = "auto",
        window: int = 90,
        scale_window: int = 120,
        min_points: int = 12,
        trend: bool = True,
        baseline: RobustBaseline | None = None,
    ) -> None:
        super().__init__()
        self.baseline = baseline or RobustBaseline(
            period=period, window=window, scale_window=scale_window, min_points=min_points, trend=trend
        )

    def _fit(self, x: np.ndarray, ts: np.ndarray) -> None:
        self.baseline.fit(x, ts)
        self.fit_from_z(self.baseline.fitted_z(x, ts))

    def _score(self, x: np.ndarray, ts: np.ndarray) -> np.ndarray:
        return self.from_z(self.baseline.fitted_z(x, ts), causal=False)

    def _score_causal(self, x: np.ndarray, ts: np.ndarray) -> np.ndarray:
        return self.from_z(self.baseline.causal_z(x, ts), causal=True)

    def fit_from_z(self, z_baseline: np.ndarray) -> None:
        """Learn anything beyond the shared baseline from its in-sample z-scores."""

    def from_z(self, z: np.ndarray, causal: bool) -> np.ndarray:
        """This detector's raw score from the robust z-scores (only uses z at or before t)."""
        return z

    def __repr__(self) -> str:
        b = self.baseline
        return f"{type(self).__name__}(period={b.period!r}, window={b.window}, scale_window={b.scale_window})"


class SeasonalMadDetector(RobustZDetector):
    """Robust z-score (median/MAD) of the seasonal residual of every point."""

    name = "seasonal_mad"


class LevelShiftDetector(RobustZDetector):
    """Sustained level shift: windowed mean of clipped robust z, scaled by sqrt(window)."""

    name = "level_shift"

    def __init__(self, windows: tuple[int, ...] = SHIFT_WINDOWS, clip: float = SHIFT_CLIP, **params: object) -> None:
        super().__init__(**params)  # type: ignore[arg-type]
        if not windows or min(windows) < 2:
            raise ValueError("level_shift windows must be >= 2 points")
        self.windows = tuple(int(w) for w in windows)
        self.clip = float(clip)

    def fit_from_z(self, z_baseline: np.ndarray) -> None:
        profile_var = getattr(self.baseline, "profile_var_", None)
        extra = profile_var if profile_var is not None and profile_var.shape[0] == z_baseline.shape[0] else 0.0
        self.inflation_ = variance_inflation(z_baseline, self.clip) + extra

    def from_z(self, z: np.ndarray, causal: bool) -> np.ndarray:
        if causal:
            inflation = rolling_variance_inflation(z, self.clip, lag=max(self.windows))
        else:
            inflation = getattr(self, "inflation_", None)
            if inflation is None or inflation.shape[0] != z.shape[0]:
                raise RuntimeError("level_shift: fit() before scoring non-causally")
            inflation = inflation[:, None]
        return shift_statistic(z, self.windows, self.clip) / np.sqrt(inflation)


class SpikeDetector(RobustZDetector):
    """A jump relative to the median of the previous `lookback` points, in z units."""

    name = "spike"

    def __init__(self, lookback: int = 5, **params: object) -> None:
        super().__init__(**params)  # type: ignore[arg-type]
        if lookback < 1:
            raise ValueError("spike lookback must be >= 1 point")
        self.lookback = int(lookback)

    def from_z(self, z: np.ndarray, causal: bool) -> np.ndarray:
        local, _ = trailing_median(z, self.lookback, min_count=1)
        # the difference of two noisy terms: normalise back to unit variance
        return (z - local) / np.sqrt(1.0 + 1.5708 / self.lookback)


def shift_statistic(z: np.ndarray, windows: tuple[int, ...] = SHIFT_WINDOWS, clip: float = SHIFT_CLIP) -> np.ndarray:
    """Signed max over trailing windows of sum(clip(z)) / sqrt(window); NaN where z is NaN.

    Missing z inside a window count as 0 (no evidence either way); windows that reach
    back before the start use the points available, from half the window on.
    """
    missing = np.isnan(z)
    n_rows, n_cols = z.shape
    # float32 is plenty for sums of at most 32 clipped z-scores and halves memory traffic
    cs = np.zeros((n_rows, n_cols + 1), dtype=np.float32)
    np.clip(z, -clip, clip, out=cs[:, 1:], casting="same_kind")
    cs[:, 1:][missing] = 0.0
    np.cumsum(cs[:, 1:], axis=1, out=cs[:, 1:])
    hi = np.zeros((n_rows, n_cols), dtype=np.float32)
    lo = np.zeros((n_rows, n_cols), dtype=np.float32)
    buf = np.empty((n_rows, n_cols), dtype=np.float32)
    available = np.arange(1, n_cols + 1, dtype=np.float32)
    for m in windows:
        _trailing_sum(cs, m, out=buf)
        count = np.minimum(available, m)
        buf *= np.where(count >= max(2, m // 2), 1.0 / np.sqrt(count), 0.0).astype(np.float32)
        np.maximum(hi, buf, out=hi)
        np.minimum(lo, buf, out=lo)
    np.copyto(hi, lo, where=hi < -lo)   # keep the sign of the stronger side
    out = hi.astype(float)
    out[missing] = np.nan
    return out


def _trailing_sum(cumsum: np.ndarray, m: int, out: np.ndarray | None = None) -> np.ndarray:
    """Sum of the last m entries at each t, from a cumsum with a leading 0 column."""
    n_cols = cumsum.shape[1] - 1
    if out is None:
        out = np.empty((cumsum.shape[0], n_cols), dtype=cumsum.dtype)
    k = min(m, n_cols)
    np.subtract(cumsum[:, 1 : k + 1], cumsum[:, :1], out=out[:, :k])
    if m < n_cols:
        np.subtract(cumsum[:, m + 1 :], cumsum[:, 1 : n_cols + 1 - m], out=out[:, m:])
    return out


def _inflation(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    rho = (num + PRIOR_RHO * PRIOR_WEIGHT) / (den + PRIOR_WEIGHT)
    rho = np.clip(rho, 0.0, MAX_RHO)
    return (1.0 + rho) / (1.0 - rho)


def _lag_products(z: np.ndarray, clip: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-step d[t] * d[t-1] and (d[t]^2 + d[t-1]^2) / 2 of clipped z (0 where either is NaN)."""
    d = np.clip(z, -clip, clip)
    prev = np.concatenate([np.full((z.shape[0], 1), np.nan), d[:, :-1]], axis=1)
    both = ~np.isnan(d) & ~np.isnan(prev)
    return np.where(both, d * prev, 0.0), np.where(both, 0.5 * (d * d + prev * prev), 0.0)


def variance_inflation(z: np.ndarray, clip: float = SHIFT_CLIP) -> np.ndarray:
    """Per-row (1 + rho) / (1 - rho) from the lag-1 autocorrelation of clipped z."""
    d = np.clip(z, -clip, clip)
    d[np.isnan(d)] = 0.0          # a missing point adds nothing to either sum
    num = np.einsum("ij,ij->i", d[:, 1:], d[:, :-1])
    den = np.einsum("ij,ij->i", d, d)
    return _inflation(num, den)


def rolling_variance_inflation(z: np.ndarray, clip: float = SHIFT_CLIP, lag: int = 32) -> np.ndarray:
    """Causal variance inflation at each t from z in (t - lag - AUTOCORR_WINDOW, t - lag]."""
    num, den = _lag_products(z, clip)
    cs_num = np.concatenate([np.zeros((z.shape[0], 1)), np.cumsum(num, axis=1)], axis=1)
    cs_den = np.concatenate([np.zeros((z.shape[0], 1)), np.cumsum(den, axis=1)], axis=1)
    n_num = _trailing_sum(cs_num, AUTOCORR_WINDOW)
    n_den = _trailing_sum(cs_den, AUTOCORR_WINDOW)
    lagged_num = np.zeros_like(n_num)
    lagged_den = np.zeros_like(n_den)
    if lag < z.shape[1]:
        lagged_num[:, lag:] = n_num[:, : z.shape[1] - lag]
        lagged_den[:, lag:] = n_den[:, : z.shape[1] - lag]
    return _inflation(lagged_num, lagged_den)
