"""The sustained-shift scan behind metric evidence, and the hole scan beside it, on constructed series."""

from __future__ import annotations

import numpy as np
import pytest

from aiops.analytics.gaps import scan_gaps
from aiops.analytics.pooling import pod_means
from aiops.analytics.shift import scan_shifts

T = 180
STEP = 10.0
TS = np.arange(T) * STEP
BASE_END = 120 * STEP          # baseline: the first 120 buckets (the hole scan)
HINT = 135 * STEP              # the onset hint: a change is looked for from 300 s before it to just after


def noise(seed: int, level: float = 100.0, sd: float = 2.0) -> np.ndarray:
    return level + np.random.default_rng(seed).normal(0, sd, T)


def scan(*rows: np.ndarray):
    return scan_shifts(np.vstack(rows), TS, HINT)


def test_level_shift_after_the_baseline_scores_high_with_its_onset_and_direction() -> None:
    x = noise(1)
    x[130:] += 30.0                                   # +15 sd from bucket 130 on
    s = scan(x)
    assert s.stat[0] > 8 and s.score[0] > 0.4 and s.direction[0] == 1   # robust z ~10 -> ~0.47
    assert s.onset[0] == TS[130]
    assert s.rel_change[0] == pytest.approx(0.3, abs=0.03)


def test_a_drop_is_found_with_direction_down() -> None:
    x = noise(2)
    x[125:] -= 40.0
    s = scan(x)
    assert s.score[0] > 0.5 and s.direction[0] == -1


def test_a_burst_that_came_and_went_weighs_less_than_a_change_that_holds() -> None:
    burst = noise(15)
    burst[125:137] += 60.0                            # two minutes, then back to normal
    held = noise(15)
    held[125:] += 60.0
    s = scan(burst, held)
    assert 0.0 < s.score[0] < 0.7 * s.score[1]


def test_one_spike_or_plain_noise_is_not_a_shift() -> None:
    spike = noise(3)
    spike[150] += 500.0
    s = scan(noise(4), spike)
    assert s.score.tolist() == [0.0, 0.0]


def test_spikes_after_the_onset_weigh_less_from_a_series_that_spiked_as_often_before() -> None:
    # 5-minute aggregates, 4 points after the onset: a p99 whose cold starts spiked it 3x
    # every ~10 samples before, two of the four after; the same after behind a calm baseline
    ts = np.arange(40) * 300.0
    calm = 0.5 * np.exp(np.random.default_rng(21).normal(0, 0.05, 40))
    spiky = calm.copy()
    spiky[[3, 14, 22, 31]] *= 3.0
    for x in (calm, spiky):
        x[[36, 39]] *= 3.0
    s = scan_shifts(np.vstack([calm, spiky]), ts, 36 * 300.0)
    assert s.score[0] > 0.3, "two of four far out, never before: a change"
    assert 0.0 < s.score[1] < 0.75 * s.score[0], "as often as before: the series' own spikes"


def test_a_baseline_trend_that_continues_is_not_news_but_a_jump_off_it_is() -> None:
    trend = 100.0 + 0.5 * np.arange(T) + np.random.default_rng(5).normal(0, 1.0, T)   # a filling disk
    jump = trend.copy()
    jump[140:] += 40.0
    s = scan(trend, jump)
    assert s.score[0] == 0.0
    assert s.score[1] > 0.4


def test_a_drift_that_levels_off_after_the_baseline_is_not_a_shift() -> None:
    rng = np.random.default_rng(14)
    rise = 100.0 + 0.3 * np.minimum(np.arange(T), 125) + rng.normal(0, 1.0, T)   # traffic past its peak
    assert scan(rise).score[0] < 0.1


def test_a_series_that_only_got_noisier_is_not_a_shift() -> None:
    x = noise(6)
    rng = np.random.default_rng(7)
    x[120:] += rng.choice([-30.0, 30.0], T - 120)     # as many big moves up as down
    assert scan(x).score[0] < 0.1


