"""What bears a resource move out, and which of a caller's latency rises says where its added
time went: the ranking's reading of timing (aiops.analytics.ranking, aiops.analytics.peers)."""

from __future__ import annotations

import pytest

from aiops.analytics.peers import where_the_time_went
from aiops.analytics.ranking import BEAR_LEAD_S, RESOURCE_ALONE_FACTOR, rank_candidates
from aiops.domain import Finding

ONSET = 1000.0


def _metric(service: str, signal: str, cls: str, score: float, ratio: float, onset: float = ONSET) -> Finding:
    return Finding("metric", service, signal, score, f"{signal} of {service}", onset=onset, direction=1,
                   magnitude=ratio, tags=(cls,))


def test_a_slowdown_that_began_well_before_the_cpu_rose_does_not_bear_the_cpu_out() -> None:
    """A neighbour's CPU rose 20x at the onset; its p99 had risen 60 % five minutes before. The
    CPU cannot have caused what came before it: the CPU weighs as if its requests had held.
    The same slowdown beginning with the CPU bears it out as before."""
    cpu = _metric("hog", "container_cpu_usage_seconds_total", "cpu", 0.85, 20.0)

    def own(slow_at: float) -> float:
        slower = _metric("hog", "latency_p99_ms", "latency", 0.6, 3.0, onset=slow_at)
        held = rank_candidates([cpu, slower], ["hog"], {}, ONSET, time_measured={"hog"})[0].own
        return held / rank_candidates([cpu], ["hog"], {}, ONSET)[0].own

    assert own(ONSET - 300.0) == pytest.approx(RESOURCE_ALONE_FACTOR)
    assert own(ONSET) == pytest.approx(own(ONSET - BEAR_LEAD_S + 1.0))
    assert own(ONSET) > 2 * RESOURCE_ALONE_FACTOR


def test_the_rise_that_says_most_of_where_the_added_time_went_is_the_one_used() -> None:
    """api's p50 barely moved (+3 %, beyond doubt on a steady series) while its p90 rose 21x;
    since the onset it spends 90 % of its request time in calls to db. By the p50 nothing says
    the time went to db; by the p90 at least 90 % of it did, and db gets that part of the rise."""
    share = Finding("trace", "db", "time_share:api", 0.0, "api spends 90 % in db", onset=ONSET, magnitude=0.9,
                    ref="caller:api", tags=("share",))
    p50 = _metric("api", "latency_p50_ms", "latency", 0.96, 1.03)
    p90 = _metric("api", "latency_p90_ms", "latency", 0.9, 21.0)
    assert not [f for f in where_the_time_went([p50, share]) if f.service == "db"]
    [added] = [f for f in where_the_time_went([p50, p90, share]) if f.service == "db"]
    assert added.magnitude == 21.0 and added.score == pytest.approx(0.9 * (0.9 - 1 / 21) / (1 - 1 / 21))


def test_a_caller_whose_added_time_went_to_an_untraced_peer_is_explained_by_it_however_weak_the_rise() -> None:
    """cart's p50 rose 3x, a change of middling certainty (0.45); since the onset it spends 95 %
    of its request time in calls to redis. Most of its added time is redis's: cart is explained
    by redis, though redis's evidence (that part of cart's rise) is short of STRONG."""
    from aiops.analytics.ranking import STRONG

    rise = _metric("cart", "latency_p50_ms", "latency", 0.45, 3.0)
    spent = Finding("trace", "redis", "time_share:cart", 0.0, "cart spends it in redis", onset=ONSET,
                    magnitude=0.95, ref="caller:cart", tags=("share",))
    ranked = {c.service: c for c in rank_candidates(
        [rise, spent], ["web", "cart", "redis"], {"web": {"cart"}, "cart": {"redis"}}, ONSET, alerted="web",
        measured={"web", "cart"}, time_measured={"web", "cart"})}
    assert ranked["redis"].strength < STRONG
    assert ranked["cart"].explained_by == "redis"
    assert ranked["redis"].score > ranked["cart"].score


def test_slowness_a_dependency_explains_bears_out_nothing_of_the_callers_cpu() -> None:
    """A neighbour burning CPU (20x) became 200x slower, but only because the database it calls
    did: its slowness was inherited, and its CPU weighs as if its requests had held, however
    large that inherited slowdown (it had kept 80 % of the CPU's weight through a quarter of it)."""
    graph = {"web": {"basic"}, "basic": {"db"}}
    findings = [_metric("basic", "cpu_usage_percent", "cpu", 0.9, 20.0, onset=ONSET - 30.0),
                _metric("basic", "latency_p50_ms", "latency", 1.0, 200.0),
                _metric("db", "latency_p50_ms", "latency", 1.0, 300.0)]
    ranked = {c.service: c for c in rank_candidates(findings, ["web", "basic", "db"], graph, ONSET,
                                                    time_measured={"web", "basic", "db"})}
    alone = rank_candidates(findings[:1], ["basic"], {}, ONSET)[0].own
    assert ranked["basic"].explained_by == "db"
    assert ranked["basic"].own == pytest.approx(alone * RESOURCE_ALONE_FACTOR)
