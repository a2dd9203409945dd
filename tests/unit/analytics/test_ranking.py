"""Root-cause ranking on constructed evidence: the graph reasoning a user relies on."""

from __future__ import annotations

import pytest

from aiops.analytics.candidates import confidences
from aiops.analytics.ranking import rank_candidates
from aiops.analytics.weighing import is_own
from aiops.domain import Finding

ONSET = 600.0


def metric(service: str, signal: str, cls: str, score: float, onset: float | None = ONSET, direction: int = 1,
           ratio: float = 2.0, *extra: str) -> Finding:
    return Finding(kind="metric", service=service, signal=signal, score=score, summary=f"{signal} of {service}",
                   onset=onset, direction=direction, magnitude=ratio, tags=(cls, *extra))


def trace(service: str, signal: str, tags: tuple[str, ...], score: float, onset: float = ONSET) -> Finding:
    return Finding(kind="trace", service=service, signal=signal, score=score, summary=f"{signal} of {service}",
                   onset=onset, direction=1, tags=tags)


def log(service: str, tags: tuple[str, ...], score: float, onset: float = ONSET, signal: str = "tpl") -> Finding:
    return Finding(kind="log", service=service, signal=signal, score=score, summary=f"log of {service}",
                   onset=onset, direction=1, tags=tags)


def event(service: str, tags: tuple[str, ...], at: float, score: float = 0.9, signal: str = "deploy") -> Finding:
    return Finding(kind="event", service=service, signal=signal, score=score, summary=f"{signal} of {service}",
                   onset=at, tags=tags)


def ranked(findings, services, graph=None, inferred=None):
    out = rank_candidates(findings, services, graph or {}, ONSET, inferred=inferred or {})
    return [c.service for c in out], {c.service: c for c in out}


def test_the_deepest_anomalous_service_wins_over_its_louder_callers() -> None:
    graph = {"web": {"api"}, "api": {"db"}, "db": set()}
    findings = [
        trace("db", "self_latency", ("own",), 0.8, ONSET),
        metric("api", "latency_p90_seconds", "latency", 1.0, ONSET + 10, ratio=8.0),
        trace("api", "latency", ("inherited",), 0.5, ONSET + 5),
        metric("web", "latency_p90_seconds", "latency", 1.0, ONSET + 10, ratio=3.0),
        metric("web", "error_ratio", "errors", 0.9, ONSET + 20),
        log("web", ("error", "new", "call"), 0.9, ONSET + 15),
    ]
    order, c = ranked(findings, ["web", "api", "db"], graph)
    assert order[0] == "db"
    assert c["api"].explained_by == "db" and c["web"].explained_by in {"api", "db"}
    assert confidences([c[s] for s in order])[0] > 0.4


def test_a_caller_whose_own_trouble_began_clearly_earlier_is_not_explained_away() -> None:
    graph = {"api": {"db"}, "db": set()}
    findings = [
        metric("api", "cpu_usage_ratio", "cpu", 0.9, ONSET - 300),            # api saturates first
        metric("api", "latency_p90_seconds", "latency", 0.9, ONSET - 290, ratio=5.0),
        trace("db", "self_latency", ("own",), 0.7, ONSET),                   # db slows later (load)
    ]
    order, c = ranked(findings, ["api", "db"], graph)
    assert order[0] == "api" and c["api"].explained_by == ""


def test_a_deploy_counts_only_when_behaviour_changed_right_after_it() -> None:
    findings = [
        event("cart", ("change", "deploy"), ONSET - 20),                     # bad: errors follow at once
        metric("cart", "error_ratio", "errors", 0.7, ONSET),
        event("ads", ("change", "deploy"), ONSET - 20),                      # routine: nothing follows
        event("search", ("change", "deploy"), ONSET - 900),                  # long before its wobble
        metric("search", "error_ratio", "errors", 0.7, ONSET),
        event("shop", ("change", "deploy"), ONSET + 40),                     # after its change was seen
        metric("shop", "error_ratio", "errors", 0.7, ONSET),
    ]
    order, c = ranked(findings, ["cart", "ads", "search", "shop"])
    assert order[0] == "cart" and c["cart"].fault == "bad_deploy"
    assert c["cart"].score > c["search"].score > c["ads"].score
    assert c["shop"].score == pytest.approx(c["search"].score), "a deploy cannot cause what was seen before it"


