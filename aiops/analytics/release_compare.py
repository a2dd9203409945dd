"""Before/after comparison of one signal around a release: robust, seasonal, and two-gated.

Input: the bucketed values of one signal (NaN where a bucket has no data) in the baseline
window before the release and in the window after it, and optionally the same two windows
on previous days.

- Effect size. On a *ratio* scale (latency, traffic, saturation) the relative change of the
  medians, `median(after) / median(before) - 1`: one slow bucket or a warm-up minute does
  not move it. On an *additive* scale (error ratios, which sit near 0 and are spiky) the
  difference of the means, in the signal's own unit (0.01 = one percentage point).
- Seasonality. With previous days, the after window is first corrected by the change the
  same hours showed on those days (median over days of their after/before factor, or
  offset): a deploy at 08:00 on the morning ramp is compared with the ramp the previous
  mornings had, not with a flat line. (An offset corrects the effect size only: shifting
  a mostly-zero error ratio would fake a rank difference in the test.) One or two days are
  a noisy estimate, so they may only explain a change away; a correction that would make
  the release look *worse* (the same hours usually improve) needs MIN_DAYS_TO_WORSEN days
  that all moved the same way.
- Significance, one-sided in the direction that hurts. Buckets of one series are
  autocorrelated (traffic drifts), which makes tests that assume independent buckets far
  too confident: every test below sees the effective number of buckets, `n / tau`, tau
  the baseline's integrated autocorrelation time `1 + 2 sum(r_k)` (lags summed while
  their autocorrelation stays above 0.05, at most n/3).
  Ratio signals (positive, continuous): a robust z on log values — the difference of the
  medians over its standard error, sigma = 1.4826 MAD of the baseline, Student t. Unlike
  a rank test it keeps its power when a large shift meets strong drift (a rank test's z is
  capped by complete separation, so CPU +76 % under drifting load read p = 0.01).
  Additive signals (error ratios: mostly zero, tied): a Mann-Whitney U test with its
  variance multiplied by tau.
- Verdict (`grade`). A check fails or warns only when both hold: p below `alpha`, and the
  effect at or above the fail / warn size (and any absolute minimum, e.g. 5 ms). A large
  change that the data cannot tell from noise passes; so does a significant but tiny one.

Pure numpy (+ scipy.special for the Poisson tails, imported lazily). No I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np

from aiops.analytics.stattests import mann_whitney_p

Scale = Literal["ratio", "additive"]
Status = Literal["pass", "warn", "fail"]

MIN_BEFORE = 8          # baseline buckets needed to judge a signal
MIN_AFTER = 4           # after buckets needed
MIN_AUTOCORRELATION = 0.05   # lags summed into tau while their autocorrelation stays above this
MIN_DAYS_TO_WORSEN = 3  # previous days that must agree before a correction may add harm
MIN_LOG_SIGMA = 0.005   # log-scale spread floor: a flat baseline does not make 0.5 % significant
MAX_NONPOSITIVE = 0.1   # ratio signals with more zeros than this are tested by ranks


@dataclass(frozen=True)
class Comparison:
    n_before: int
    n_after: int
    before: float             # baseline median (ratio scale) or mean (additive)
    after: float              # the same for the after window, seasonally corrected
    after_raw: float          # without the seasonal correction
    change: float             # relative (ratio scale) or absolute (additive) change
    p_value: float            # one-sided, in the direction that hurts
    autocorrelation_time: float   # tau of the baseline: buckets per independent observation
    seasonal: float | None    # factor (ratio) or offset (additive) from previous days
    day_changes: tuple[float, ...] = ()   # the change each previous day showed at these hours
    seasonal_applied: bool = False        # False: too few agreeing days to make the change look worse
    scale: Scale = "ratio"
    direction: int = 1

    @property
    def harm(self) -> float:
        """The change in the direction that hurts (positive = worse)."""
        return self.change * self.direction


@dataclass(frozen=True)
class Gate:
    """Thresholds of one check: both significance and size are needed to warn or fail."""

    alpha: float
    warn: float               # effect size (relative or absolute, per the scale) to warn
    fail: float               # ... and to fail
    min_abs: float = 0.0      # the absolute change (signal unit) must also reach this
    min_ratio: float = 0.0    # after / before must also reach this (additive signals)


def location(values: np.ndarray, scale: Scale) -> float:
    v = values[np.isfinite(values)]
    if len(v) == 0:
        return math.nan
    return float(np.median(v)) if scale == "ratio" else float(np.mean(v))


def _change(before: float, after: float, scale: Scale) -> float:
    if scale == "additive":
        return after - before
    if before > 0:
        return after / before - 1.0
    return 0.0 if after <= 0 else math.inf


def seasonal_correction(history: Sequence[tuple[np.ndarray, np.ndarray]], scale: Scale,
                        min_before: int = MIN_BEFORE, min_after: int = MIN_AFTER
                        ) -> tuple[float | None, tuple[float, ...]]:
    """Median over previous days of how the signal moved from the baseline hours to the
    after hours (a factor on the ratio scale, an offset on the additive one), and each
    day's change; (None, ()) when no day has enough data."""
    factors, changes = [], []
    for hb, ha in history:
        hb, ha = np.asarray(hb, float), np.asarray(ha, float)
        if np.isfinite(hb).sum() < min_before or np.isfinite(ha).sum() < min_after:
            continue
        b, a = location(hb, scale), location(ha, scale)
        if scale == "ratio":
            if not b > 0 or not a >= 0:
                continue
            factors.append(a / b)
        else:
            factors.append(a - b)
        changes.append(_change(b, a, scale))
    if not factors:
        return None, ()
    return float(np.median(factors)), tuple(changes)


