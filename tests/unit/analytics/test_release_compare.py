"""Before/after comparison around a release: robust to noise, drift and time of day, two-gated."""

from __future__ import annotations

import numpy as np
import pytest

from aiops.analytics.release_compare import (
    Gate, autocorrelation_time, compare_windows, counter_increase, grade, mann_whitney_p, poisson_upper,
)

LATENCY = Gate(alpha=0.001, warn=0.15, fail=0.30, min_abs=0.005)
TRAFFIC = Gate(alpha=0.001, warn=0.25, fail=0.5)
ERRORS = Gate(alpha=0.001, warn=0.005, fail=0.01, min_ratio=2.0)


def _ar1(rng: np.random.Generator, n: int, phi: float, sd: float) -> np.ndarray:
    x = np.zeros(n)
    for i in range(1, n):
        x[i] = phi * x[i - 1] + rng.normal(0.0, sd)
    return x


def test_a_clear_latency_regression_fails_and_a_mild_one_warns():
    rng = np.random.default_rng(1)
    before = 0.050 * np.exp(rng.normal(0, 0.08, 120))
    slow = 0.050 * 1.6 * np.exp(rng.normal(0, 0.08, 30))
    mild = 0.050 * 1.2 * np.exp(rng.normal(0, 0.08, 30))
    c = compare_windows(before, slow)
    assert c.p_value < 1e-6 and c.change == pytest.approx(0.6, abs=0.1)
    assert grade(c, LATENCY) == "fail"
    assert grade(compare_windows(before, mild), LATENCY) == "warn"


def test_ordinary_noise_with_drift_rarely_trips_the_gate():
    """Traffic that drifts (AR(1), like real load) over 200 synthetic releases: a plain U
    test would call many of them significant; the autocorrelation-aware one almost never."""
    rng = np.random.default_rng(7)
    plain, gated = 0, 0
    for _ in range(200):
        x = 50.0 * np.exp(_ar1(rng, 150, 0.9, 0.04) + rng.normal(0, 0.03, 150))
        before, after = x[:120], x[120:]
        plain += mann_whitney_p(after, before, -1) < 0.001
        c = compare_windows(before, after, direction=-1)
        gated += grade(c, TRAFFIC) != "pass" or c.p_value < 0.001
    assert plain >= 20            # the naive test is fooled by drift
    assert gated <= 4             # <= 2 % once autocorrelation is accounted for


def test_autocorrelation_time_counts_buckets_per_independent_value():
    rng = np.random.default_rng(3)
    assert autocorrelation_time(rng.normal(size=500)) < 1.3
    drift = _ar1(rng, 2000, 0.9, 1.0)                 # theory: (1 + 0.9) / (1 - 0.9) = 19
    assert 12 < autocorrelation_time(drift) < 25
    with_gaps = drift.copy()
    with_gaps[::7] = np.nan
    assert 12 < autocorrelation_time(with_gaps) < 25


def test_the_same_hours_of_previous_days_explain_a_daily_ramp():
    """A deploy on the morning ramp: traffic and latency rise after it every day."""
    rng = np.random.default_rng(5)

    def day(scale_after: float) -> tuple[np.ndarray, np.ndarray]:
        return (0.040 * np.exp(rng.normal(0, 0.05, 120)), 0.040 * scale_after * np.exp(rng.normal(0, 0.05, 30)))

    before, after = day(1.45)
    without = compare_windows(before, after)
    with_history = compare_windows(before, after, history=[day(1.42), day(1.5)])
    assert grade(without, LATENCY) == "fail"
    assert grade(with_history, LATENCY) == "pass"
    assert with_history.seasonal == pytest.approx(1.46, abs=0.06) and len(with_history.day_changes) == 2
    # A regression on top of the ramp still fails.
    before, after = day(1.45 * 1.6)
    assert grade(compare_windows(before, after, history=[day(1.42), day(1.5)]), LATENCY) == "fail"


