"""A callee's own latency rise that its callers' views of it did not show (`_unseen_by_callers`
in the metrics scan; `UNSEEN_FACTOR` in the ranking): slowness the callers never saw is not
what reached them, so it weighs less than the same rise seen from outside too. And with no call
graph to say who inherited whose slowness, of two like moves the earlier one ranks first."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from aiops.analytics.ranking import TIMED, UNSEEN_FACTOR, rank_candidates
from aiops.domain import Finding

from .metric_scans import scan, tag_factor, write_bundle

T0 = 1_700_000_100
STEP = 300
N = 30
MOVE = T0 + 27 * STEP
ALERT = MOVE + 60


def bundle(root: Path, callers_saw_it: bool) -> Path:
    """search's own latency doubles at MOVE; its view `search_client` (what its callers saw)
    doubles too only when `callers_saw_it`."""
    rng = np.random.default_rng(3)
    rows = []
    for j in range(N):
        t = T0 + j * STEP
        slow = 2.0 if t >= MOVE else 1.0
        for node, factor in (("search", slow), ("search_client", slow if callers_saw_it else 1.0), ("site", 1.0)):
            rows.append(f"{t},latency_average_seconds,{0.2 * factor * float(np.exp(rng.normal(0, 0.05))):.4f},{node}")
    return write_bundle(root, rows, title="site latency anomalous", started_at=ALERT, start=T0, end=T0 + N * STEP)


def search_scan(root: Path) -> list[Finding]:
    return [f for f in scan(root)[0] if f.service == "search"]


def test_a_rise_the_callers_did_not_see_is_tagged_unseen(tmp_path):
    unseen = search_scan(bundle(tmp_path / "a", callers_saw_it=False))
    seen = search_scan(bundle(tmp_path / "b", callers_saw_it=True))
    assert unseen and seen, "search's own latency doubled either way"
    assert all("unseen" in f.tags for f in unseen)
    assert not any("unseen" in f.tags for f in seen)


def test_an_unseen_rise_weighs_less():
    rise = Finding(kind="metric", service="search", signal="latency_average_seconds", score=0.6,
                   summary="latency doubled", onset=float(MOVE), direction=1, magnitude=2.0, tags=("latency",))
    assert tag_factor(rise, "unseen", float(ALERT)) == pytest.approx(UNSEEN_FACTOR)


def test_of_two_like_moves_below_strong_the_earlier_one_ranks_first():
    # 5-minute aggregates, no call graph: the callee slowed one sample before its caller, whose
    # rise (inherited) is a little larger in robust z; neither is beyond doubt (STRONG)
    def rise(service: str, score: float, at: float) -> Finding:
        return Finding(kind="metric", service=service, signal="latency_average_seconds", score=score,
                       summary=f"{service} latency up", onset=at, direction=1, magnitude=2.0, tags=("latency",))
    ranked = rank_candidates([rise("caller", 0.39, MOVE + STEP), rise("callee", 0.37, MOVE)],
                             ["caller", "callee"], {}, float(ALERT))
    assert [c.service for c in ranked] == ["callee", "caller"]


def test_of_two_like_weak_moves_too_faint_to_date_the_earlier_one_still_ranks_first():
    # the same with evidence below TIMED (it dates nothing beyond doubt): the callee's rise
    # came a sample before its caller's surge and slowdown, which add up to a little more
    def move(service: str, signal: str, score: float, at: float, tag: str) -> Finding:
        return Finding(kind="metric", service=service, signal=signal, score=score,
                       summary=f"{service} {signal} up", onset=at, direction=1, magnitude=1.5, tags=(tag,))
    assert 0.24 < TIMED
    found = [move("callee", "latency_average_seconds", 0.24, MOVE, "latency"),
             move("caller", "latency_average_seconds", 0.22, MOVE + STEP, "latency"),
             move("caller", "request_count", 0.02, MOVE + STEP, "traffic")]
    ranked = rank_candidates(found, ["caller", "callee"], {}, float(ALERT))
    assert [c.service for c in ranked] == ["callee", "caller"]


def surge_bundle(root: Path) -> Path:
    """pay's own requests rise 2.3x at MOVE while pay_client (what its callers sent it) stays;
    queue, which pay calls, rises with queue_client: pay took the extra requests from outside
    its known callers, queue got them from pay."""
    rng = np.random.default_rng(5)
    rows = []
    for j in range(N):
        t = T0 + j * STEP
        surge = 2.3 if t >= MOVE else 1.0
        for node, factor in (("pay", surge), ("pay_client", 1.0), ("queue", surge), ("queue_client", surge)):
            rows.append(f"{t},request_count,{500 * factor * float(np.exp(rng.normal(0, 0.05))):.0f},{node}")
    return write_bundle(root, rows, title="site latency anomalous", started_at=ALERT, start=T0, end=T0 + N * STEP)


def test_a_surge_the_callers_sent_is_tagged_sent_and_one_from_outside_them_is_not(tmp_path):
    found, first = scan(surge_bundle(tmp_path / "s"), rank=True)
    tagged = {f.service: "sent" in f.tags for f in found if f.direction > 0}
    assert tagged == {"pay": False, "queue": True, "queue_client": True}
    assert first == "pay", "the surge entered where the callers did not send it"
