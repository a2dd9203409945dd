"""Window statistics and their empirical tails: the building blocks of the adaptive detector.

* `window_channels` turns columns [N, T] into channels [C, T]: trailing means of each
  column over a few window lengths (a spike, a short burst, a sustained shift) and the
  trailing mean of each column's absolute step |x[t] - x[t-1]| (the series got busier or
  went flat). Every channel at t uses only points at or before t.
* `fit_tails` describes, per channel, the distribution of its recent deviations from a
  reference: the two tails beyond the outer `share` of the history are modelled as
  exponential (peaks over a threshold: mean excess = scale), so a deviation further out
  than anything seen still gets a finite, honest probability. The scale never falls below
  a share of the body's robust spread (a quantised or almost constant history does not
  make every new value infinitely surprising) nor below an absolute floor, and grows by
  1 + 1/sqrt(k) for a tail estimated from only k points.
* `tail_probability` is the two-sided chance of a deviation at least this far out.

HTM's anomaly likelihood compares a short-window mean of raw scores with a Gaussian fitted
to its long-window history; this does the same with the values themselves and an
empirical tail instead of a Gaussian one, so heavy-tailed and bursty series are judged
against their own extremes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aiops.analytics.detectors.robust_stats import MAD_TO_SIGMA, MEAN_AD_TO_SIGMA

LEVEL_WINDOWS = (1, 8, 32)
STEP_WINDOWS = (32,)


@dataclass(frozen=True)
class Channels:
    values: np.ndarray    # [C, T] window statistics
    window: np.ndarray    # [C] window length of each channel (points)
    column: np.ndarray    # [C] the input column each channel comes from
    kind: np.ndarray      # [C] 0 = level (trailing mean), 1 = activity (mean |step|), 2 = seasonal residual


def trailing_mean(a: np.ndarray, w: int) -> np.ndarray:
    """Mean of a[:, t-w+1 .. t] ignoring NaN; NaN until half the window is valid."""
    ok = ~np.isnan(a)
    n_rows, n_cols = a.shape
    cs = np.zeros((n_rows, n_cols + 1))
    np.cumsum(np.where(ok, a, 0.0), axis=1, out=cs[:, 1:])
    cn = np.zeros((n_rows, n_cols + 1))
    np.cumsum(ok, axis=1, out=cn[:, 1:])
    hi = np.arange(1, n_cols + 1)
    lo = np.maximum(hi - w, 0)
    total = cs[:, hi] - cs[:, lo]
    count = cn[:, hi] - cn[:, lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count >= max(1, w // 2), total / count, np.nan)


def window_channels(x: np.ndarray, level_windows: tuple[int, ...] = LEVEL_WINDOWS,
                    step_windows: tuple[int, ...] = STEP_WINDOWS) -> Channels:
    n_rows = x.shape[0]
    parts, windows, kinds = [], [], []
    for w in level_windows:
        parts.append(trailing_mean(x, w))
        windows += [w] * n_rows
        kinds += [0] * n_rows
    if step_windows:
        step = np.abs(np.diff(x, axis=1, prepend=np.nan))
        for w in step_windows:
            parts.append(trailing_mean(step, w))
            windows += [w] * n_rows
            kinds += [1] * n_rows
    n_sets = len(level_windows) + len(step_windows)
    return Channels(
        values=np.concatenate(parts, axis=0) if parts else np.zeros((0, x.shape[1])),
        window=np.asarray(windows, dtype=np.int64),
        column=np.tile(np.arange(n_rows), n_sets),
        kind=np.asarray(kinds, dtype=np.int8),
    )


@dataclass(frozen=True)
class Tails:
    """Per-channel two-sided exponential tail model (NaN rows: not enough history)."""

    lower: np.ndarray        # threshold of the lower tail
    lower_scale: np.ndarray  # its mean excess
    upper: np.ndarray
    upper_scale: np.ndarray
    share: np.ndarray        # fraction of the history in each tail


def _pick(s: np.ndarray, idx: np.ndarray) -> np.ndarray:
    return np.take_along_axis(s, np.clip(idx, 0, s.shape[1] - 1)[:, None], axis=1)[:, 0]


def fit_tails(history: np.ndarray, min_tail: np.ndarray, share: float, floor: np.ndarray,
              spread_floor: float) -> Tails:
    """Tail models of each row of `history` [C, L] (NaN = not part of the history).

    `min_tail` [C]: the fewest points a tail may rest on (longer windows are smoother, so
    they need more points); rows with fewer than 3 x that many valid values get NaN.
    """
    n_rows = history.shape[0]
    if history.shape[1] == 0:
        nan = np.full(n_rows, np.nan)
        return Tails(nan, nan, nan, nan, nan)
    s = np.sort(history, axis=1)                      # NaN last
    n = np.count_nonzero(~np.isnan(s), axis=1)
    k = np.maximum(min_tail, np.floor(share * n)).astype(np.int64)
    enough = n >= 3 * min_tail
    k = np.where(enough, k, 1)
    upper = _pick(s, n - k - 1)
    lower = _pick(s, k)
    idx = np.arange(s.shape[1])[None, :]
    top = (idx >= (n - k)[:, None]) & (idx < n[:, None])
    bottom = idx < k[:, None]
    with np.errstate(invalid="ignore"):
        upper_scale = np.where(top, s - upper[:, None], 0.0).sum(axis=1) / k
        lower_scale = np.where(bottom, lower[:, None] - s, 0.0).sum(axis=1) / k
        median = 0.5 * (_pick(s, (n - 1) // 2) + _pick(s, n // 2))
        dev = np.sort(np.abs(s - median[:, None]), axis=1)
        spread = MAD_TO_SIGMA * 0.5 * (_pick(dev, (n - 1) // 2) + _pick(dev, n // 2))
        mean_ad = MEAN_AD_TO_SIGMA * np.nansum(np.abs(s - median[:, None]), axis=1) / np.maximum(n, 1)
    spread = np.where(spread > 0, spread, mean_ad)
    least = np.maximum(floor, spread_floor * np.nan_to_num(spread))
    inflate = 1.0 + 1.0 / np.sqrt(k)
    upper_scale = np.maximum(np.nan_to_num(upper_scale), least) * inflate
    lower_scale = np.maximum(np.nan_to_num(lower_scale), least) * inflate
    nan = np.where(enough, 0.0, np.nan)
    return Tails(lower + nan, lower_scale + nan, upper + nan, upper_scale + nan, k / np.maximum(n, 1) + nan)


def tail_probability(dev: np.ndarray, tails: Tails) -> np.ndarray:
    """Two-sided probability [C, B] of a deviation at least as extreme as `dev` [C, B]; 1 where unknown."""
    up = tails.share[:, None] * np.exp(-np.maximum(dev - tails.upper[:, None], 0.0) / tails.upper_scale[:, None])
    down = tails.share[:, None] * np.exp(-np.maximum(tails.lower[:, None] - dev, 0.0) / tails.lower_scale[:, None])
    p = np.minimum(2.0 * np.minimum(up, down), 1.0)
    return np.where(np.isnan(p), 1.0, p)
