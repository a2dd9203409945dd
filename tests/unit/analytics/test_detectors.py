"""Detectors on constructed series: spikes, level shifts, trends, seasons; causal mode."""

from __future__ import annotations

import numpy as np
import pytest

from aiops.analytics.detectors import ScoreCalibrator, Threshold, calibrated_scores, get_detector

T = 1440
TS = 1.7e9 + 60.0 * np.arange(T)          # one day of minutes
BASE = 720                                 # non-causal baseline: the first half
POINT_DETECTORS = ["seasonal_mad", "spike", "ewma", "holt", "ensemble"]
ALL_DETECTORS = POINT_DETECTORS + ["level_shift"]


def noise(seed: int, n: int = T, level: float = 10.0) -> np.ndarray:
    return level + np.random.default_rng(seed).normal(0.0, 1.0, n)


def flags(name: str, x: np.ndarray, causal: bool, ts: np.ndarray = TS, base: int = BASE, **params) -> np.ndarray:
    """0/1 decisions of detector `name` with the default calibration and threshold."""
    det = get_detector(name, **params)
    scores = calibrated_scores(det, x, ts, causal=causal, baseline_end=float(ts[base]))
    return Threshold(0.9).apply(scores, causal=causal)


@pytest.mark.parametrize("causal", [True, False])
@pytest.mark.parametrize("name", POINT_DETECTORS)
def test_a_spike_is_flagged_at_the_spike_and_almost_nowhere_else(name: str, causal: bool) -> None:
    x = noise(1)
    x[900] += 8.0
    f = flags(name, x, causal)
    assert f[900] == 1
    assert f.sum() <= 3


@pytest.mark.parametrize("causal", [True, False])
def test_level_shift_detector_ignores_a_single_spike(causal: bool) -> None:
    x = noise(2)
    x[900] += 12.0
    assert flags("level_shift", x, causal)[890:910].sum() == 0


@pytest.mark.parametrize("name", ["ensemble", "seasonal_mad", "level_shift"])
def test_a_level_shift_is_flagged_from_the_shift_on_against_a_baseline(name: str) -> None:
    x = noise(3)
    x[900:] += 6.0
    f = flags(name, x, causal=False)
    first = int(np.flatnonzero(f)[0])
    assert 900 <= first <= 902           # not before the shift, at most a couple of points late
    assert f[903:].mean() > 0.95          # and it stays flagged: the level is not the baseline's


def test_a_level_shift_is_flagged_at_once_in_causal_mode_and_then_absorbed() -> None:
    x = noise(4)
    x[900:] += 6.0
    f = flags("ensemble", x, causal=True)
    assert f[900:905].all()               # a live monitor alarms immediately...
    assert f[1200:].sum() == 0            # ...and accepts the new level eventually


def test_a_small_sustained_shift_is_caught_by_level_shift_but_not_point_scores() -> None:
    x = noise(5)
    x[900:] += 2.0                        # 2 sigma: no single point is remarkable
    assert flags("seasonal_mad", x, causal=False)[900:].mean() < 0.1
    f = flags("level_shift", x, causal=False)
    assert f[:900].sum() == 0
    assert f[920:].mean() > 0.9


def noise_rows(seed: int, n: int = 40) -> np.ndarray:
    return 10.0 + np.random.default_rng(seed).normal(0.0, 1.0, (n, T))


def alarm_rate(f: np.ndarray, skip: int = 30) -> float:
    """Share of series with any alarm after the first `skip` points."""
    return float(np.mean(f[:, skip:].any(axis=1)))


@pytest.mark.parametrize("name", ["ensemble", "seasonal_mad", "level_shift", "holt"])
def test_a_steady_linear_trend_raises_no_more_alarms_than_plain_noise(name: str) -> None:
    # The default threshold means: a day of normal minutes alarms about once in ten days
    # per detector. A smooth ramp of +29 sigma over the day must not change that.
    plain = alarm_rate(flags(name, noise_rows(6), causal=True))
    ramp = alarm_rate(flags(name, noise_rows(6) + 0.02 * np.arange(T), causal=True))
    assert plain <= 0.3
    assert ramp <= plain + 0.1


def test_holt_follows_a_trend_the_baseline_already_had() -> None:
    x = noise(7) + 0.02 * np.arange(T)
    assert flags("holt", x, causal=False).sum() <= 1


def test_a_ramp_that_starts_after_the_baseline_is_flagged_more_the_further_it_goes() -> None:
    x = noise(8)
    x[800:] += 0.05 * np.arange(T - 800)
    det = get_detector("ensemble").fit(x[:BASE], TS[:BASE])
    raw = det.score(x, TS)
    cal = ScoreCalibrator().fit(raw[None, :BASE])
    scores = cal.transform(raw[None, :])[0]
    assert scores[:800].max() < 0.9
    assert scores[1300:].min() > 0.99 and np.all(raw[1300:] > 0)
    assert scores[820:860].mean() < scores[1000:1040].mean()


def daily(days: int, step: float = 300.0, seed: int = 9) -> tuple[np.ndarray, np.ndarray]:
    ts = 1.7e9 + step * np.arange(int(days * 86400 / step))
    x = 100 + 10 * np.sin(2 * np.pi * ts / 86400) + np.random.default_rng(seed).normal(0, 1, ts.size)
    return ts, x


