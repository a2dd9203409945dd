"""Robust location and scale over the last axis of 2-D arrays: NaN-aware, vectorised.

Medians are taken by sorting (NaN sorts last) and picking by the count of valid values,
which is both NaN-aware and faster than `np.nanmedian` on many short rows. Scales are
MAD-based with two fallbacks so that no series divides by zero: the mean absolute
deviation when the MAD is 0 (mostly-constant series with rare blips), then a floor that
is relative to the level (and a tiny absolute one for series that sit at 0).
"""

from __future__ import annotations

import numpy as np

MAD_TO_SIGMA = 1.4826       # MAD of a normal sample -> its standard deviation
MEAN_AD_TO_SIGMA = 1.2533   # mean absolute deviation of a normal sample -> sigma
REL_SCALE_FLOOR = 1e-3      # changes below 0.1 % of the level are never anomalous by themselves
ABS_SCALE_FLOOR = 1e-9      # for series whose level is exactly 0
SMALL_SAMPLE_INFLATION = 6.0  # scale *= 1 + this / n: few points -> wider normal band
CHUNK_ELEMENTS = 1 << 22    # cap on the elements one sliding-window sort touches at once


def _pick(sorted_rows: np.ndarray, index: np.ndarray) -> np.ndarray:
    idx = np.clip(index, 0, max(sorted_rows.shape[-1] - 1, 0))[..., None]
    return np.take_along_axis(sorted_rows, idx, axis=-1)[..., 0]


def nan_median(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Median over the last axis ignoring NaN, and the number of valid values.

    Rows without a valid value get NaN.
    """
    a = np.asarray(a, dtype=float)
    if a.shape[-1] == 0:
        shape = a.shape[:-1]
        return np.full(shape, np.nan), np.zeros(shape, dtype=np.int64)
    s = np.sort(a, axis=-1)
    n = np.count_nonzero(~np.isnan(s), axis=-1)
    med = 0.5 * (_pick(s, (n - 1) // 2) + _pick(s, n // 2))
    return np.where(n > 0, med, np.nan), n


def nan_quantile_sorted(sorted_rows: np.ndarray, n: np.ndarray, q: np.ndarray | float) -> np.ndarray:
    """Lower empirical quantile q of rows already sorted with NaN last (n valid each)."""
    k = np.floor(np.asarray(q) * np.maximum(n - 1, 0)).astype(np.int64)
    return np.where(n > 0, _pick(sorted_rows, k), np.nan)


def scale_floor(level: np.ndarray) -> np.ndarray:
    """The smallest scale allowed around `level` (relative, with an absolute minimum)."""
    return np.maximum(REL_SCALE_FLOOR * np.abs(np.nan_to_num(level)), ABS_SCALE_FLOOR)


def robust_scale(a: np.ndarray, center: np.ndarray, n: np.ndarray, level: np.ndarray | None = None) -> np.ndarray:
    """Sigma-equivalent spread of each row around `center`, never below the floor.

    MAD first; where the MAD is 0, the mean absolute deviation; then the floor relative to
    `level` (defaults to `center`); then a small-sample inflation so that a baseline of a
    handful of points does not claim more certainty than it has.
    """
    dev = np.abs(np.asarray(a, dtype=float) - center[..., None])
    mad, _ = nan_median(dev)
    scale = MAD_TO_SIGMA * mad
    zero = ~(scale > 0)
    if np.any(zero):
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_ad = np.nansum(dev[zero], axis=-1) / np.maximum(n[zero], 1)
        scale[zero] = MEAN_AD_TO_SIGMA * mean_ad
    scale = np.maximum(np.nan_to_num(scale), scale_floor(center if level is None else level))
    return scale * (1.0 + SMALL_SAMPLE_INFLATION / np.maximum(n, 1))


def location_scale(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(median, robust scale, valid count) of each row."""
    center, n = nan_median(a)
    scale = robust_scale(a, center, n)
    scale = np.where(n > 0, scale, np.nan)
    return center, scale, n


def trailing_median(x: np.ndarray, window: int, min_count: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Median of x[:, t-window:t] (strictly before t) for every t, and its valid count.

    NaN where fewer than `min_count` valid values are available (the start of the series
    is an expanding window). Cost is N*T*window element sorts, done in bounded chunks.
    """
    x = np.asarray(x, dtype=float)
    n_rows, n_cols = x.shape
    out = np.full((n_rows, n_cols), np.nan)
    counts = np.zeros((n_rows, n_cols), dtype=np.int64)
    if n_rows == 0 or n_cols == 0 or window < 1:
        return out, counts
    padded = np.concatenate([np.full((n_rows, window), np.nan), x], axis=1)
    views = np.lib.stride_tricks.sliding_window_view(padded, window, axis=1)  # [N, T+1, window]
    rows_per_chunk = max(1, CHUNK_ELEMENTS // max(1, n_cols * window))
    cols_per_chunk = max(1, CHUNK_ELEMENTS // max(1, window * min(rows_per_chunk, n_rows)))
    for r0 in range(0, n_rows, rows_per_chunk):
        r1 = min(n_rows, r0 + rows_per_chunk)
        for c0 in range(0, n_cols, cols_per_chunk):
            c1 = min(n_cols, c0 + cols_per_chunk)
            med, n = nan_median(views[r0:r1, c0:c1])
            out[r0:r1, c0:c1] = med
            counts[r0:r1, c0:c1] = n
    out[counts < min_count] = np.nan
    return out, counts


def shift_right(a: np.ndarray, k: int, fill: float = np.nan) -> np.ndarray:
    """a shifted k steps later along the last axis (a[:, t-k] at t), `fill` at the start."""
    out = np.full(a.shape, fill, dtype=float)
    if k <= 0:
        return a.astype(float, copy=True)
    if k < a.shape[-1]:
        out[..., k:] = a[..., :-k]
    return out