def test_a_one_unit_move_of_a_small_count_is_weak_but_a_real_climb_is_not() -> None:
    rng = np.random.default_rng(8)
    pool = np.where(rng.random(T) < 0.9, 2.0, 3.0)    # connections in use: 2, sometimes 3
    wiggle = pool.copy()
    wiggle[120:] = 3.0
    climb = pool.copy()
    climb[120:] = np.minimum(2 + np.arange(T - 120) // 3, 20)
    s = scan(wiggle, climb)
    assert s.score[0] < 0.3 < s.score[1]


def test_a_series_born_late_in_the_baseline_is_not_judged() -> None:
    x = noise(9)
    x[:100] = np.nan                                  # a pod created shortly before the onset
    x[130:] += 50.0
    s = scan(x)
    assert not s.valid[0] and s.score[0] == 0.0


def test_hole_where_a_target_stops_reporting_is_found_with_start_and_end() -> None:
    x = noise(10)
    x[::3] = np.nan                                   # sparse scrapes: every third bucket empty
    down = x.copy()
    down[140:158] = np.nan                            # three minutes without samples
    gone = x.copy()
    gone[150:] = np.nan                               # never comes back
    g = scan_gaps(np.vstack([x, down, gone]), TS, BASE_END, STEP)
    assert g.found.tolist() == [False, True, True]
    assert g.start[1] == TS[140] and g.end[1] == TS[158] and g.resumed[1]
    assert not g.resumed[2]


def test_pod_means_join_a_rollout_into_one_continuous_series() -> None:
    old = noise(11)
    new = noise(12)
    old[100:] = np.nan                                # old pod replaced at bucket 100
    new[:100] = np.nan
    new[130:] += 30.0                                 # the new version misbehaves
    means, groups = pod_means(np.vstack([old, new, noise(13)]), [("m", "svc"), ("m", "svc"), None])
    assert groups == [("m", "svc")]
    per_pod = scan(old, new)
    assert per_pod.score.tolist() == [0.0, 0.0]        # neither pod alone can be judged
    assert scan(means[0]).score[0] > 0.4               # the service-level series can (z ~10)


def test_a_large_drop_from_a_flat_level_is_as_sure_as_from_a_noisy_one_and_a_blip_is_not_news() -> None:
    # availability exactly 100 % all along vs 99.8 +- 0.1 %; both fall to about a quarter
    flat, noisy, blip = np.full(T, 100.0), noise(21, 99.8, 0.1), np.full(T, 100.0)
    flat[130:] = 25.0 + np.random.default_rng(22).normal(0, 1.0, T - 130)
    noisy[130:] = 22.0 + np.random.default_rng(23).normal(0, 1.0, T - 130)
    blip[130:] = 99.7                                 # a 0.3 % dip: within the 1 % floor
    s = scan(flat, noisy, blip)
    assert s.direction[0] == -1 and s.score[0] >= 0.9 * s.score[1] and s.score[1] > 0.7
    assert s.score[2] == 0.0


def test_a_rise_from_a_flat_zero_is_still_capped() -> None:
    zero = np.zeros(T)
    zero[130:] = 50.0 + np.random.default_rng(24).normal(0, 3.0, T - 130)   # 0 errors -> ~50/s
    s = scan(zero)
    assert 0.2 < s.score[0] < 0.6                     # sure, but not infinitely (z at most 10)


def test_a_flat_level_that_fell_to_a_few_scattered_values_is_judged_by_one_step_at_its_level() -> None:
    # availability in whole percent: exactly 100 all along, or 99/100; both fall to a few far-apart
    # levels. The gaps between those levels are not the measurement's resolution (one percent is).
    fault = np.resize([21.0, 29.0, 45.0, 60.0], T - 130)
    flat = np.full(T, 100.0)
    wiggle = np.where(np.random.default_rng(25).random(T) < 0.8, 100.0, 99.0)
    flat[130:], wiggle[130:] = fault, fault
    s = scan(flat, wiggle)
    assert s.direction[0] == -1 and s.score[1] > 0.7
    assert s.score[0] >= 0.9 * s.score[1]


def test_one_sample_before_the_onset_says_nothing_of_a_whole_number_series_resolution() -> None:
    # a function invoked once or twice per 5-minute period: availability 50 % (one of two failed),
    # then 0. One sample cannot say the series sat still, so the 50-point gap between its values
    # stays its resolution and the fall is not evidence (a unit step would make it certain).
    ts = np.arange(5) * 300.0
    s = scan_shifts(np.array([[50.0, 0.0, np.nan, 0.0, 0.0]]), ts, 227.0, step=300.0)
    assert s.valid[0] and s.score[0] == 0.0
