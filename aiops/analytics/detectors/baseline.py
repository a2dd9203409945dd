"""The robust baseline shared by the median/MAD family of detectors.

It turns a series into robust z-scores: (value - expected) / scale, signed.

* Fitted (non-causal) mode: expected = the baseline median, plus a per-phase seasonal
  profile when the series is seasonal, plus a linear trend when the baseline clearly has
  one (extrapolated for at most one baseline span); scale = MAD of the baseline residuals
  (with floors).
* Causal mode: at t, only data before t: a seasonal-naive residual when the season length
  is known (given, or found by an earlier fit), then a trailing robust line through the
  medians of three consecutive thirds of the window — slope = their mean difference when
  both differences agree, the smaller one when they only agree in sign, else 0, so a
  step does not make the line overshoot — and the scale is the trailing median
  |residual| of its own one-step predictions. A slow trend or a slow seasonal swing
  therefore stays near 0. With period='auto' and no fit, causal mode has no season: it
  cannot estimate one without looking ahead.
"""

from __future__ import annotations

import numpy as np

from aiops.analytics.detectors.robust_stats import (
    MAD_TO_SIGMA,
    MEAN_AD_TO_SIGMA,
    SMALL_SAMPLE_INFLATION,
    location_scale,
    nan_median,
    robust_scale,
    scale_floor,
    shift_right,
    trailing_median,
)
from aiops.analytics.detectors.seasonality import (
    estimate_period,
    grid_positions,
    median_step,
    seasonal_naive,
    seasonal_profile,
)


def parse_period(period: float | str | None) -> float | str | None:
    """'auto' | None/0 (no season) | seconds > 0."""
    if period is None or period == "auto":
        return period
    try:
        seconds = float(period)
    except (TypeError, ValueError):
        raise ValueError(f"period must be 'auto', None or seconds, not {period!r}") from None
    if seconds < 0:
        raise ValueError(f"period must be >= 0 seconds, not {period!r}")
    return seconds or None


