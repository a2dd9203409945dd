"""Sustained shift of many series after a baseline: the metric evidence for ranking.

For root-cause analysis a single noisy point must not count, and a change that lasts must
count whatever its shape (level shift, ramp, burst of a few minutes). Per series:

* baseline location/scale: median and a robust scale (1.4826·MAD, floored by the IQR,
  the baseline's own jitter, a small fraction of its level — so flat baselines do not
  blow every blip up to infinity — and half the series' resolution: the smallest step
  between its baseline values, as a count that moves by one is not news); a baseline with
  a clear linear trend (a filling disk, an unconverted counter) is judged against its
  extrapolated line instead;
* z_t = (x_t - median) / scale for the points after the baseline;
* the *sustained* statistic is the k-th largest |z_t| with k = max(3, 10 % of the post
  points): at least that many points must be that far out;
* onset: the first post point from which |z| stays above half the statistic (≥ 3) for two
  of three points;
* score = (log(stat / Z0) / log(Z_FULL / Z0)) ** 0.7, 0 below Z0 and 1 above Z_FULL: a
  log scale, so a 30x latency jump still outranks a z of 10 on a noisy gauge; times how
  one-sided the points beyond the statistic are (a series that only got noisier, as many
  points up as down, is not a shift), and by how well the change holds from its onset on
  (a burst that came and went weighs up to half less).

Vectorised over all series at once; NaN (missing buckets) are ignored.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

Z0 = 3.0          # below this sustained robust z there is no evidence
Z_FULL = 100.0    # z = 10 -> 0.47, 30 -> 0.75, >= 100 -> 1
MIN_BASE = 5      # baseline points needed to judge a series
MIN_BASE_SHARE = 0.3   # ... and at least this share of the baseline's buckets
MIN_POST = 3      # post points needed
PERSIST_FULL = 0.4     # share of points from the onset on that are out for full weight


@dataclass(frozen=True)
class ShiftScan:
    score: np.ndarray        # [N] 0..1
    stat: np.ndarray         # [N] sustained robust z (absolute)
    direction: np.ndarray    # [N] +1 / -1 / 0
    onset: np.ndarray        # [N] unix s, NaN when no onset
    rel_change: np.ndarray   # [N] (post median - baseline median) / |baseline median|, NaN if undefined
    base_median: np.ndarray
    post_median: np.ndarray
    valid: np.ndarray        # [N] bool


@contextmanager
def _quiet():
    """All-NaN rows are expected (missing series): no RuntimeWarnings for them."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _row_quantiles(a: np.ndarray, qs: tuple[float, ...]) -> tuple[list[np.ndarray], np.ndarray]:
    """Quantiles of each row ignoring NaN (linear interpolation, NaN for empty rows) and the
    sorted rows (NaN last): one sort, where np.nanquantile falls back to a Python loop per
    row as soon as any row holds a NaN."""
    srt = np.sort(a, axis=1)
    cnt = np.isfinite(srt).sum(axis=1)
    rows = np.arange(len(a))
    out = []
    for q in qs:
        pos = q * np.maximum(cnt - 1, 0)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, np.maximum(cnt - 1, 0))
        frac = pos - lo
        if srt.shape[1] == 0:
            out.append(np.full(len(a), np.nan))
            continue
        v = srt[rows, lo] * (1.0 - frac) + srt[rows, hi] * frac
        out.append(np.where(cnt > 0, v, np.nan))
    return out, srt


def _row_median(a: np.ndarray) -> np.ndarray:
    return _row_quantiles(a, (0.5,))[0][0]