def test_an_unmonitored_database_named_in_errors_explains_its_callers() -> None:
    findings = [
        log("db", ("mentioned",), 0.8, ONSET, signal="mentioned_in_errors"),  # db has no telemetry of its own
        log("api", ("error", "new", "call"), 0.9, ONSET + 5),
        metric("api", "error_ratio", "errors", 0.9, ONSET + 5),
    ]
    order, c = ranked(findings, ["api"], inferred={"api": {"db"}})
    assert order[0] == "db" and c["api"].explained_by == "db"


def test_a_service_with_quiet_telemetry_named_by_a_word_in_an_exception_explains_nothing() -> None:
    findings = [
        log("orders", ("mentioned",), 0.8, ONSET, signal="mentioned_in_errors"),
        log("api", ("error", "new", "own"), 0.9, ONSET),                       # api's own exceptions
        metric("api", "error_ratio", "errors", 0.6, ONSET),
    ]
    order, c = ranked(findings, ["api", "orders"], inferred={"api": {"orders"}})
    assert order[0] == "api" and c["api"].explained_by == ""


def test_error_text_dependencies_that_traces_contradict_are_ignored() -> None:
    graph = {"api": {"cache"}, "cache": set(), "orders": set()}
    findings = [
        metric("orders", "cpu_usage_ratio", "cpu", 0.9, ONSET),
        metric("api", "error_ratio", "errors", 0.9, ONSET),
        log("api", ("error", "new", "call"), 0.9, ONSET),
    ]
    _, c = ranked(findings, ["api", "cache", "orders"], graph, inferred={"api": {"orders"}})
    assert c["api"].explained_by == ""


def test_logs_alone_are_enough_to_rank() -> None:
    findings = [log("pay", ("error", "new", "own"), 0.9), log("web", ("error", "increase", "call"), 0.6)]
    order, _ = ranked(findings, ["pay", "web"])
    assert order == ["pay", "web"]


def test_one_replicas_symptom_its_siblings_do_not_share_is_its_own_and_lone_warnings_weigh_little() -> None:
    alone = metric("api", "error_ratio", "errors", 0.8, ONSET, 1, 2.0, "pod_specific")
    assert is_own(alone) and not is_own(metric("api", "error_ratio", "errors", 0.8))
    findings = [alone, event("web", ("warning", "k8s_event"), ONSET, 0.85, "k8s_event")]
    order, c = ranked(findings, ["api", "web"])
    assert order[0] == "api" and c["web"].score < 0.3


def test_the_fault_is_named_by_the_evidence_of_what_broke_not_by_how_it_shows() -> None:
    findings = [
        metric("inv", "latency_p90_seconds", "latency", 1.0, ONSET, 1, 30.0, "pod_specific"),
        metric("inv", "hikaricp_connections_pending", "pool", 0.8, ONSET),
        metric("gc", "cpu_usage_ratio", "cpu", 0.9, ONSET),
        metric("gc", "memory_working_set_bytes", "memory", 0.8, ONSET - 120),
    ]
    _, c = ranked(findings, ["inv", "gc"])
    assert c["inv"].fault == "resource_exhaustion"
    assert c["gc"].fault == "memory_leak"            # a climbing heap makes the GC burn CPU


def test_a_peer_seen_only_through_a_callers_client_spans_does_not_explain_away_that_callers_own_time() -> None:
    graph = {"web": {"pc"}, "pc": {"db"}, "db": set()}
    peer = trace("db", "self_latency", ("own", "client_side"), 0.95)
    lossy = [peer, trace("pc", "self_latency", ("own",), 0.95),              # pc's own time rose too
             metric("pc", "latency_p90_seconds", "latency", 1.0, ratio=60.0)]
    order, c = ranked(lossy, ["web", "pc", "db"], graph)
    assert order[0] == "pc" and c["pc"].explained_by == ""
    slow_db = [peer, trace("pc", "latency", ("inherited",), 0.5),             # pc only waited for db
               metric("pc", "latency_p90_seconds", "latency", 1.0, ratio=60.0)]
    order, c = ranked(slow_db, ["web", "pc", "db"], graph)
    assert order[0] == "db" and c["pc"].explained_by == "db"


