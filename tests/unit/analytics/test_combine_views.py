"""A class of evidence seen on both ends of the calls (the service's own series and its callers'
views of it, `client_side`) is one quantity measured twice: it counts once in `per_kind`, so
a service does not outrank another by having more views of the same drop."""

from __future__ import annotations

import pytest

from aiops.analytics.combine import max_plus, per_kind
from aiops.analytics.ranking import rank_candidates
from aiops.domain import Finding

ONSET = 1_700_000_000.0


def test_own_and_client_side_views_of_one_class_count_once():
    parts = {(False, "metric", "errors"): 0.4, (False, "metric", "errors/client_side"): 0.4}
    assert per_kind(parts, False) == [pytest.approx(0.4)]
    # two classes still add a little, as correlated views of one problem
    parts[(False, "metric", "latency")] = 0.2
    assert per_kind(parts, False) == [pytest.approx(max_plus([0.4, 0.2]))]
    # the larger of the two ends counts
    assert per_kind({(False, "metric", "errors"): 0.1, (False, "metric", "errors/client_side"): 0.3},
                    False) == [pytest.approx(0.3)]


def _drop(service: str, client_side: bool) -> Finding:
    tags = ("other", "client_side") if client_side else ("other",)
    view = f"seen by its callers as {service}_client: " if client_side else ""
    return Finding(kind="metric", service=service, signal="availability_average_percent", score=0.5,
                   summary=f"{view}availability 100 % -> 70 %", onset=ONSET, direction=-1,
                   magnitude=0.7, tags=tags)


def test_more_views_of_the_same_drop_do_not_outrank_a_service_with_more_kinds_of_evidence():
    # both fail the same way; "aa" has its own series and its callers' view of the drop, "bb"
    # only its callers' view, but its latency rose too
    slower = Finding(kind="metric", service="bb", signal="latency_average_ms", score=0.12,
                     summary="latency 180 ms -> 230 ms", onset=ONSET, direction=1, magnitude=1.3,
                     tags=("latency", "client_side"))
    found = [_drop("aa", False), _drop("aa", True), _drop("bb", True), slower]
    ranked = rank_candidates(found, ["aa", "bb"], {}, ONSET + 60)
    assert [c.service for c in ranked] == ["bb", "aa"]
