"""`scan_series`: per-series findings material for the diagnosis engine."""

from __future__ import annotations

import numpy as np
import pytest

from aiops.analytics.detectors import scan_series

T = 240
TS = 1.7e9 + 15.0 * np.arange(T)       # an hour at 15 s
CUT = float(TS[120])                    # the incident starts half-way


def fleet(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = 100 + rng.normal(0, 2, (6, T))
    x[1, 150:] += 30                      # latency up from t=150
    x[2, 130:] -= 40                      # throughput down from t=130
    x[3, 170] += 60                       # one spike
    x[4] = 0.0                            # a constant series (errors that never happen)...
    x[4, 160:] = 0.5                      # ...until they do
    x[5] = np.nan                         # a series with no data
    return x


def test_scan_finds_what_changed_since_when_which_way_and_how_much() -> None:
    res = scan_series(fleet(), TS, CUT)
    assert len(res) == 6 and not res.causal
    assert res.anomalous.tolist() == [False, True, True, True, True, False]
    assert res.direction[1:5].tolist() == [1, -1, 1, 1]
    assert res.onset[1] == TS[150] and res.onset[2] == TS[130] and res.onset[4] == TS[160]
    assert np.isnan(res.onset[0]) and res.score[0] < 0.9
    assert res.sustained[1] and res.sustained[2] and not res.sustained[3]    # a spike is not sustained
    assert res.peak_at[3] == TS[170]
    assert res.magnitude[1] > 10 and res.magnitude[2] < -10 and abs(res.magnitude[3]) < 2
    assert res.relative_change[1] == pytest.approx(0.3, abs=0.03)
    assert res.relative_change[2] == pytest.approx(-0.4, abs=0.03)
    assert np.isnan(res.relative_change[4])           # from 0: no ratio, but...
    assert res.magnitude[4] > 100 and np.isfinite(res.magnitude[4])   # ...a finite, huge z
    assert res.valid.tolist() == [True, True, True, True, True, False]
    assert res.score[5] == 0.0 and res.direction[5] == 0
    assert res.scores.shape == (6, 0)
    assert res.row(1)["onset"] == TS[150] and res.row(1)["direction"] == 1 and res.row(5)["onset"] is None


def test_scores_are_kept_on_request_and_stay_in_unit_interval() -> None:
    res = scan_series(fleet(), TS, CUT, keep_scores=True)
    assert res.scores.shape == (6, T)
    assert res.scores.min() >= 0.0 and res.scores.max() <= 1.0
    assert res.scores[1, 150:].mean() > 0.9


def test_onset_is_not_pulled_into_the_baseline() -> None:
    x = fleet()
    res = scan_series(x, TS, float(TS[155]))          # baseline ends after the shift began
    assert res.onset[1] >= TS[155]


def test_no_usable_baseline_falls_back_to_causal_scanning() -> None:
    x = fleet()
    res = scan_series(x, TS, float(TS[0]))
    assert res.causal
    assert res.anomalous[1] and res.anomalous[2]
    assert abs(res.onset[1] - TS[150]) <= 15 * 3 and res.direction[1] == 1


def test_default_baseline_is_the_first_part_of_the_span() -> None:
    res = scan_series(fleet(), TS)
    assert res.baseline_end == pytest.approx(float(TS[0] + 0.5 * (TS[-1] - TS[0])))
    assert res.anomalous[1]


def test_many_series_are_scanned_in_blocks_with_the_same_result() -> None:
    x = np.tile(fleet(), (200, 1))                    # 1200 series: several row blocks
    res = scan_series(x, TS, CUT)
    one = scan_series(fleet(), TS, CUT)
    assert len(res) == 1200
    np.testing.assert_array_equal(res.anomalous.reshape(200, 6), np.tile(one.anomalous, (200, 1)))
    np.testing.assert_allclose(res.score.reshape(200, 6), np.tile(one.score, (200, 1)))


def test_short_and_empty_inputs_do_not_break() -> None:
    res = scan_series(np.array([[1.0, 2.0, 3.0]]), [0.0, 1.0, 2.0])
    assert res.score.tolist() == [0.0] and not res.anomalous[0]
    empty = scan_series(np.zeros((0, 10)), np.arange(10.0), 5.0)
    assert len(empty) == 0
    with pytest.raises(ValueError):
        scan_series(fleet(), TS, CUT, threshold=1.0)
