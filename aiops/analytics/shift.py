"""Which series changed at the onset, and how much: the metric evidence for ranking.

Real incidents give little to compare: one or two samples before the alert at 1- or 5-minute
steps are common, the fault often began a few minutes before the alert fired, and a series
may already have been odd before the incident (a pre-existing condition is not this
incident's cause). Per series, vectorised over all series at once:

* **transform**: a series that is never negative is judged in log space (log(x + c), c a
  small fraction of its typical level and at least its resolution), so a 20x latency jump is
  20x whether the level was 5 ms or 2 s, and multiplicative noise weighs the same on every
  service; other series stay linear;
* **candidate onsets**: every grid point from `lead_s` before the onset hint (the alert may
  fire late) to one step after it; the onset is the candidate with the strongest change;
* **noise**: the robust scale of the series' own point-to-point differences before the
  candidate (differences ignore a level shift), shrunk towards the typical scale of its
  metric family over all services (empirical Bayes: with 1 or 2 samples the family decides,
  with hundreds the series does), floored by its resolution and a small relative level;
* **reference levels**: the change must stand out against the last sample, the median of the
  last three and the median of all samples before the onset (and, for a baseline with a clear
  linear trend, its extrapolation) — the smallest of those z counts, so a series that had
  already moved before the onset, or was only continuing a trend, is not news. Each
  reference's own uncertainty widens its scale (sqrt(1 + pi/2 / n));
* **statistic**: the k-th largest z after the onset in the direction that is larger, k the
  points covering two minutes (at most half of the points after the onset, at least 20 % of
  them, at least one: a fault that shows in one 5-minute sample counts, one burst of a noisy
  service at minute steps does not);
* **score** = (log(stat / Z0) / log(Z_FULL / Z0)) ** 0.7 on 0..1, times how one-sided the
  points beyond the statistic are (a series that only got noisier is not a shift) and how well
  the change holds from its onset on (a burst that came and went weighs up to half less).

NaN (missing buckets) are ignored throughout.
"""

from __future__ import annotations

import math
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from aiops.analytics.stattests import binomial_upper

Z0 = 3.0          # below this robust z there is no evidence
Z_FULL = 100.0    # z = 10 -> 0.47, 30 -> 0.75, >= 100 -> 1
PERSIST_FULL = 0.4     # share of points from the onset on that are out for full weight
LEAD_S = 300.0         # the fault may have begun this long before the onset hint
PRIOR_WEIGHT = 4.0     # the family's scale counts as this many differences of the series' own
MIN_LOG_SCALE = 0.02   # log space: changes within ~2 % are never news
FLAT_SHARE = 0.1       # a baseline flat at zero: its scale is this share of the change (z at most 10)
REL_FLOOR = 0.01       # linear space: nor are changes within 1 % of the level
MIN_BASE_SHARE = 0.3   # a series needs samples in this share of the grid points before the onset
SUSTAIN_S = 120.0      # ... and the change must hold this long (see the k in scan_shifts)
POST_SHARE = 0.2       # the statistic is the k-th largest z, k = this share of the points after the onset
SPIKE_PRIOR = 0.02     # a series' spike rate before it has shown any ...
SPIKE_PRIOR_N = 10.0   # ... counts as this many baseline points
SPIKE_LOG10 = 2.0      # more spikes after the onset than one in 10^2 runs of its own rate: a change
SPIKE_FLOOR = 0.3
_MEDIAN_VAR = math.pi / 2.0   # variance of a sample median, in units of sigma^2 / n


def z_score(z: np.ndarray | float) -> np.ndarray:
    """A robust z as evidence on 0..1: 0 up to Z0, (log(z / Z0) / log(Z_FULL / Z0)) ** 0.7 above."""
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(all="ignore"):
        return np.where(z > Z0, np.clip(np.log(z / Z0) / np.log(Z_FULL / Z0), 0.0, 1.0) ** 0.7, 0.0)


@dataclass(frozen=True)
class ShiftScan:
    score: np.ndarray        # [N] 0..1
    stat: np.ndarray         # [N] robust z of the change (absolute)
    direction: np.ndarray    # [N] +1 / -1 / 0
    onset: np.ndarray        # [N] unix s, NaN when no onset
    rel_change: np.ndarray   # [N] (after median - before median) / |before median|, NaN if undefined
    base_median: np.ndarray
    post_median: np.ndarray
    valid: np.ndarray        # [N] bool: data on both sides of the onset
    peak_ratio: np.ndarray   # [N] after/before where the statistic was taken (the k-th point); 1 if none


