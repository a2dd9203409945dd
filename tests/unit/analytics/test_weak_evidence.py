"""When nothing passes as evidence, services are ordered by the strength of their own marginal
anomaly (`marginal_z`, carried by findings tagged "weak" of score 0), never by name; a service
with no data ranks below one with data, and weak findings never outweigh evidence."""

from __future__ import annotations

import numpy as np
import pytest

from aiops.analytics.ranking import WEAK_WEIGHT, rank_candidates
from aiops.analytics.shift import marginal_z
from aiops.domain import Finding

ONSET = 600.0
TS = np.arange(0.0, 1200.0, 15.0)              # 40 points before the onset, 40 after
PATTERN = np.resize([98.0, 100.0, 102.0, 100.0], len(TS))   # median 100, MAD 1 -> robust sd 1.4826


def spiked(at: float, to: float) -> np.ndarray:
    x = PATTERN.copy()
    x[TS == at] = to
    return x


def shifted(by: float) -> np.ndarray:
    x = PATTERN.copy()
    x[TS >= ONSET] += by
    return x


def test_marginal_z_is_how_far_the_median_moved_after_the_onset_in_robust_sd_of_the_data_before() -> None:
    z = marginal_z(np.vstack([shifted(30.0), shifted(-30.0), PATTERN]), TS, ONSET)
    assert z == pytest.approx([30 / 1.4826, 30 / 1.4826, 0.0])   # up or down alike


def test_one_spike_after_the_onset_is_not_a_move() -> None:
    # a dozen series of white noise always hold some point beyond 3 sigma; their medians stay put
    z = marginal_z(np.vstack([spiked(ONSET + 60, 130.0), spiked(ONSET + 60, 70.0)]), TS, ONSET)
    assert z.tolist() == [0.0, 0.0]


def test_a_spike_before_the_onset_is_baseline_not_a_move() -> None:
    z = marginal_z(np.vstack([spiked(ONSET - 60, 130.0)]), TS, ONSET)
    assert z[0] == pytest.approx(0.0)             # the median and MAD shrug the outlier off


def test_marginal_z_falls_back_to_the_sd_then_to_one_when_the_baseline_is_flat() -> None:
    mostly_flat = np.full(len(TS), 5.0)
    mostly_flat[:4] = [4.0, 6.0, 4.0, 6.0]         # MAD 0, sd > 0
    mostly_flat[TS >= ONSET] = 9.0
    flat = np.full(len(TS), 5.0)
    flat[TS >= ONSET] = 9.0                       # MAD 0 and sd 0: a move of 4 is z 4
    before = mostly_flat[TS < ONSET]
    z = marginal_z(np.vstack([mostly_flat, flat]), TS, ONSET)
    assert z == pytest.approx([4.0 / before.std(), 4.0])


def test_no_data_on_one_side_is_no_move() -> None:
    gone = PATTERN.copy()
    gone[TS >= ONSET] = np.nan
    late = shifted(100.0)
    late[TS < ONSET] = np.nan
    assert marginal_z(np.vstack([gone, late]), TS, ONSET).tolist() == [0.0, 0.0]
    assert marginal_z(np.vstack([PATTERN]), TS, TS[0]).tolist() == [0.0]        # nothing before the onset
    assert marginal_z(np.vstack([PATTERN]), TS, TS[-1] + 1).tolist() == [0.0]   # nothing after it


def weak(service: str, z: float) -> Finding:
    return Finding(kind="metric", service=service, signal="queue_depth", score=0.0,
                   summary=f"queue_depth moved up to {z:.1f} robust standard deviations", magnitude=z,
                   tags=("pool", "weak"))


def test_without_evidence_services_rank_by_their_strongest_own_move_not_by_name() -> None:
    findings = [weak("alpha", 1.3), weak("zeta", 10.8), weak("mu", 6.7), weak("mu", 2.0), weak("zeta", 4.0)]
    out = rank_candidates(findings, ["aardvark", "alpha", "mu", "zeta"], {}, ONSET)
    assert [c.service for c in out] == ["zeta", "mu", "alpha", "aardvark"], "aardvark has no series: last"
    assert [c.marginal for c in out] == [10.8, 6.7, 1.3, 0.0]
    # a median that moved >= 3 robust sd counts a little (WEAK_WEIGHT at most), less with less
    assert out[0].score > out[1].score > out[2].score == out[3].score == 0.0      # alpha: 1.3 sd, nothing
    assert out[0].score <= WEAK_WEIGHT
    assert out[0].findings[0][0] == 0.0 and "weak" in out[0].findings[0][1].tags


def test_evidence_outranks_the_strongest_weak_move() -> None:
    real = Finding(kind="metric", service="alpha", signal="error_ratio", score=0.2, summary="errors rose",
                   onset=ONSET, direction=1, magnitude=2.0, tags=("errors",))
    out = rank_candidates([weak("zeta", 50.0), real], ["alpha", "zeta"], {}, ONSET)
    assert [c.service for c in out] == ["alpha", "zeta"]
    assert out[0].score > out[1].score > 0.0
