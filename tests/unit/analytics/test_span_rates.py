"""Request rates from spans: a surge that no request counter saw yet is in the spans, and
where it entered is the overload's own evidence."""

from __future__ import annotations

import numpy as np

from aiops.analytics.ranking import rank_candidates
from aiops.analytics.span_rates import rate_changes

SPLIT = 1000.0


def arrivals(rate_before: float, rate_after: float, seed: int, lo: float = 940.0, hi: float = 1120.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    before = rng.uniform(lo, SPLIT, rng.poisson(rate_before * (SPLIT - lo)))
    after = rng.uniform(SPLIT, hi, rng.poisson(rate_after * (hi - SPLIT)))
    return np.sort(np.concatenate([before, after]))


def changes(per_service: dict[str, np.ndarray]):
    names = list(per_service)
    codes = np.concatenate([np.full(len(v), i) for i, v in enumerate(per_service.values())])
    starts = np.concatenate(list(per_service.values()))
    return {f.service: f for f in rate_changes(names, codes, starts, SPLIT, (940.0, 1120.0))}


def test_a_tripled_rate_is_found_and_a_steady_one_is_not() -> None:
    found = changes({"front": arrivals(8.0, 24.0, 1), "steady": arrivals(8.0, 8.4, 2), "few": arrivals(0.05, 0.15, 3)})
    assert set(found) == {"front"}, "steady drifted 5 %; few has too few requests to tell"
    f = found["front"]
    assert f.kind == "trace" and f.tags == ("traffic",) and f.direction == 1
    assert 1.5 < f.magnitude < 3.0, "the size carried is the one it surely has, below the point estimate"
    assert "requests/s in its spans" in f.summary


def test_bursty_requests_before_need_a_larger_change() -> None:
    rng = np.random.default_rng(4)
    bursts = np.sort(np.concatenate([rng.uniform(t, t + 1.0, 40) for t in (945.0, 975.0)] +
                                    [rng.uniform(SPLIT, 1120.0, 480)]))   # 80 in two bursts, then 4/s
    smooth = arrivals(80 / 60, 4.0, 5)
    found = changes({"bursty": bursts, "smooth": smooth})
    assert "smooth" in found and "bursty" not in found


def test_a_surge_seen_only_in_spans_is_the_entry_services_own_evidence() -> None:
    found = changes({"front": arrivals(8.0, 24.0, 6), "back": arrivals(8.0, 24.0, 7)})
    ranked = rank_candidates(list(found.values()), ["front", "back"], {"front": {"back"}}, SPLIT)
    assert ranked[0].service == "front" and ranked[0].own > 0 and ranked[1].own == 0.0