@pytest.mark.parametrize("name", ["seasonal_mad", "ensemble", "level_shift"])
def test_a_daily_seasonal_pattern_with_noise_is_not_flagged(name: str) -> None:
    ts, _ = daily(3)
    rows = np.vstack([daily(3, seed=s)[1] for s in range(20)])     # amplitude 10 sigma
    base = 2 * 288
    fitted = flags(name, rows, causal=False, ts=ts, base=base)
    assert alarm_rate(fitted[:, base:], skip=0) <= 0.2             # day 3 judged on days 1-2
    assert fitted[:, base:].mean() < 1e-3
    live = flags(name, rows, causal=True, ts=ts)
    assert alarm_rate(live) <= 0.3 and live.mean() < 1e-3          # a live monitor copes too


def test_the_fitted_season_makes_a_spike_at_a_daily_low_stand_out() -> None:
    ts, x = daily(3, seed=10)
    base = 2 * 288
    trough = base + int(np.argmin(x[base : base + 288]))
    x[trough] += 7.0                     # still far below the daily peak
    det = get_detector("seasonal_mad").fit(x[:base], ts[:base])
    assert abs(int(det.baseline.periods_[0]) - 288) <= 2
    assert flags("seasonal_mad", x, causal=False, ts=ts, base=base)[trough] == 1


@pytest.mark.parametrize("causal", [True, False])
@pytest.mark.parametrize("name", ALL_DETECTORS)
def test_calibrated_scores_stay_in_unit_interval_whatever_the_input(name: str, causal: bool) -> None:
    x = np.vstack([noise(11), np.full(T, 5.0), np.full(T, np.nan), noise(12) * 1e9, np.zeros(T)])
    x[0, ::50] = np.nan
    x[0, 700] = np.inf
    x[1, 1000:] = 6.0
    det = get_detector(name)
    cal = ScoreCalibrator()
    if causal:
        s = cal.transform(det.score(x, TS, causal=True), causal=True)
    else:
        raw = det.fit(x[:, :BASE], TS[:BASE]).score(x, TS)
        s = cal.fit(raw[:, :BASE]).transform(raw)
    assert s.shape == x.shape
    assert np.all(np.isfinite(s)) and s.min() >= 0.0 and s.max() <= 1.0
    assert s[2].max() == 0.0                     # an empty series scores nothing
    assert s[0, ::50].max() == 0.0 and s[0, 700] == 0.0   # missing points score 0
    assert s[4].max() == 0.0                     # a constant series is not anomalous
    if name != "level_shift":
        assert s[1, 1000] > 0.99                 # a constant that moves is


@pytest.mark.parametrize("name", ALL_DETECTORS)
def test_causal_scores_do_not_look_ahead(name: str) -> None:
    x = np.vstack([noise(13), noise(14) + np.sin(np.arange(T) / 30)])
    changed = x.copy()
    changed[:, 1000:] += np.linspace(0, 50, T - 1000)
    changed[:, 1100] = np.nan
    cal = ScoreCalibrator()
    before = get_detector(name).score(x, TS, causal=True)
    after = get_detector(name).score(changed, TS, causal=True)
    np.testing.assert_array_equal(before[:, :1000], after[:, :1000])
    np.testing.assert_array_equal(cal.transform(before, causal=True)[:, :1000], cal.transform(after, causal=True)[:, :1000])
    assert not np.allclose(np.nan_to_num(before[:, 1000:]), np.nan_to_num(after[:, 1000:]))


@pytest.mark.parametrize("name", ALL_DETECTORS)
def test_many_series_at_once_score_as_each_one_alone(name: str) -> None:
    x = np.vstack([noise(15), noise(16, level=1e4), noise(17) + 0.01 * np.arange(T)])
    x[1, 900:] += 5
    together = get_detector(name).fit(x[:, :BASE], TS[:BASE]).score(x, TS)
    for i in range(3):
        alone = get_detector(name).fit(x[i, :BASE], TS[:BASE]).score(x[i], TS)
        np.testing.assert_allclose(together[i], alone, equal_nan=True)
    causal = get_detector(name).score(x, TS, causal=True)
    np.testing.assert_allclose(causal[1], get_detector(name).score(x[1], TS, causal=True), equal_nan=True)


def test_raw_scores_are_signed_by_direction() -> None:
    x = noise(18)
    x[900] += 8
    x[1000] -= 8
    raw = get_detector("seasonal_mad").fit(x[:BASE], TS[:BASE]).score(x, TS)
    assert raw[900] > 4 and raw[1000] < -4


def test_bad_shapes_and_missing_fit_are_reported_clearly() -> None:
    det = get_detector("seasonal_mad")
    with pytest.raises(RuntimeError, match="fit"):
        det.score(noise(19), TS)
    with pytest.raises(ValueError, match="shape"):
        det.score(np.zeros((2, 3, 4)), causal=True)
    with pytest.raises(ValueError, match="timestamps"):
        det.score(np.zeros(5), np.arange(4), causal=True)
    with pytest.raises(ValueError, match="non-decreasing"):
        det.score(np.zeros(5), np.array([0, 1, 3, 2, 4.0]), causal=True)
    det.fit(np.zeros((2, 50)))
    with pytest.raises(ValueError, match="2 series"):
        det.score(np.zeros((3, 50)))
