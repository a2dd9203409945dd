"""Score calibration (one threshold for every detector), thresholds, the registry."""

from __future__ import annotations

import numpy as np
import pytest

from aiops.analytics.detectors import (
    Detector,
    ScoreCalibrator,
    Threshold,
    detector_names,
    get_detector,
    register_detector,
)
from aiops.errors import BadInputError


def test_the_default_threshold_means_about_four_robust_sigmas() -> None:
    cal = ScoreCalibrator()
    assert 3.8 < cal.z_for(0.9) < 4.1
    z = np.array([0.0, 2.0, 3.0, 3.5, 4.0, 5.0, 8.0, np.nan, -5.0])
    p = cal.probability(z)
    assert p[0] == 0.0 and p[-2] == 0.0                    # no deviation / no score
    assert np.all(np.diff(p[:7]) >= 0) and p[6] == pytest.approx(1.0)
    assert p[-1] == p[5]                                  # direction does not matter
    assert cal.probability(np.array([cal.z_for(0.5)]))[0] == pytest.approx(0.5)


def test_one_threshold_gives_every_detector_a_similar_false_alarm_rate() -> None:
    rng = np.random.default_rng(0)
    x = 10 + rng.normal(0, 1, (60, 1440))
    ts = 60.0 * np.arange(1440)
    rates = {}
    for name in ("seasonal_mad", "level_shift", "ewma", "holt"):
        raw = get_detector(name).fit(x[:, :720], ts[:720]).score(x, ts)
        scores = ScoreCalibrator().fit(raw[:, :720]).transform(raw)
        rates[name] = Threshold(0.9).apply(scores)[:, 720:].any(axis=1).mean()
    # by construction about 5 % of half-days of pure noise alarm, whatever the detector
    assert max(rates.values()) <= 0.2, rates


def test_heavy_tailed_baselines_are_judged_against_their_own_extremes() -> None:
    rng = np.random.default_rng(1)
    gauss = rng.normal(0, 1, (1, 2000))
    heavy = rng.standard_t(2, (1, 2000))
    cal = ScoreCalibrator().fit(np.vstack([gauss, heavy]))
    assert cal.scale_[0] == pytest.approx(1.0, abs=0.1)
    assert cal.scale_[1] > 1.5
    z = np.array([[6.0], [6.0]])
    scores = cal.transform(z)
    assert scores[0, 0] > 0.99 and scores[1, 0] < scores[0, 0]


def test_a_quiet_baseline_never_amplifies_scores() -> None:
    cal = ScoreCalibrator().fit(np.zeros((1, 500)))
    assert cal.scale_[0] == 1.0
    assert cal.transform(np.array([[3.0]]))[0, 0] < 0.1


def test_causal_calibration_only_uses_earlier_scores() -> None:
    rng = np.random.default_rng(2)
    raw = rng.standard_t(3, (2, 1000))
    changed = raw.copy()
    changed[:, 600:] *= 50
    cal = ScoreCalibrator()
    np.testing.assert_array_equal(cal.transform(raw, causal=True)[:, :600], cal.transform(changed, causal=True)[:, :600])


def test_threshold_min_duration_and_hysteresis() -> None:
    s = np.array([0.1, 0.95, 0.2, 0.95, 0.95, 0.95, 0.8, 0.95, 0.1])
    assert Threshold(0.9).apply(s).tolist() == [0, 1, 0, 1, 1, 1, 0, 1, 0]
    # causal: a run counts from its 2nd point (a live monitor cannot know earlier)
    assert Threshold(0.9, min_duration=2).apply(s, causal=True).tolist() == [0, 0, 0, 0, 1, 1, 0, 0, 0]
    # non-causal: the whole run
    assert Threshold(0.9, min_duration=2).apply(s, causal=False).tolist() == [0, 0, 0, 1, 1, 1, 0, 0, 0]
    # hysteresis: once on, stay on while >= 0.7
    assert Threshold(0.9, release=0.7).apply(s).tolist() == [0, 1, 0, 1, 1, 1, 1, 1, 0]
    assert Threshold(0.9).apply(np.array([[np.nan, 1.0]])).tolist() == [[0, 1]]
    with pytest.raises(ValueError):
        Threshold(1.5)


def test_registry_resolves_builtins_lazily_and_accepts_plugins() -> None:
    assert {"ensemble", "seasonal_mad", "level_shift", "spike", "ewma", "holt"} <= set(detector_names())
    assert get_detector("LEVEL_SHIFT", windows=(4, 8)).windows == (4, 8)
    with pytest.raises(BadInputError, match="unknown detector 'nope'"):
        get_detector("nope")

    class Constant(Detector):
        name = "constant_test"

        def _score_causal(self, x, ts):
            return np.ones_like(x)

    register_detector("constant_test", Constant, replace=True)
    assert get_detector("constant_test").score([1.0, np.nan], causal=True).tolist()[0] == 1.0
    register_detector("seasonal_mad_alias_test", "aiops.analytics.detectors.robust_z:SeasonalMadDetector", replace=True)
    assert get_detector("seasonal_mad_alias_test").name == "seasonal_mad"
    with pytest.raises(ValueError, match="already registered"):
        register_detector("ensemble", Constant)