def test_being_named_in_callers_errors_adds_up_once_the_dependencys_own_telemetry_moved_too() -> None:
    findings = [
        log("broker", ("mentioned",), 0.8, ONSET, signal="mentioned_in_errors"),
        metric("broker", "network_transmit_packets_dropped_total", "network", 0.35, ONSET),   # weak, but its own
        log("orders", ("error", "new", "call"), 0.9, ONSET),
        metric("orders", "latency_p90_seconds", "latency", 1.0, ONSET, ratio=30.0),
    ]
    _, c = ranked(findings, ["orders", "broker"], inferred={"orders": {"broker"}})
    assert c["orders"].explained_by == "broker"


def test_cpu_that_moved_while_the_services_timed_requests_held_weighs_half() -> None:
    from aiops.analytics.ranking import RESOURCE_ALONE_FACTOR, rank_candidates

    cpu = Finding("metric", "noisy", "container_cpu_usage_seconds_total", 0.8, "cpu up", onset=100.0, direction=1,
                  tags=("cpu",))
    slow = Finding("metric", "culprit", "latency_p90_seconds", 0.8, "latency up", onset=100.0, direction=1,
                   magnitude=20.0, tags=("latency",))
    alone = {c.service: c for c in rank_candidates([cpu], ["noisy"], {}, 100.0)}
    held = {c.service: c for c in rank_candidates([cpu], ["noisy"], {}, 100.0, time_measured={"noisy"})}
    assert held["noisy"].own == pytest.approx(alone["noisy"].own * RESOURCE_ALONE_FACTOR)
    # the service whose requests slowed as far as its CPU moved keeps its CPU in full; one whose
    # requests slowed a little keeps it in part; a full disk is never halved
    both = [cpu, Finding("metric", "noisy", "latency_p90_seconds", 0.8, "", onset=100.0, direction=1,
                         magnitude=20.0, tags=("latency",))]
    kept = {c.service: c for c in rank_candidates(both, ["noisy"], {}, 100.0, time_measured={"noisy"})}
    assert kept["noisy"].own == pytest.approx(alone["noisy"].own)
    little = [cpu, Finding("metric", "noisy", "latency_p90_seconds", 0.3, "", onset=100.0, direction=1,
                           magnitude=2.0, tags=("latency",))]
    part = {c.service: c for c in rank_candidates(little, ["noisy"], {}, 100.0, time_measured={"noisy"})}
    assert alone["noisy"].own * RESOURCE_ALONE_FACTOR < part["noisy"].own < alone["noisy"].own
    disk = Finding("metric", "db", "container_fs_usage_bytes", 0.8, "", onset=100.0, direction=1, tags=("disk",))
    full = {c.service: c for c in rank_candidates([disk], ["db"], {}, 100.0, time_measured={"db"})}
    assert full["db"].own == pytest.approx(rank_candidates([disk], ["db"], {}, 100.0)[0].own)
    # requests that got faster are no impact: the CPU is halved all the same
    faster = [cpu, Finding("metric", "noisy", "latency_p90_seconds", 0.3, "", onset=100.0, direction=-1,
                           magnitude=0.5, tags=("latency",))]
    calm = {c.service: c for c in rank_candidates(faster, ["noisy"], {}, 100.0, time_measured={"noisy"})}
    alone_too = {c.service: c for c in rank_candidates(faster, ["noisy"], {}, 100.0)}
    assert calm["noisy"].own == pytest.approx(alone_too["noisy"].own * RESOURCE_ALONE_FACTOR)
    # the neighbour whose only sign is its CPU no longer outranks the service that slowed down
    ranked = rank_candidates([cpu, slow], ["noisy", "culprit"], {}, 100.0, time_measured={"noisy", "culprit"})
    assert ranked[0].service == "culprit"