def test_one_noisy_day_may_explain_a_change_away_but_never_create_one():
    """Yesterday's p99 happened to fall 15 % at these hours: dividing today's +25 % by that
    would call it +47 % and fail a clean release. Three days that all fell may."""
    rng = np.random.default_rng(8)

    def day(after_scale: float) -> tuple[np.ndarray, np.ndarray]:
        return (0.040 * np.exp(rng.normal(0, 0.04, 120)), 0.040 * after_scale * np.exp(rng.normal(0, 0.04, 30)))

    before, after = day(1.25)
    one_day = compare_windows(before, after, history=[day(0.85)])
    assert not one_day.seasonal_applied and one_day.change == pytest.approx(0.25, abs=0.05)
    assert grade(one_day, LATENCY) == "warn"
    three_days = compare_windows(before, after, history=[day(0.85), day(0.84), day(0.87)])
    assert three_days.seasonal_applied and grade(three_days, LATENCY) == "fail"
    mixed = compare_windows(before, after, history=[day(0.85), day(1.02), day(0.86)])
    assert not mixed.seasonal_applied


def test_significance_and_size_are_both_needed():
    rng = np.random.default_rng(11)
    before = 0.100 * np.exp(rng.normal(0, 0.01, 2000))
    tiny = 0.100 * 1.03 * np.exp(rng.normal(0, 0.01, 500))       # certain, but 3 %
    tiny_cmp = compare_windows(before, tiny)
    assert tiny_cmp.p_value < 1e-12 and grade(tiny_cmp, LATENCY) == "pass"
    noisy_before = 0.100 * np.exp(rng.normal(0, 1.0, 10))
    big_but_unsure = 0.100 * 1.5 * np.exp(rng.normal(0, 1.0, 4))  # large, but 4 noisy points
    unsure = compare_windows(noisy_before, big_but_unsure)
    assert unsure.p_value > 0.001 and grade(unsure, LATENCY) == "pass"
    fast = 0.002 * np.exp(rng.normal(0, 0.01, 120))
    assert grade(compare_windows(fast, fast[:30] * 2.0), LATENCY) == "pass"   # +100 % but only +2 ms


def test_traffic_is_judged_by_its_drop_only():
    rng = np.random.default_rng(2)
    before = 80 * np.exp(rng.normal(0, 0.05, 120))
    assert grade(compare_windows(before, before[:30] * 0.3, direction=-1), TRAFFIC) == "fail"
    assert grade(compare_windows(before, before[:30] * 2.0, direction=-1), TRAFFIC) == "pass"


def test_error_ratio_is_additive_and_must_also_multiply():
    rng = np.random.default_rng(4)
    before = rng.binomial(600, 0.002, 120) / 600
    assert grade(compare_windows(before, rng.binomial(600, 0.03, 30) / 600, scale="additive"), ERRORS) == "fail"
    busy = rng.binomial(600, 0.20, 120) / 600            # an always-failing endpoint: +1 point is noise
    c = compare_windows(busy, rng.binomial(600, 0.215, 30) / 600, scale="additive")
    assert grade(c, ERRORS) == "pass"


def test_a_previous_day_offset_does_not_make_sparse_errors_significant():
    rng = np.random.default_rng(9)
    sparse = lambda n: (rng.random(n) < 0.05) * rng.uniform(0.005, 0.015, n)   # noqa: E731 - rare spikes
    yesterday = (sparse(120) + 0.001, sparse(30))                                # errors fell at these hours
    c = compare_windows(sparse(120), sparse(30), scale="additive", history=[yesterday])
    assert c.seasonal is not None and c.seasonal < 0
    assert c.p_value > 0.01 and grade(c, ERRORS) == "pass"


def test_too_little_data_is_not_compared():
    assert compare_windows(np.array([1.0] * 5), np.array([2.0] * 10)) is None
    assert compare_windows(np.array([1.0] * 50), np.array([np.nan] * 10 + [2.0] * 3)) is None


def test_counters_reset_and_poisson_tails():
    v = np.array([[5, 6, 8, np.nan, 1, 3], [0, 0, 0, 0, 0, 0], [2, np.nan, np.nan, np.nan, np.nan, np.nan]])
    assert counter_increase(v).tolist() == [6.0, 0.0, 0.0]      # 1 + 2, reset to 1 counts 1, then 2
    p = poisson_upper(np.array([0, 1, 3]), 0.125)
    assert p[0] == 1.0 and p[1] == pytest.approx(1 - np.exp(-0.125)) and p[2] < 3e-4
    assert poisson_upper(10, 2.0, 5.0)[0] > poisson_upper(10, 2.0)[0]       # overdispersion widens the tail