def autocorrelation_time(values: np.ndarray) -> float:
    """Integrated autocorrelation time of a series with gaps: 1 + 2 * sum of the lag-k
    autocorrelations (pairs of finite values k apart), summed while they stay above
    MIN_AUTOCORRELATION (the initial positive sequence); 1 for white noise, at most n/3."""
    x = np.asarray(values, dtype=float)
    ok = np.isfinite(x)
    n = int(ok.sum())
    if n < 4:
        return 1.0
    d = np.where(ok, x - np.median(x[ok]), 0.0)
    var = float(np.mean(d[ok] ** 2))
    if var <= 0:
        return 1.0
    tau = 1.0
    for k in range(1, len(x) // 4 + 1):
        pair = ok[:-k] & ok[k:]
        if pair.sum() < 3:
            break
        r = float(np.mean(d[:-k][pair] * d[k:][pair])) / var
        if r <= MIN_AUTOCORRELATION:
            break
        tau += 2.0 * r
    return float(min(tau, max(n / 3.0, 1.0)))


def robust_shift_p(after: np.ndarray, before: np.ndarray, direction: int = 1, tau: float = 1.0) -> float:
    """One-sided p that the median of `after` lies above (+1) / below (-1) the median of
    `before` (values on a log scale): the difference over 1.2533 sigma sqrt(1/nb + 1/na),
    sigma = 1.4826 MAD of `before` (floored), n the sizes divided by the autocorrelation
    time `tau`, Student t."""
    from scipy.special import stdtr

    a, b = np.asarray(after, float), np.asarray(before, float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) == 0 or len(b) < 2:
        return 1.0
    na, nb = max(len(a) / max(tau, 1.0), 1.0), max(len(b) / max(tau, 1.0), 2.0)
    sigma = max(1.4826 * float(np.median(np.abs(b - np.median(b)))), MIN_LOG_SIGMA)
    se = 1.2533 * sigma * math.sqrt(1.0 / nb + 1.0 / na)
    t = direction * (float(np.median(a)) - float(np.median(b))) / se
    return float(stdtr(max(na + nb - 2.0, 1.0), -t))


def _log_positive(x: np.ndarray) -> np.ndarray | None:
    """log of a ratio signal (NaN kept where missing), None when it has too many zeros."""
    finite = np.isfinite(x)
    if not finite.any() or (x[finite] <= 0).mean() > MAX_NONPOSITIVE:
        return None
    with np.errstate(all="ignore"):
        return np.where(finite & (x > 0), np.log(np.where(x > 0, x, 1.0)), np.nan)


def compare_windows(before: np.ndarray, after: np.ndarray, *, direction: int = 1, scale: Scale = "ratio",
                    history: Sequence[tuple[np.ndarray, np.ndarray]] = (),
                    min_before: int = MIN_BEFORE, min_after: int = MIN_AFTER) -> Comparison | None:
    """Compare one signal's after-release buckets with its baseline; None without enough data.

    `direction` is the way that hurts: +1 for latency, errors and saturation, -1 for traffic.
    `history` holds (before, after) bucket arrays of the same hours on previous days.
    """
    if direction not in (1, -1):
        raise ValueError(f"direction must be +1 or -1, got {direction!r}")
    b = np.asarray(before, dtype=float)
    a = np.asarray(after, dtype=float)
    nb, na = int(np.isfinite(b).sum()), int(np.isfinite(a).sum())
    if nb < min_before or na < min_after:
        return None
    seasonal, day_changes = seasonal_correction(history, scale, min_before, min_after)
    applied = seasonal is not None and _trusted(seasonal, day_changes, scale, direction)
    adjusted = a
    if applied:
        adjusted = a / seasonal if scale == "ratio" and seasonal > 0 else a - seasonal if scale == "additive" else a
    loc_b, loc_a = location(b, scale), location(adjusted, scale)
    log_b, log_a = (_log_positive(b), _log_positive(adjusted)) if scale == "ratio" else (None, None)
    if log_b is not None and log_a is not None:
        tau = autocorrelation_time(log_b)
        p = robust_shift_p(log_a, log_b, direction, tau)
    else:
        # An offset would shift every bucket of a mostly-zero error ratio past the baseline's
        # zeros and fake a rank difference: on the additive scale the previous days correct
        # the effect size only, and the test ranks the buckets as they are.
        tested = adjusted if scale == "ratio" else a
        tau = autocorrelation_time(b)
        p = mann_whitney_p(tested, b, direction, tau)
    return Comparison(n_before=nb, n_after=na, before=loc_b, after=loc_a, after_raw=location(a, scale),
                      change=_change(loc_b, loc_a, scale), p_value=p, autocorrelation_time=tau, seasonal=seasonal,
                      seasonal_applied=applied,
                      day_changes=day_changes, scale=scale, direction=direction)


def _trusted(seasonal: float, day_changes: tuple[float, ...], scale: Scale, direction: int) -> bool:
    """May this correction be applied? Always when it explains harm away; when it would add
    harm only if enough previous days agree on the direction."""
    move = math.log(seasonal) if scale == "ratio" and seasonal > 0 else seasonal if scale == "additive" else 0.0
    if move * direction >= 0:              # the same hours usually get worse: the correction forgives
        return True
    return len(day_changes) >= MIN_DAYS_TO_WORSEN and all(c * direction < 0 for c in day_changes)


def grade(c: Comparison, gate: Gate) -> Status:
    """pass / warn / fail: significance *and* a practically meaningful effect are both needed."""
    if not c.p_value < gate.alpha:
        return "pass"
    if (c.after - c.before) * c.direction < gate.min_abs:
        return "pass"
    if gate.min_ratio > 0:
        worse, base = (c.after, c.before) if c.direction > 0 else (c.before, c.after)
        if base > 0 and worse / base < gate.min_ratio:
            return "pass"
    if c.harm >= gate.fail:
        return "fail"
    if c.harm >= gate.warn:
        return "warn"
    return "pass"


def poisson_upper(k: np.ndarray | int, lam: np.ndarray | float, dispersion: np.ndarray | float = 1.0) -> np.ndarray:
    """P(X >= k) for a (quasi-)Poisson X with mean `lam` and variance `dispersion * lam`;
    1 where k <= 0. Vectorised."""
    from scipy.special import gammainc

    k = np.atleast_1d(np.asarray(k, dtype=float))
    lam = np.broadcast_to(np.maximum(np.asarray(lam, dtype=float), 1e-12), k.shape)
    phi = np.broadcast_to(np.maximum(np.asarray(dispersion, dtype=float), 1.0), k.shape)
    out = np.ones(k.shape)
    pos = k > 0
    out[pos] = gammainc(k[pos] / phi[pos], lam[pos] / phi[pos])
    return out


def dispersion(counts: np.ndarray) -> np.ndarray:
    """Variance / mean of per-bin counts, row-wise, in [1, 100] (1 where a row is empty)."""
    c = np.atleast_2d(np.asarray(counts, dtype=float))
    if c.shape[1] < 2:
        return np.ones(c.shape[0])
    mean = c.mean(axis=1)
    var = c.var(axis=1, ddof=1)
    return np.clip(np.where(mean > 0, var / np.maximum(mean, 1e-12), 1.0), 1.0, 100.0)


def counter_increase(values: np.ndarray) -> np.ndarray:
    """Row-wise increase of counters sampled over time (NaN = missing): the sum of rises,
    where a drop is a reset and the new value counts as the increase (PromQL increase())."""
    v = np.atleast_2d(np.asarray(values, dtype=float))
    out = np.zeros(v.shape[0])
    for i, row in enumerate(v):
        x = row[np.isfinite(row)]
        if len(x) < 2:
            continue
        d = np.diff(x)
        out[i] = float(np.where(d >= 0, d, x[1:]).sum())
    return out