def test_a_clear_slowdown_bears_out_a_cpu_hog_as_far_as_it_bears_out_a_clear_cpu_rise() -> None:
    """How far the requests bear a resource move out depends on how clearly they were hurt, not
    on how far beyond doubt the move itself is: a CPU hog (28x) whose requests got a fifth slower
    keeps the same share of its weight as a clear but smaller CPU rise with the same slowdown."""
    from aiops.analytics.ranking import rank_candidates

    def own(cpu_score: float) -> float:
        cpu = Finding("metric", "hog", "container_cpu_usage_seconds_total", cpu_score, "cpu up", onset=100.0,
                      direction=1, magnitude=28.0, tags=("cpu",))
        slower = Finding("metric", "hog", "latency_p50_seconds", 0.3, "latency up", onset=100.0, direction=1,
                         magnitude=1.26, tags=("latency",))
        held = rank_candidates([cpu, slower], ["hog"], {}, 100.0, time_measured={"hog"})[0].own
        return held / rank_candidates([cpu], ["hog"], {}, 100.0)[0].own

    assert own(0.95) == pytest.approx(own(0.6))

def test_a_latency_rise_too_small_to_feel_bears_out_a_cpu_move_little() -> None:
    """A neighbour burning 7x its CPU whose p50 went from 1.29 to 1.48 ms on a steady series: the
    rise is beyond doubt, and hurt nobody. It bears the CPU out in part (FELT_RATIO), where a
    fourth slower requests bear it out in full."""
    from aiops.analytics.ranking import RESOURCE_ALONE_FACTOR, rank_candidates
    from aiops.analytics.weighing import FELT_RATIO

    def own(ratio: float) -> float:
        cpu = Finding("metric", "hog", "container_cpu_usage_seconds_total", 0.65, "cpu up", onset=100.0,
                      direction=1, magnitude=7.0, tags=("cpu",))
        slower = Finding("metric", "hog", "latency_p50_seconds", 0.9, "latency up", onset=100.0, direction=1,
                         magnitude=ratio, tags=("latency",))
        held = rank_candidates([cpu, slower], ["hog"], {}, 100.0, time_measured={"hog"})[0].own
        return held / rank_candidates([cpu], ["hog"], {}, 100.0)[0].own

    assert own(FELT_RATIO) == pytest.approx(own(3.0)) == pytest.approx(1.0)
    assert RESOURCE_ALONE_FACTOR < own(1.14) < 0.9


def test_the_alerted_services_own_symptoms_count_for_less_than_another_services_they_said_nothing_new() -> None:
    """No call graph known (metrics only): the alert already said its service slowed down, so
    that slowdown is no clue to the cause; another service that slowed nearly as much is."""
    findings = [metric("site", "latency_p90_seconds", "latency", 0.8, ratio=3.0),
                metric("search", "latency_p90_seconds", "latency", 0.6, ratio=2.5)]
    plain = rank_candidates(findings, ["site", "search"], {}, ONSET)
    alerted = rank_candidates(findings, ["site", "search"], {}, ONSET, alerted="site")
    assert [c.service for c in plain] == ["site", "search"]
    assert [c.service for c in alerted] == ["search", "site"]
    # the same for moves below the evidence threshold, which order the quiet services
    moves = [Finding("metric", s, "latency_p90_seconds", 0.0, "", magnitude=z, tags=("latency", "weak"))
             for s, z in (("site", 12.0), ("search", 9.0))]
    assert [c.service for c in rank_candidates(moves, ["site", "search"], {}, ONSET)] == ["site", "search"]
    assert [c.service for c in rank_candidates(moves, ["site", "search"], {}, ONSET, alerted="site")] == \
        ["search", "site"]
    # alone, the alerted service is still named
    assert rank_candidates(findings[:1], ["site", "search"], {}, ONSET, alerted="site")[0].service == "site"


def test_the_alerted_services_move_is_reported_as_far_as_it_moved_though_it_ranks_for_less() -> None:
    """The verdict reads each service's strongest move ("never healthy while a median moved
    >= 3 robust sd"): halving the alerted service's move is for ordering only."""
    moves = [Finding("metric", s, "latency_p90_seconds", 0.0, "", magnitude=z, tags=("latency", "weak"))
             for s, z in (("site", 4.0), ("search", 3.0))]
    ranked = rank_candidates(moves, ["site", "search"], {}, ONSET, alerted="site")
    assert [c.service for c in ranked] == ["search", "site"]
    assert {c.service: c.marginal for c in ranked} == {"site": 4.0, "search": 3.0}
    assert all(f.magnitude == 4.0 for _, f in ranked[1].findings)