@contextmanager
def _quiet():
    """All-NaN rows are expected (missing series): no RuntimeWarnings for them."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _transform(x: np.ndarray, quiet: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """log(x + c) for rows that are never negative, x otherwise; which rows are logged; what 0
    becomes in each row (log c, or 0); and each row's resolution in the same space. `quiet`:
    how many leading columns came before any candidate onset."""
    with _quiet():
        lo = np.nanmin(x, axis=1)
        positive = np.where(x > 0, x, np.nan)
        level = np.nanmedian(positive, axis=1)
        # whole numbers move by one unit, however far apart the values they took
        whole = np.all(~np.isfinite(x) | (x == np.round(x)), axis=1)
    logged = np.isfinite(lo) & (lo >= 0)
    # The resolution: the smallest step between the distinct values the series took before the
    # onset (counts of connections, threads or replicas move in whole units, and a one-unit
    # wiggle of a series that sat still is the measurement's resolution, not a robust z of 10);
    # for a baseline that sat still (two samples or more), one unit for whole numbers, else
    # the smallest step between any values (one sample says nothing of the resolution). In
    # log space: one such step at the level the series sits at. Not the gaps between the few
    # scattered levels a flat series fell to: those are large.
    before, every = _smallest_step(x[:, :quiet]), _smallest_step(x)
    still = whole & (np.isfinite(x[:, :quiet]).sum(axis=1) >= 2) & (every > 1.0)
    quantum = np.where(before > 0, before, np.where(still, 1.0, every))
    typical = np.where(np.isfinite(level), level, 1.0)
    c = np.fmax.reduce([0.05 * typical, quantum, np.full(len(x), 1e-12)])
    y = np.where(logged[:, None], np.log(np.where(logged[:, None], x, 1.0) + c[:, None]), x)
    resolution = np.where(logged, np.log1p(quantum / (typical + c)), quantum)
    return y, logged, np.where(logged, np.log(c), 0.0), resolution


def _smallest_step(x: np.ndarray) -> np.ndarray:
    """Per row, the smallest gap between distinct finite values (0 with fewer than two)."""
    srt = np.sort(np.where(np.isfinite(x), x, np.inf), axis=1)
    with _quiet():                  # inf - inf past the last sample: NaN, dropped below
        step = np.diff(srt, axis=1)
    step = np.where(np.isfinite(step) & (step > 0), step, np.inf)
    q = step.min(axis=1) if step.shape[1] else np.full(len(x), np.inf)
    return np.where(np.isfinite(q), q, 0.0)


def _prev_finite(y: np.ndarray) -> np.ndarray:
    """For each cell, the index of the nearest finite cell before it in its row (-1 if none)."""
    n, t = y.shape
    idx = np.where(np.isfinite(y), np.arange(t)[None, :], -1)
    last = np.maximum.accumulate(idx, axis=1)
    prev = np.full((n, t), -1, dtype=np.int64)
    prev[:, 1:] = last[:, :-1]
    return prev


def _diff_scale(diffs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Robust point-to-point noise per row (NaN-padded differences) and how many there were."""
    with _quiet():
        s = 1.4826 * np.nanmedian(np.abs(diffs), axis=1) / math.sqrt(2.0)
    return s, np.isfinite(diffs).sum(axis=1)


def _family_scale(scale: np.ndarray, count: np.ndarray, families: list[str]) -> np.ndarray:
    """Per row, the median noise of its metric family (rows with at least one difference)."""
    out = np.full(len(families), np.nan)
    groups: dict[str, list[int]] = {}
    for i, fam in enumerate(families):
        groups.setdefault(fam, []).append(i)
    for rows in groups.values():
        r = np.asarray(rows)
        ok = r[(count[r] > 0) & np.isfinite(scale[r])]
        if len(ok):
            out[r] = float(np.median(scale[ok]))
    return out


