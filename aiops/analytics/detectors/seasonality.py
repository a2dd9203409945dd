"""Season length estimation (autocorrelation) and per-phase seasonal profiles.

Everything works on a regular grid: a sample's position is round((ts - t0) / step), so
small jitter in timestamps does not matter, and gaps simply leave cells empty.
"""

from __future__ import annotations

import numpy as np

from aiops.analytics.detectors.robust_stats import nan_median

MIN_PERIOD = 4        # points; shorter "seasons" are noise
MIN_ACF = 0.3         # autocorrelation at the season lag needed to accept it
MIN_DIP = 0.2         # the ACF must fall at least this far below its value at the lag before it


def median_step(timestamps: np.ndarray) -> float:
    """The typical sampling interval in seconds (1.0 for a single sample)."""
    d = np.diff(np.asarray(timestamps, dtype=float))
    d = d[d > 0]
    return float(np.median(d)) if d.size else 1.0


CALENDAR_PERIODS = np.array([300, 600, 900, 1800, 3600, 7200, 10800, 14400, 21600, 28800, 43200, 86400, 604800.0])


def snap_period(lag: np.ndarray, step: float, max_lag: int) -> np.ndarray:
    """Replace lags within 3 % of a calendar period (in points of `step`) by that period."""
    calendar = np.rint(CALENDAR_PERIODS / step)
    calendar = calendar[(calendar >= MIN_PERIOD) & (calendar <= max_lag)]
    if calendar.size == 0:
        return lag
    nearest = calendar[np.argmin(np.abs(lag[:, None] - calendar[None, :]), axis=1)]
    return np.where(np.abs(lag - nearest) <= 0.03 * nearest, nearest, lag).astype(np.int64)


def grid_positions(timestamps: np.ndarray, t0: float, step: float) -> np.ndarray:
    """Integer grid position of each timestamp relative to t0."""
    return np.rint((np.asarray(timestamps, dtype=float) - t0) / step).astype(np.int64)


def estimate_period(x: np.ndarray, min_cycles: float = 2.0, step: float | None = None) -> np.ndarray:
    """Season length in points for every row (0 = no clear season).

    Among lags that fit `min_cycles` times in the row, the local peak of the (biased)
    autocorrelation with the highest value, provided it is at least MIN_ACF and the ACF
    dips at least MIN_DIP below it at a shorter lag (so the slowly decaying ACF of a
    smooth series, a trend or a random walk is not mistaken for a season). Rows are
    linearly detrended first. With the sampling `step` (seconds), a lag within 3 % of a
    calendar period (5 min ... 1 week) is snapped to it: few cycles locate a broad ACF
    peak only roughly, and operational seasons are almost always calendar ones.
    """
    import scipy.fft

    x = np.asarray(x, dtype=float)
    n_rows, n_cols = x.shape
    max_lag = int(n_cols // min_cycles)
    periods = np.zeros(n_rows, dtype=np.int64)
    if n_rows == 0 or max_lag < MIN_PERIOD + 1:
        return periods
    missing = np.isnan(x)
    y = x
    if missing.any():
        with np.errstate(invalid="ignore"):
            fill = np.nanmean(np.where(missing.all(axis=1, keepdims=True), 0.0, x), axis=1)
        y = np.where(missing, fill[:, None], x)
    i = np.arange(n_cols, dtype=float) - (n_cols - 1) / 2.0
    slope = (y @ i) / float(i @ i)
    y = y - y.mean(axis=1, keepdims=True) - slope[:, None] * i[None, :]
    y = y.astype(np.float32)
    nfft = scipy.fft.next_fast_len(n_cols + max_lag + 2, real=True)   # no wrap-around up to max_lag
    spec = scipy.fft.rfft(y, n=nfft, axis=1, workers=-1)
    acf = scipy.fft.irfft((spec.real**2 + spec.imag**2), n=nfft, axis=1, workers=-1)[:, : max_lag + 2]
    acf = acf.astype(float)
    var0 = acf[:, 0]
    ok = var0 > 0
    acf = np.divide(acf, var0[:, None], out=np.zeros_like(acf), where=ok[:, None])
    # candidates: local maxima of the ACF that stand MIN_DIP above its lowest value at
    # a shorter lag (a smooth series has high ACF at small lags, which is not a season)
    lag_acf = acf[:, MIN_PERIOD : max_lag + 1]
    before = acf[:, MIN_PERIOD - 1 : max_lag]
    after = acf[:, MIN_PERIOD + 1 : max_lag + 2]
    running_min = np.minimum.accumulate(acf[:, 1 : max_lag + 1], axis=1)[:, MIN_PERIOD - 2 : max_lag - 1]
    candidate = (lag_acf >= before) & (lag_acf >= after) & (lag_acf >= running_min + MIN_DIP) & (lag_acf >= MIN_ACF)
    masked = np.where(candidate, lag_acf, -np.inf)
    best = np.argmax(masked, axis=1)
    accept = ok & np.isfinite(masked[np.arange(n_rows), best])
    lag = best + MIN_PERIOD
    # the biased ACF leans to shorter lags; settle the exact lag on the unbiased one nearby
    reach = max(2, int(0.03 * max_lag))
    near = np.clip(lag[:, None] + np.arange(-reach, reach + 1)[None, :], MIN_PERIOD, max_lag)
    unbiased = np.take_along_axis(acf, near, axis=1) * n_cols / (n_cols - near)
    lag = near[np.arange(n_rows), np.argmax(unbiased, axis=1)]
    if step is not None:
        lag = snap_period(lag, step, max_lag)
    periods[accept] = lag[accept]
    return periods


def seasonal_profile(
    x: np.ndarray, positions: np.ndarray, period: int, smooth: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """Per-phase median of each row over its cycles, lightly smoothed around the circle.

    Returns (profile [N, period], cycles [N]) where `cycles` is the typical number of
    cycles that contributed to a phase (used to correct the in-sample residual spread).
    """
    n_rows = x.shape[0]
    pos = positions - positions.min()
    n_cycles = int(pos.max() // period) + 1 if pos.size else 1
    grid = np.full((n_rows, n_cycles * period), np.nan)
    grid[:, pos] = x
    grid = grid.reshape(n_rows, n_cycles, period).transpose(0, 2, 1)  # [N, period, cycles]
    offset = int(positions.min() % period)
    profile, count = nan_median(grid)
    profile = np.roll(profile, offset, axis=1)   # index by absolute phase = position % period
    count = np.roll(count, offset, axis=1)
    if smooth > 1 and period >= 4 * smooth:
        stack = np.stack([np.roll(profile, k, axis=1) for k in range(-(smooth // 2), smooth // 2 + 1)])
        valid = ~np.isnan(stack)
        total = np.where(valid, stack, 0.0).sum(axis=0)
        n_valid = valid.sum(axis=0)
        profile = np.where(n_valid > 0, total / np.maximum(n_valid, 1), np.nan)
    cycles = np.median(count, axis=1).astype(float)
    return profile, cycles


def seasonal_naive(x: np.ndarray, period: int, cycles: int = 3) -> np.ndarray:
    """Causal seasonal expectation: median of the values 1..`cycles` seasons earlier."""
    n_rows, n_cols = x.shape
    stack = np.full((n_rows, n_cols, cycles), np.nan)
    for k in range(1, cycles + 1):
        lag = k * period
        if lag < n_cols:
            stack[:, lag:, k - 1] = x[:, :-lag]
    expected, _ = nan_median(stack)
    return expected