def test_resources_that_rose_with_the_services_requests_follow_the_load_which_entered_upstream() -> None:
    """A surge of requests entering at `front` reaches `back` too: both spend more CPU, each in
    proportion to what it serves. That CPU is load, not either service's own fault; the service
    whose traffic rose more than its callers' is where the load came in."""
    graph = {"front": {"back"}}
    surge = [metric("front", "requests_total", "traffic", 0.5, ratio=3.0),
             metric("front", "cpu_seconds_total", "cpu", 0.6, ratio=2.5),
             metric("back", "requests_total", "traffic", 0.5, ratio=3.0),
             metric("back", "cpu_seconds_total", "cpu", 0.8, ratio=3.2)]
    order, cands = ranked(surge, ["front", "back"], graph)
    assert order[0] == "front" and cands["back"].own == 0.0
    # without the traffic, the CPU rise is the service's own (it burns more per request)
    order, cands = ranked([f for f in surge if f.signal != "requests_total"], ["front", "back"], graph)
    assert order[0] == "back" and cands["back"].own > 0.5
    # CPU that rose far beyond the requests is own again, load or not
    burn = surge[:3] + [metric("back", "cpu_seconds_total", "cpu", 0.8, ratio=12.0)]
    assert ranked(burn, ["front", "back"], graph)[1]["back"].own > 0.5
    # no call graph: among equal surges the one where the alert fired is where it came in
    flat = rank_candidates(surge, ["front", "back"], {}, ONSET, alerted="back")
    assert flat[0].service == "back"
    assert rank_candidates(surge, ["front", "back"], {}, ONSET, alerted="front")[0].service == "front"
    # a database that counts no requests of its own serves what its callers sent
    db = surge + [metric("db", "cpu_seconds_total", "cpu", 0.8, ratio=2.8)]
    order, cands = ranked(db, ["front", "back", "db"], {"front": {"back"}, "back": {"db"}})
    assert order[0] == "front" and cands["db"].own == 0.0
    # ... and so does one that counts fewer of them than its callers received
    counted = db + [metric("db", "requests_total", "traffic", 0.5, ratio=2.0)]
    order, cands = ranked(counted, ["front", "back", "db"], {"front": {"back"}, "back": {"db"}})
    assert order[0] == "front" and cands["db"].own == 0.0
    # traces are sparse and rates noisy: a service whose direct caller shows a smaller rise
    # still got no more than what came in at the top, so the surge did not enter there
    chain = [metric("front", "requests_total", "traffic", 0.5, ratio=3.0),
             metric("mid", "requests_total", "traffic", 0.5, ratio=2.0),
             metric("back", "requests_total", "traffic", 0.5, ratio=3.1)]
    order, cands = ranked(chain, ["front", "mid", "back"], {"front": {"mid"}, "mid": {"back"}})
    assert order[0] == "front" and cands["back"].own == 0.0



def test_a_log_line_per_request_that_rose_with_the_requests_is_load_too() -> None:
    """`request handled` lines at `back` quadrupled because its requests did: part of the surge
    that entered at `front`, not `back`'s own trouble. An error line, or a line that rose far
    more than the requests, still counts in full as a symptom of `back` — one the surge that
    entered at `front` explains (SURGE)."""
    graph = {"front": {"back"}}
    surge = [metric("front", "requests_total", "traffic", 0.5, ratio=4.0),
             metric("back", "requests_total", "traffic", 0.4, ratio=4.0)]

    def handled(ratio: float, *tags: str) -> Finding:
        return Finding(kind="log", service="back", signal="tpl", score=0.6, summary="request handled",
                       onset=ONSET, direction=1, magnitude=ratio, tags=("increase", *tags))

    order, cands = ranked(surge + [handled(4.2)], ["front", "back"], graph)
    more = ranked(surge + [handled(12.0)], ["front", "back"], graph)[1]["back"]
    assert order[0] == "front" and cands["back"].symptom < 0.8 * more.symptom
    failing = ranked(surge + [handled(4.2, "error")], ["front", "back"], graph)[1]["back"]
    assert failing.symptom > 1.2 * cands["back"].symptom and failing.explained_by == "front"