def _kth_largest(z: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Per row, the k-th largest finite value (-inf when the row has fewer)."""
    srt = -np.sort(-np.where(np.isfinite(z), z, -np.inf), axis=1)
    kk = np.clip(k - 1, 0, max(srt.shape[1] - 1, 0))
    return srt[np.arange(len(z)), kk] if srt.shape[1] else np.full(len(z), -np.inf)


def _trend_line(pre: np.ndarray, t_pre: np.ndarray, t_post: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Expected post values [N, P] of rows whose baseline has a clear linear trend (the line
    moves by more than 4 noise scales over the baseline and explains its spread); NaN rows
    otherwise."""
    ok = np.isfinite(pre)
    okf = ok.astype(np.float64)
    cnt = okf.sum(axis=1)
    out = np.full((len(pre), len(t_post)), np.nan)
    if len(t_pre) < 6:
        return out
    b0 = np.where(ok, pre, 0.0)
    c = np.maximum(cnt, 1.0)
    t_mean = (okf @ t_pre) / c
    x_mean = b0.sum(axis=1) / c
    sxx = okf @ (t_pre * t_pre) - cnt * t_mean * t_mean
    sxy = b0 @ t_pre - cnt * t_mean * x_mean
    slope = np.where(sxx > 0, sxy / np.where(sxx > 0, sxx, 1.0), 0.0)
    span = float(t_pre[-1] - t_pre[0])
    line = x_mean[:, None] + slope[:, None] * (t_pre[None, :] - t_mean[:, None])
    with _quiet():
        resid = np.nanmedian(np.abs(pre - line), axis=1) * 1.4826
        spread = np.nanmedian(np.abs(pre - np.nanmedian(pre, axis=1)[:, None]), axis=1) * 1.4826
    trends = (cnt >= 6) & (np.abs(slope) * span > 4.0 * np.fmax(resid, scale)) & (spread > 2.0 * resid)
    out[trends] = x_mean[trends, None] + slope[trends, None] * (t_post[None, :] - t_mean[trends, None])
    return out


def scan_shifts(values: np.ndarray, timestamps: np.ndarray, onset_hint: float, *, step: float | None = None,
                families: list[str] | None = None, lead_s: float = LEAD_S) -> ShiftScan:
    """Change of every series at the onset (see the module doc). `families` names each row's
    metric family (the metric name) for the shared noise prior; `step` is the grid step."""
    x = np.asarray(values, dtype=np.float64)
    ts = np.asarray(timestamps, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != ts.shape[0]:
        raise ValueError(f"values must be [N, T] with T = len(timestamps); got {x.shape} and {ts.shape}")
    n, t = x.shape
    step = float(step) if step else (float(np.median(np.diff(ts))) if t > 1 else 60.0)
    families = families if families is not None else [""] * n
    zeros, empty = np.zeros(n), np.full(n, np.nan)
    cands = [j for j in range(1, t) if onset_hint - max(lead_s, step) <= ts[j] <= onset_hint + step]
    result = ShiftScan(zeros.copy(), zeros.copy(), np.zeros(n, dtype=np.int8), empty.copy(), empty.copy(),
                       empty.copy(), empty.copy(), np.zeros(n, dtype=bool), np.ones(n))
    if n == 0 or not cands:
        return result
    y, logged, zero, resolution = _transform(x, cands[0])
    half_resolution = 0.5 * resolution
    finite = np.isfinite(y)
    prev = _prev_finite(y)
    rows = np.arange(n)[:, None]
    diffs = np.where(finite & (prev >= 0), y - y[rows, np.maximum(prev, 0)], np.nan)
    # the family prior from the data before the earliest candidate (the quiet part, if any)
    first = cands[0]
    own0, cnt0 = _diff_scale(diffs[:, 1:first])
    fam = _family_scale(own0, cnt0, families)
    own_all, cnt_all = _diff_scale(diffs)
    fam = np.where(np.isfinite(fam), fam, _family_scale(own_all, cnt_all, families))
    fam = np.where(np.isfinite(fam), fam, np.where(logged, 0.25, np.nan))

    best = np.full(n, -np.inf)
    best_dir = np.zeros(n, dtype=np.int8)
    best_j = np.full(n, -1, dtype=np.int64)
    best_z = np.full((n, t), np.nan)
    best_ref = np.full(n, np.nan)
    best_width = np.full(n, np.nan)
    best_other = np.zeros(n)        # the statistic in the other direction
    for j in cands:
        pre, post = y[:, :j], y[:, j:]
        n_pre = finite[:, :j].sum(axis=1)
        n_post = finite[:, j:].sum(axis=1)
        own, cnt = _diff_scale(diffs[:, 1:j])
        own = np.where(np.isfinite(own), own, 0.0)
        prior = np.where(np.isfinite(fam), fam, own)
        scale = np.sqrt((PRIOR_WEIGHT * prior ** 2 + cnt * own ** 2) / (PRIOR_WEIGHT + cnt))
        with _quiet():
            level = np.nanmedian(pre, axis=1)
            refs = [(level, n_pre)]
            for m in (1, 3):
                last = _last_finite(pre, m)
                with _quiet():
                    refs.append((np.nanmedian(last, axis=1), np.minimum(n_pre, m)))
        floor = np.fmax(np.where(logged, MIN_LOG_SCALE, np.fmax(REL_FLOOR * np.abs(level), 1e-12)), half_resolution)
        # A baseline flat at zero (no errors, no restarts) is floored by the change's own size:
        # 0 -> many is sure but not infinitely (z 10). One flat elsewhere (exactly 100 %
        # available) keeps the relative floor: a drop to 25 % is as sure as from 99.8 +- 0.1 %.
        with _quiet():
            jump = np.nanmax(np.abs(post - level[:, None]), axis=1)
        at_zero = np.where(logged, level == zero, np.abs(level) <= 1e-12)   # the baseline's median is 0
        flat = (cnt > 0) & (own <= 1e-12) & at_zero
        floor = np.where(flat & np.isfinite(jump), np.fmax(floor, FLAT_SHARE * jump), floor)
        scale = np.fmax(np.where(np.isfinite(scale), scale, floor), floor)
        # a change holds for SUSTAIN_S (or half the points after the onset, if fewer): one
        # burst of a noisy service is not a change; at 5-minute steps one sample can be
        k = np.maximum.reduce([np.ones(n), np.round(POST_SHARE * n_post),
                               np.minimum(math.ceil(SUSTAIN_S / step), np.ceil(0.5 * n_post))]).astype(np.int64)
        up, down = np.full(n, np.inf), np.full(n, np.inf)
        z_level = None
        trend = _trend_line(pre, ts[:j], ts[j:], scale)
        trend_ref = [(trend, n_pre)] if np.isfinite(trend).any() else []
        for r, (ref, n_ref) in enumerate(refs + trend_ref):
            # the level of everything before the onset carries its own uncertainty; the last
            # samples only say whether the series had already moved (they veto, not widen)
            width = scale * np.sqrt(1.0 + _MEDIAN_VAR / np.maximum(n_ref, 1))
            centre = ref if ref.ndim == 2 else ref[:, None]
            z = (post - centre) / width[:, None]
            has = np.isfinite(ref).any(axis=1) if ref.ndim == 2 else np.isfinite(ref)
            up = np.where(has, np.fmin(up, _kth_largest(z, k)), up)
            down = np.where(has, np.fmin(down, _kth_largest(-z, k)), down)
            if z_level is None:
                z_level, width_level = z, width
        stat = np.fmax(up, down)
        # A series that began long after the others (a pod created by a rollout or a restart)
        # has too little history to judge: its startup would pass for the norm.
        need = max(1, int(math.ceil(MIN_BASE_SHARE * j)))
        ok = (n_pre >= need) & (n_post >= 1) & np.isfinite(stat)
        better = ok & (stat > best)
        best = np.where(better, stat, best)
        best_dir = np.where(better, np.where(up >= down, 1, -1), best_dir).astype(np.int8)
        best_j = np.where(better, j, best_j)
        best_ref = np.where(better, level, best_ref)
        best_width = np.where(better, width_level, best_width)
        best_other = np.where(better, np.fmin(up, down), best_other)
        best_z[better] = np.concatenate([np.full((int(better.sum()), j), np.nan), z_level[better]], axis=1)

    valid = best_j >= 0
    stat = np.where(valid, np.maximum(best, 0.0), 0.0)
    score = z_score(stat)
    onset = np.full(n, np.nan)
    sel = np.flatnonzero(score > 0)
    for i in sel:   # few rows: one-sidedness, onset and persistence of each shift
        zi = best_z[i, best_j[i]:]
        zi = zi[np.isfinite(zi)]
        if len(zi) == 0:
            continue
        signed = zi * best_dir[i]
        # points beyond what the weaker direction reached: as many up as down is only noise
        # points beyond half the statistic and beyond what the weaker direction reached: as
        # many of them up as down is a series that only got noisier
        top = float(np.max(np.abs(zi)))
        strong = np.abs(zi) >= min(top, max(Z0, stat[i] / 2.0, float(best_other[i])))
        one_way = abs(float(np.sum(np.sign(zi[strong])))) / max(int(strong.sum()), 1)
        score[i] *= float(np.clip(2.0 * one_way - 1.0, 0.0, 1.0))
        hot = signed >= max(Z0, stat[i] / 2.0)
        first_hot = int(np.argmax(hot)) if hot.any() else 0
        cols = np.flatnonzero(np.isfinite(best_z[i, best_j[i]:]))
        onset[i] = ts[best_j[i] + cols[first_hot]]
        held = hot[first_hot:].mean() if len(hot[first_hot:]) else 0.0
        score[i] *= float(np.clip(held / PERSIST_FULL, 0.5, 1.0))
        score[i] *= _unlike_its_spikes(y[i, :best_j[i]], best_ref[i], best_width[i], best_dir[i],
                                       max(Z0, stat[i] / 2.0), int(hot.sum()), len(hot))
    base_med, post_med = _medians_around(x, best_j)
    with np.errstate(all="ignore"):
        rel = np.where(np.abs(base_med) > 1e-12, (post_med - base_med) / np.abs(base_med), np.nan)
    direction = np.where(score > 0, best_dir, 0).astype(np.int8)
    # the size of the change where it was measured (bursts in a fifth of the samples leave the
    # medians where they were): the k-th point against the level (of x + c, for a logged row)
    with np.errstate(all="ignore"):
        moved = best_dir * stat * best_width
        peak = np.where(logged, np.exp(moved), (best_ref + moved) / np.abs(best_ref))
    peak = np.where(valid & np.isfinite(peak) & (peak > 0), peak, 1.0)
    return ShiftScan(score=score, stat=stat, direction=direction, onset=onset, rel_change=rel,
                     base_median=base_med, post_median=post_med, valid=valid, peak_ratio=peak)


def _unlike_its_spikes(pre: np.ndarray, level: float, width: float, direction: int, threshold: float,
                       hot: int, n: int) -> float:
    """How far `hot` points beyond `threshold` out of `n` after the onset are more than the
    series' own spikes would give: a series that spiked as high before (5-minute p99 of a
    service with cold starts) is expected to spike after too. The spike rate is the share of
    baseline points beyond the threshold, shrunk towards SPIKE_PRIOR; the binomial tail of
    `hot` given it must reach 10^-SPIKE_LOG10 for full weight, SPIKE_FLOOR at worst."""
    pre = pre[np.isfinite(pre)]
    if hot <= 0 or n <= 0 or not (math.isfinite(width) and width > 0 and math.isfinite(level)):
        return 1.0
    seen = int(np.sum((pre - level) / width * direction >= threshold))
    p = (seen + SPIKE_PRIOR_N * SPIKE_PRIOR) / (len(pre) + SPIKE_PRIOR_N)
    tail = binomial_upper(hot, n, p)
    return float(np.clip(-math.log10(max(tail, 1e-300)) / SPIKE_LOG10, SPIKE_FLOOR, 1.0))


def _last_finite(a: np.ndarray, m: int) -> np.ndarray:
    """Per row, its last m finite values (NaN-padded on the left), as [N, m]."""
    n, t = a.shape
    srt_idx = np.argsort(np.isfinite(a), axis=1, kind="stable")      # NaN first, finite last, order kept
    tail = srt_idx[:, max(t - m, 0):]
    vals = a[np.arange(n)[:, None], tail]
    return vals


def _medians_around(x: np.ndarray, split: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Median of each row before and after its split (NaN without one)."""
    n, t = x.shape
    cols = np.arange(t)[None, :]
    before = np.where(cols < split[:, None], x, np.nan)
    after = np.where((cols >= split[:, None]) & (split[:, None] >= 0), x, np.nan)
    with _quiet():
        return np.nanmedian(before, axis=1), np.nanmedian(after, axis=1)


def marginal_z(values: np.ndarray, timestamps: np.ndarray, onset_hint: float) -> np.ndarray:
    """Per series, the plainest measure of how far it moved: |median after the onset hint -
    median before| in robust standard deviations of the data before (1.4826 MAD, or the
    standard deviation where the MAD is 0, or 1 where both are) — what the trivial
    largest-metric-shift ranking uses. A median, not the largest point: a dozen series of
    white noise always hold a point beyond 3 sigma, never a median that moved. The ranking
    falls back on it when no change passed as evidence. 0 without data on a side."""
    x = np.asarray(values, dtype=np.float64)
    ts = np.asarray(timestamps, dtype=np.float64)
    nb = int(np.searchsorted(ts, onset_hint, side="left"))
    if x.ndim != 2 or nb == 0 or nb >= x.shape[1]:
        return np.zeros(len(x))
    with _quiet():
        med = np.nanmedian(x[:, :nb], axis=1)
        mad = 1.4826 * np.nanmedian(np.abs(x[:, :nb] - med[:, None]), axis=1)
        sd = np.nanstd(x[:, :nb], axis=1)
        scale = np.where(mad > 0, mad, np.where(sd > 0, sd, 1.0))
        z = np.abs(np.nanmedian(x[:, nb:], axis=1) - med) / scale
    return np.where(np.isfinite(z), z, 0.0)