class RobustBaseline:
    """Median/MAD baseline with optional seasonality; see the module docstring."""

    def __init__(
        self,
        period: float | str | None = "auto",
        window: int = 90,
        scale_window: int = 120,
        min_points: int = 12,
        season_cycles: int = 3,
        trend: bool = True,
    ) -> None:
        self.period = parse_period(period)
        self.trend = bool(trend)
        if window < 6 or scale_window < 4 or min_points < 3:
            raise ValueError("window >= 6, scale_window >= 4 and min_points >= 3 are required")
        self.window = int(window)
        self.scale_window = int(scale_window)
        self.min_points = int(min_points)
        self.season_cycles = int(season_cycles)
        self.fitted = False

    # ---- fitted (non-causal) mode -------------------------------------------------
    def fit(self, x: np.ndarray, ts: np.ndarray) -> None:
        n_rows, n_cols = x.shape
        self.step_ = median_step(ts)
        self.t0_ = float(ts[0]) if n_cols else 0.0
        pos = grid_positions(ts, self.t0_, self.step_)
        self.periods_ = self._periods_for(x, self.step_)
        self.profiles_: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.slope_ = np.zeros(n_rows)
        self.trend_center_ = float(np.mean(pos)) if n_cols else 0.0
        span = float(pos[-1] - pos[0]) if n_cols else 0.0
        # the trend is extrapolated for at most one baseline span beyond the baseline
        self.trend_range_ = (float(pos[0]) - span - self.trend_center_, float(pos[-1]) + span - self.trend_center_)
        rel = pos - self.trend_center_
        if self.trend:
            self.slope_ = robust_trend(x, rel, self.min_points)
        resid = x - self.slope_[:, None] * rel[None, :]
        inflation = np.ones(n_rows)
        self.profile_var_ = np.zeros(n_rows)
        level = None
        if np.any(self.periods_ > 0):
            level = np.full(n_rows, np.nan)
            for p in np.unique(self.periods_[self.periods_ > 0]):
                rows = np.flatnonzero(self.periods_ == p)
                profile, cycles = seasonal_profile(x[rows], pos, int(p))
                if self.trend:   # the trend of what the season leaves, then the season again
                    self.slope_[rows] = robust_trend(x[rows] - profile[:, pos % p], rel, self.min_points)
                    if np.any(self.slope_[rows] != 0):
                        detrended = x[rows] - self.slope_[rows, None] * rel[None, :]
                        profile, cycles = seasonal_profile(detrended, pos, int(p))
                self.profiles_[int(p)] = (rows, profile)
                resid[rows] = x[rows] - profile[:, pos % p] - self.slope_[rows, None] * rel[None, :]
                level[rows] = np.nanmedian(np.abs(profile), axis=1) if profile.size else np.nan
                # in-sample residuals look tighter than out-of-sample ones by about this much
                k = np.maximum(cycles * (3.0 if p >= 12 else 1.0), 1.5)
                inflation[rows] = np.sqrt((1 + 1 / k) / (1 - 1 / k))
                # the profile's own error (relative variance): it repeats every season, so
                # sums over many points (level_shift) do not average it away
                self.profile_var_[rows] = np.where(cycles <= 2, 1.0, 1.5708) / np.maximum(cycles, 1)
        center, scale, n = location_scale(resid)
        if level is not None:
            seasonal = self.periods_ > 0
            scale = np.where(seasonal, np.maximum(scale, scale_floor(level)), scale)
        self.center_ = center
        self.scale_ = scale * inflation
        self.count_ = n
        self.valid_ = n >= self.min_points
        self.fitted = True

    def _periods_for(self, x: np.ndarray, step: float) -> np.ndarray:
        n_rows, n_cols = x.shape
        if self.period is None:
            return np.zeros(n_rows, dtype=np.int64)
        if self.period == "auto":
            if n_cols < 4 * self.min_points:
                return np.zeros(n_rows, dtype=np.int64)
            return estimate_period(x, step=step)
        points = int(round(float(self.period) / step))
        if points < 2 or points * 2 > n_cols:
            return np.zeros(n_rows, dtype=np.int64)   # the baseline cannot show that season
        return np.full(n_rows, points, dtype=np.int64)

    def expected(self, x: np.ndarray, ts: np.ndarray) -> np.ndarray:
        """The fitted expectation at each (row, timestamp)."""
        return x - self.fitted_z(x, ts) * self.scale_[:, None]

    def fitted_z(self, x: np.ndarray, ts: np.ndarray) -> np.ndarray:
        z = np.subtract(x, self.center_[:, None])
        pos = None
        if np.any(self.slope_ != 0):
            pos = grid_positions(ts, self.t0_, self.step_)
            rel = np.clip(pos - self.trend_center_, *self.trend_range_)
            z -= self.slope_[:, None] * rel[None, :]
        if self.profiles_:
            pos = grid_positions(ts, self.t0_, self.step_) if pos is None else pos
            for p, (rows, profile) in self.profiles_.items():
                z[rows] -= profile[:, pos % p]
        z /= self.scale_[:, None]
        z[~self.valid_] = np.nan
        return z

    # ---- causal mode --------------------------------------------------------------
    def causal_z(self, x: np.ndarray, ts: np.ndarray) -> np.ndarray:
        n_rows, n_cols = x.shape
        series = x
        level_ref = None
        periods = self._causal_periods(n_rows, ts)
        if np.any(periods > 0):
            series = x.copy()
            level_ref = np.zeros_like(x)
            for p in np.unique(periods[periods > 0]):
                rows = np.flatnonzero(periods == p)
                naive = seasonal_naive(x[rows], int(p), self.season_cycles)
                has = ~np.isnan(naive)
                series[rows] = np.where(has, x[rows] - naive, np.nan)
                level_ref[rows] = np.nan_to_num(naive)
        h = max(2, self.window // 3)
        med, _ = trailing_median(series, h, min_count=max(3, min(h, self.min_points) // 2 + 1))
        m2 = shift_right(med, h)
        m1 = shift_right(med, 2 * h)
        d2 = med - m2
        d1 = m2 - m1
        agree = np.sign(d1) == np.sign(d2)
        small, large = np.minimum(np.abs(d1), np.abs(d2)), np.maximum(np.abs(d1), np.abs(d2))
        # a steady trend: both thirds moved alike -> their mean; a step: one moved -> the smaller
        steady = agree & (small >= 0.5 * large)
        slope = np.where(steady, 0.5 * (d1 + d2), np.where(agree, np.sign(d2) * small, 0.0)) / h
        pred = med + np.nan_to_num(slope) * (h + 1) / 2.0
        resid = series - pred
        abs_r = np.abs(resid)
        mad, count = trailing_median(abs_r, self.scale_window, min_count=self.min_points)
        scale = MAD_TO_SIGMA * mad
        zero = scale == 0
        if np.any(zero):
            scale[zero] = MEAN_AD_TO_SIGMA * self._trailing_mean(abs_r)[zero]
        level = pred if level_ref is None else pred + level_ref
        scale = np.maximum(scale, scale_floor(level))
        scale *= 1.0 + SMALL_SAMPLE_INFLATION / np.maximum(count, 1)
        z = resid / scale
        if self.fitted and self.valid_.shape[0] == n_rows:
            warm = np.isnan(z) & ~np.isnan(x)
            if np.any(warm):
                z[warm] = self.fitted_z(x, ts)[warm]
        return z

    def _causal_periods(self, n_rows: int, ts: np.ndarray) -> np.ndarray:
        if self.fitted and self.periods_.shape[0] == n_rows:
            return self.periods_
        if isinstance(self.period, float):
            points = int(round(self.period / median_step(ts)))
            if points >= 2:
                return np.full(n_rows, points, dtype=np.int64)
        return np.zeros(n_rows, dtype=np.int64)   # 'auto' without a fit: no look-ahead to guess

    def _trailing_mean(self, a: np.ndarray) -> np.ndarray:
        valid = ~np.isnan(a)
        cs = np.concatenate([np.zeros((a.shape[0], 1)), np.cumsum(np.where(valid, a, 0.0), axis=1)], axis=1)
        cn = np.concatenate([np.zeros((a.shape[0], 1)), np.cumsum(valid, axis=1)], axis=1)
        w = self.scale_window
        hi = np.arange(a.shape[1])
        lo = np.maximum(hi - w, 0)
        total = cs[:, hi] - cs[:, lo]
        n = cn[:, hi] - cn[:, lo]
        return np.where(n > 0, total / np.maximum(n, 1), np.nan)


TREND_SIGNIFICANCE = 5.0   # the thirds' medians must differ by this many standard errors


def robust_trend(x: np.ndarray, rel: np.ndarray, min_points: int = 12) -> np.ndarray:
    """Per-row slope (per grid step) from the medians of the first and last thirds, or 0.

    Kept only when it is clear: the two medians differ by TREND_SIGNIFICANCE standard
    errors of the detrended spread, and the middle third sits on the line (a step in the
    baseline is not a trend). Wandering series therefore keep a flat baseline.
    """
    n_rows, n_cols = x.shape
    k = n_cols // 3
    if k < min_points:
        return np.zeros(n_rows)
    m1, n1 = nan_median(x[:, :k])
    m2, _ = nan_median(x[:, k : n_cols - k])
    m3, n3 = nan_median(x[:, n_cols - k :])
    gap = float(np.mean(rel[n_cols - k :]) - np.mean(rel[:k]))
    slope = np.nan_to_num((m3 - m1) / gap) if gap > 0 else np.zeros(n_rows)
    rise = np.abs(m3 - m1)
    se_factor = 1.2533 * np.sqrt(1.0 / np.maximum(n1, 1) + 1.0 / np.maximum(n3, 1))
    # cheap screen: the spread of first differences is a lower bound for the detrended
    # spread of any series that is not anti-correlated; most rows stop here
    d_abs, _ = nan_median(np.abs(np.diff(x, axis=1)))   # |differences| around 0: one sort
    d_spread = np.maximum(MAD_TO_SIGMA * np.nan_to_num(d_abs) / np.sqrt(2.0), scale_floor(m1))
    slope[~(rise > TREND_SIGNIFICANCE * se_factor * d_spread)] = 0.0
    rows = np.flatnonzero(slope != 0)
    if rows.size == 0:
        return slope
    detrended = x[rows] - slope[rows, None] * rel[None, :]
    center, n = nan_median(detrended)
    se = se_factor[rows] * robust_scale(detrended, center, n)
    on_line = np.abs(m2[rows] - 0.5 * (m1[rows] + m3[rows])) <= 0.25 * rise[rows] + 2.0 * se
    keep = (rise[rows] > TREND_SIGNIFICANCE * se) & on_line & (n1[rows] >= min_points // 2) & (n3[rows] >= min_points // 2)
    slope[rows[~keep]] = 0.0
    return slope