def test_a_traced_service_the_alerted_one_does_not_reach_counts_for_less() -> None:
    """Alerted on `cart`: trouble reaches it from what it calls, not from a sibling's CPU."""
    graph = {"frontend": {"cart", "ads"}, "cart": {"redis"}}
    findings = [metric("ads", "cpu_seconds_total", "cpu", 0.8, ratio=5.0),
                metric("redis", "latency_p90_seconds", "latency", 0.7, ratio=30.0)]
    services = ["frontend", "cart", "ads", "redis"]
    free = rank_candidates(findings, services, graph, ONSET)
    assert free[0].service == "ads"
    alerted = {c.service: c for c in rank_candidates(findings, services, graph, ONSET, alerted="cart")}
    assert max(alerted.values(), key=lambda c: c.score).service == "redis"
    assert alerted["ads"].score == pytest.approx({c.service: c for c in free}["ads"].score * 0.5)
    # with no call graph nothing is known about paths: nothing is discounted
    assert rank_candidates(findings, services, {}, ONSET, alerted="cart")[0].service == "ads"


def test_slowness_a_dependency_explains_does_not_bear_out_the_callers_cpu() -> None:
    """`checkout` burns CPU (a neighbour's burst) and is slow, but only because `currency`, which it
    calls, is: the CPU did not slow its requests, so it counts as a CPU move nothing bore out."""
    graph = {"frontend": {"checkout"}, "checkout": {"currency"}}
    findings = [metric("checkout", "cpu_usage_percent", "cpu", 0.9, ratio=20.0),
                metric("checkout", "latency_p95_seconds", "latency", 0.8, ratio=9.0),
                metric("currency", "latency_p95_seconds", "latency", 0.9, ratio=40.0)]
    out = rank_candidates(findings, ["frontend", "checkout", "currency"], graph, ONSET,
                          time_measured={"frontend", "checkout", "currency"})
    by = {c.service: c for c in out}
    assert by["checkout"].explained_by == "currency"
    assert out[0].service == "currency"


def test_a_deploy_followed_only_by_a_resource_move_is_routine_where_requests_are_measured() -> None:
    """A new version's memory or CPU moving after the rollout is what a rollout does; where the
    service's request time is measured, the deploy is a suspect only if its requests got worse
    (or it restarted) right after. Where they are not, any change of behaviour counts."""
    findings = [
        event("cart", ("change", "deploy"), ONSET - 20),
        metric("cart", "container_memory_working_set_bytes", "memory", 0.6, ONSET),
        event("mail", ("change", "config"), ONSET - 20, signal="config"),
        metric("mail", "latency_p90_seconds", "latency", 0.6, ONSET, ratio=4.0),
    ]
    both = frozenset({"cart", "mail"})
    out = rank_candidates(findings, ["cart", "mail"], {}, ONSET, time_measured=both)
    assert [c.service for c in out][0] == "mail"
    unmeasured = {c.service: c for c in rank_candidates(findings, ["cart", "mail"], {}, ONSET)}
    measured = {c.service: c for c in out}
    assert unmeasured["cart"].score > measured["cart"].score


def test_slowness_whose_timed_callees_all_held_starts_in_the_service() -> None:
    # front calls api and batch; api calls db and cache. api's latency rose tenfold (a CPU-starved
    # pod: no resource of its own moved); its callees, whose requests are timed, barely moved. A
    # harmless memory step on batch weighs a little more than api's latency as a symptom, less
    # than as slowness that starts in api.
    graph = {"front": {"api", "batch"}, "api": {"db", "cache"}}
    services = ["front", "api", "batch", "db", "cache"]
    timed = set(services)

    def ranked(db_score: float, db_ratio: float, timed_services: set[str]) -> list[str]:
        findings = [metric("api", "latency_p50", "latency", 0.7, ratio=10.0),
                    metric("db", "latency_p50", "latency", db_score, ratio=db_ratio),
                    metric("batch", "memory_working_set", "memory", 0.45)]
        return [c.service for c in rank_candidates(findings, services, graph, ONSET, alerted="front",
                                                   measured=timed_services, time_measured=timed_services)]

    assert ranked(0.3, 1.02, timed)[0] == "api"
    assert ranked(0.7, 8.0, timed)[0] == "batch"             # db slowed too: api's slowness is not its own alone
    assert ranked(0.3, 1.02, timed - {"cache"})[0] == "batch"   # cache's time unmeasured: nothing says it held
    # only the slowness is its own: a stronger symptom of another kind (errors it logged calling
    # out) counts as before
    loud = [metric("api", "latency_p50", "latency", 0.3, ratio=1.3), log("api", ("error", "new", "call"), 0.9)]
    scores = [next(c.score for c in rank_candidates(loud, services, graph, ONSET, alerted="front", measured=t,
                                                    time_measured=t) if c.service == "api") for t in (timed, timed - {"cache"})]
    assert scores[0] == pytest.approx(scores[1])