def _baseline_trend(base: np.ndarray, ts: np.ndarray, nb: int, mad: np.ndarray):
    """Least-squares line through each baseline; its extrapolation over the post period.

    Returns (rows that trend, expected post values of those rows [R, P], their robust
    residual scale [R]). A series trends when the line moves by more than 4 residual scales
    over the baseline and explains most of its spread — a steadily growing disk or counter
    is then judged against where it was heading, not against where it started. Sums go
    through matrix-vector products; residuals are only worked out for rows whose line
    moves at least by their spread (the rest cannot trend).
    """
    tb = ts[:nb] - ts[nb - 1]
    tp = ts[nb:] - ts[nb - 1]
    ok = np.isfinite(base)
    okf = ok.astype(np.float64)
    b0 = np.where(ok, base, 0.0)
    cnt = np.maximum(okf.sum(axis=1), 1.0)
    t_mean = (okf @ tb) / cnt
    x_mean = b0.sum(axis=1) / cnt
    sxx = okf @ (tb * tb) - cnt * t_mean * t_mean
    sxy = b0 @ tb - cnt * t_mean * x_mean
    slope = np.where(sxx > 0, sxy / np.where(sxx > 0, sxx, 1.0), 0.0)
    span = float(tb[-1] - tb[0]) if nb > 1 else 0.0
    maybe = np.flatnonzero(np.isfinite(slope) & (np.abs(slope) * span > mad) & (mad > 0))
    if len(maybe) == 0 or span <= 0:
        return maybe, np.zeros((0, len(tp))), np.zeros(0)
    line = x_mean[maybe, None] + slope[maybe, None] * (tb[None, :] - t_mean[maybe, None])
    resid = base[maybe] - line
    r_med = _row_median(resid)
    r_scale = _row_median(np.abs(resid - r_med[:, None])) * 1.4826
    keep = (np.abs(slope[maybe]) * span > 4.0 * np.fmax(r_scale, 1e-12)) & (mad[maybe] > 2.0 * r_scale)
    rows = maybe[keep]
    expected = x_mean[rows, None] + slope[rows, None] * (tp[None, :] - t_mean[rows, None])
    return rows, expected, r_scale[keep]


def _quantum(srt: np.ndarray) -> np.ndarray:
    """The resolution of each baseline (rows sorted, NaN last): the smallest step between
    its distinct values.

    Counts of connections, threads or replicas move in whole units; a one-unit wiggle of a
    series that sat still is the measurement's resolution, not a robust-z of 10.
    """
    step = np.diff(srt, axis=1)
    step = np.where(np.isfinite(step) & (step > 0), step, np.inf)
    q = step.min(axis=1) if step.shape[1] else np.full(len(base), np.inf)
    return np.where(np.isfinite(q), q, 0.0)


def scan_shifts(values: np.ndarray, timestamps: np.ndarray, baseline_end: float) -> ShiftScan:
    x = np.asarray(values, dtype=np.float64)
    ts = np.asarray(timestamps, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != ts.shape[0]:
        raise ValueError(f"values must be [N, T] with T = len(timestamps); got {x.shape} and {ts.shape}")
    n, t = x.shape
    nb = int(np.searchsorted(ts, baseline_end, side="left"))
    base, post = x[:, :nb], x[:, nb:]
    n_base = np.sum(np.isfinite(base), axis=1)
    n_post = np.sum(np.isfinite(post), axis=1)
    # A series that began late in the baseline (a pod created by a rollout or a restart) has
    # too little history to judge: its startup would pass for the norm.
    valid = (n_base >= max(MIN_BASE, int(MIN_BASE_SHARE * nb))) & (n_post >= MIN_POST)
    empty = np.full(n, np.nan)
    if n == 0 or nb == 0 or nb >= t:
        return ShiftScan(np.zeros(n), np.zeros(n), np.zeros(n, dtype=np.int8), empty, empty, empty, empty,
                         np.zeros(n, dtype=bool))
    with _quiet():
        (med, q25, q75), sorted_base = _row_quantiles(base, (0.5, 0.25, 0.75))
        mad = _row_median(np.abs(base - med[:, None])) * 1.4826
        jitter = _row_median(np.abs(np.diff(base, axis=1)))          # point-to-point noise
        std = np.nanstd(base, axis=1)
        post_med = _row_median(post)
        trend_rows, center, resid_scale = _baseline_trend(base, ts, nb, mad)
    level_scale = np.fmax.reduce([mad, (q75 - q25) / 1.349, 0.25 * std])
    floors = [jitter, 0.01 * np.abs(med), 0.5 * _quantum(sorted_base), np.full(n, 1e-9)]
    scale = np.fmax.reduce([level_scale] + floors)
    scale = np.where(np.isfinite(scale), scale, 1e-9)
    # A flat baseline (all equal, e.g. zero errors) is floored by the post-period's own
    # level so a single blip is not infinitely significant, while 0 -> many still is.
    flat = (mad <= 1e-12) & (jitter <= 1e-12)
    with _quiet():
        floor = 0.1 * np.nanmax(np.abs(post - med[:, None]), axis=1)
    scale = np.where(flat, np.fmax(scale, np.where(np.isfinite(floor), floor, 1e-9)), scale)
    z = (post - med[:, None]) / scale[:, None]
    # A trending baseline is judged against its extrapolated line (a disk that keeps
    # filling is not news; one that suddenly fills faster is). Falling behind the line is
    # judged by the nearer of line and level: a drift that levels off (traffic past its
    # daily peak, a disk that stopped filling) is not a shift.
    if len(trend_rows):
        r = trend_rows
        t_scale = np.fmax.reduce([resid_scale] + [f[r] for f in floors])
        z_trend = (post[r] - center) / np.where(np.isfinite(t_scale), t_scale, 1e-9)[:, None]
        slope_sign = np.sign(center[:, -1:] - center[:, :1]) if center.shape[1] > 1 else np.zeros((len(r), 1))
        behind = z_trend * slope_sign < 0
        z[r] = np.where(behind & (np.abs(z[r]) < np.abs(z_trend)), z[r], z_trend)
    az = np.abs(z)
    az[~np.isfinite(az)] = -np.inf
    k = np.maximum(3, np.ceil(0.10 * n_post)).astype(int)
    # k-th largest |z| per row (-inf for NaN sorts last): one partition per distinct k
    stat = np.empty(n)
    width = az.shape[1]
    for kk in np.unique(k):
        rows = k == kk
        pos = width - min(int(kk), width)
        stat[rows] = np.partition(az[rows], pos, axis=1)[:, pos]
    stat = np.where(valid & np.isfinite(stat), stat, 0.0)
    with np.errstate(all="ignore"):
        score = np.where(stat > Z0, np.clip(np.log(stat / Z0) / np.log(Z_FULL / Z0), 0.0, 1.0) ** 0.7, 0.0)

    # Direction and onset only where there is a shift to speak of (usually few rows).
    direction = np.zeros(n, dtype=np.int8)
    onset = np.full(n, np.nan)
    sel = np.flatnonzero(score > 0)
    if len(sel):
        zs, azs, st = z[sel], az[sel], stat[sel]
        # Direction: the sign of the mean z among the points beyond the sustained level. A
        # shift goes one way; when those points split between up and down the series only
        # got noisier, and the score shrinks with the imbalance (one way: kept; half-half: 0).
        strong = azs >= st[:, None]
        with np.errstate(all="ignore"):
            signed = np.nansum(np.where(strong, np.sign(zs), 0.0), axis=1)
            one_way = np.abs(signed) / np.maximum(strong.sum(axis=1), 1)
        direction[sel] = np.sign(signed).astype(np.int8)
        score[sel] = score[sel] * np.clip(2.0 * one_way - 1.0, 0.0, 1.0)
        # Onset: first post point where |z| >= max(Z0, stat / 2) for 2 of 3 consecutive points.
        hot = (azs >= np.maximum(Z0, st / 2.0)[:, None]).astype(np.int8)
        if hot.shape[1] >= 3:
            win = hot[:, :-2] + hot[:, 1:-1] + hot[:, 2:]
            start_ok = (win >= 2) & (hot[:, :-2] == 1)
            first = np.where(start_ok.any(axis=1), start_ok.argmax(axis=1), -1)
        else:
            first = np.where(hot.any(axis=1), hot.argmax(axis=1), -1)
        onset[sel] = np.where((first >= 0) & (score[sel] > 0), ts[nb + np.maximum(first, 0)], np.nan)
        # Persistence: a change that holds from its onset on is what a fault looks like; a
        # burst that came and went while the incident went on weighs up to half less.
        after = np.arange(hot.shape[1])[None, :] >= np.maximum(first, 0)[:, None]
        finite = np.isfinite(zs) & after
        held = (hot.astype(bool) & finite).sum(axis=1) / np.maximum(finite.sum(axis=1), 1)
        score[sel] = score[sel] * np.clip(held / PERSIST_FULL, 0.5, 1.0)
    with np.errstate(all="ignore"):
        rel = np.where(np.abs(med) > 1e-12, (post_med - med) / np.abs(med), np.nan)
    return ShiftScan(score=score, stat=stat, direction=direction, onset=onset, rel_change=rel,
                     base_median=med, post_median=post_med, valid=valid)