def test_a_callers_added_time_spent_in_an_untraced_database_is_the_databases() -> None:
    """api's p50 rose 20x (metrics); since the onset it spends 95 % of its request time in calls
    to db (traces with nothing before the onset, db with no latency series of its own): the calls
    alone take far more than api's whole request took before, so db is where the time went."""
    from aiops.analytics.ranking import rank_candidates

    rise = metric("api", "latency_p50", "latency", 0.9, ratio=20.0)
    other = metric("cache", "memory_working_set", "memory", 0.5)

    def first(share: float) -> list[str]:
        spent = Finding("trace", "db", "time_share:api", 0.0, "api spends it in db", onset=ONSET, magnitude=share,
                        ref="caller:api", tags=("share",))
        ranked = rank_candidates([rise, other, spent], ["web", "api", "db", "cache"],
                                 {"web": {"api", "cache"}, "api": {"db"}}, ONSET, alerted="web",
                                 measured={"web", "api", "cache"}, time_measured={"web", "api", "cache"})
        assert all("share" not in f.tags for c in ranked for _, f in c.findings)
        return [c.service for c in ranked]

    assert first(0.95)[0] == "db"
    assert first(0.95)[1:].index("api") > first(0.95)[1:].index("cache")   # api's slowness came from db
    assert first(0.3)[0] != "db"        # a database call that took a third did not take the rise


def test_trouble_a_surge_brought_downstream_is_explained_by_where_it_came_in() -> None:
    """web (alerted, no callers) got 4.6x its requests; api, below it, got them too and logged
    failed calls when it could not keep up. Its errors came with the surge: the surge's entry
    explains them. A rise of less than SURGE explains nothing (traffic moves on its own)."""
    from aiops.analytics.ranking import SURGE, rank_candidates

    def ranked(ratio: float) -> list:
        findings = [metric("web", "requests_total", "traffic", 0.5, ratio=ratio),
                    metric("web", "network_receive_bytes", "network", 0.5, ratio=ratio),
                    metric("api", "requests_total", "traffic", 0.5, ratio=ratio),
                    log("api", ("error", "new", "call"), 0.8)]
        return rank_candidates(findings, ["web", "api", "db"], {"web": {"api"}, "api": {"db"}}, ONSET,
                               alerted="web", measured={"web", "api"}, time_measured={"web", "api"})

    surge = {c.service: c for c in ranked(4.6)}
    assert ranked(4.6)[0].service == "web" and surge["api"].explained_by == "web"
    small = {c.service: c for c in ranked(SURGE * 0.9)}
    assert small["api"].explained_by == "" and ranked(SURGE * 0.9)[0].service == "api"


def test_a_surge_seen_downstream_one_scrape_earlier_with_jittered_timestamps_is_still_the_entrys() -> None:
    """Scrapes of 60 s whose timestamps jitter by milliseconds: `back` showed the surge one sample
    before `front`, where it came in, 60.024 s earlier. One scrape apart is together: `back`'s
    trouble is the surge's, and `front` comes first."""
    early, late = ONSET - 60.0, ONSET + 0.024
    surge = [metric("front", "requests_total", "traffic", 0.45, onset=late, ratio=3.8),
             metric("front", "network_rx_kbps", "network", 0.42, onset=late, ratio=3.8),
             metric("back", "requests_total", "traffic", 0.46, onset=early, ratio=3.75),
             metric("back", "cpu_usage_percent", "cpu", 0.52, onset=early, ratio=2.8),
             metric("back", "latency_p90_ms", "latency", 0.35, onset=early, ratio=2.0)]
    order, cands = ranked(surge, ["front", "back"], {"front": {"back"}})
    assert cands["back"].explained_by == "front" and order[0] == "front"
