"""Traces beyond the instrumented services: untraced peers seen through client spans, the
caller's side of a slow call, and callee clocks that disagree with their caller's."""

from __future__ import annotations

import json

import numpy as np

from aiops.analytics.peers import attribute_to_peers, peer_names, resolve_peer, timed_peers
from aiops.analytics.spantree import Spans, build_span_tree
from aiops.analytics.traces import analyse_traces

ONSET = 600.0
COLUMNS = ("trace_id", "span_id", "parent_span_id", "service", "pod", "operation", "start", "duration_us",
           "status", "http_status", "attrs")


def columns(rows: list[tuple]) -> dict[str, list]:
    return {name: [r[i] for r in rows] for i, name in enumerate(COLUMNS)}


def db_calls(n: int = 400, slow_db: bool = False, slow_caller: str | None = None, seed: int = 0) -> dict[str, list]:
    """web -> {api, worker}; api and worker each query the untraced database `db` through a
    client span. After the onset either every query is 20x slower (`slow_db`) or only the
    queries of `slow_caller` are (its own network)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        t0 = float(rng.uniform(0, 2 * ONSET))
        caller = "api" if i % 2 else "worker"
        q = 2e3 * float(rng.uniform(0.8, 1.2))
        if t0 >= ONSET and (slow_db or slow_caller == caller):
            q *= 20
        own = 5e3 * float(rng.uniform(0.8, 1.2))
        svc_dur = own + q
        web_dur = 3e3 + svc_dur
        rows += [
            (f"t{i}", f"w{i}", "", "web", "web-1", "GET /", t0, web_dur, "OK", 200, '{"kind":"server"}'),
            (f"t{i}", f"s{i}", f"w{i}", caller, f"{caller}-1", "handle", t0 + 0.001, svc_dur, "OK", 200, '{"kind":"server"}'),
            (f"t{i}", f"q{i}", f"s{i}", caller, f"{caller}-1", "SELECT", t0 + 0.002, q, "OK", None,
             json.dumps({"kind": "client", "peer.service": "db"})),
        ]
    return columns(rows)


def analyse(cols: dict[str, list]):
    spans, moved = attribute_to_peers(Spans.from_columns(cols), peer_names(cols["attrs"]), ["web", "api", "worker", "db"])
    return analyse_traces(spans, ONSET, client_side=moved), moved


def by_service(findings):
    return {(f.service, f.signal): f for f in findings}


def test_peer_names_come_from_otel_attributes_and_resolve_to_known_services() -> None:
    attrs = ['{"kind":"client","peer.service":"db"}', '{"server.address":"mysql:3306"}', "{}", "",
             '{"net.peer.name":"ts-travel-mongo.train-ticket.svc.cluster.local"}']
    assert peer_names(attrs).tolist() == ["db", "mysql:3306", "", "", "ts-travel-mongo.train-ticket.svc.cluster.local"]
    known = {"mysql", "ts-travel-mongo"}
    assert resolve_peer("mysql:3306", known) == "mysql"
    assert resolve_peer("tcp://mysql:3306", known) == "mysql"
    assert resolve_peer("ts-travel-mongo.train-ticket.svc.cluster.local", known) == "ts-travel-mongo"
    assert resolve_peer("redis-master", known) == "redis-master"


def test_a_slow_untraced_database_is_blamed_not_its_callers() -> None:
    result, moved = analyse(db_calls(slow_db=True))
    assert moved == {"db"}
    assert result.graph["api"] == {"db"} and result.graph["worker"] == {"db"}
    found = by_service(result.findings)
    top = result.findings[0]
    assert (top.service, top.signal, top.tags) == ("db", "self_latency", ("own", "client_side"))
    assert ("api", "self_latency") not in found and ("worker", "self_latency") not in found
    assert found[("api", "latency")].tags == ("inherited",)
    assert "explained by downstream db" in found[("api", "latency")].summary


def test_without_the_peer_move_the_callers_own_time_would_take_the_blame() -> None:
    cols = db_calls(slow_db=True)
    result = analyse_traces(Spans.from_columns(cols), ONSET)
    assert {f.service for f in result.findings if f.signal == "self_latency"} == {"api", "worker"}


def test_calls_slow_from_one_caller_only_are_that_callers_trouble() -> None:
    result, _ = analyse(db_calls(slow_caller="api"))
    found = by_service(result.findings)
    assert ("db", "self_latency") not in found
    mine = found[("api", "client_latency")]
    assert mine.tags == ("own",) and mine.component == "pod/api-1"
    assert "worker (worker-1) to db held" in mine.summary


def test_a_callee_whose_clock_runs_ahead_does_not_make_its_caller_look_slow() -> None:
    """b's clock is 2 s ahead of a's: its spans start after a's have ended. When b slows
    down tenfold, b is the origin; a only inherits (without de-skewing, a's own time would
    swallow b's)."""
    rng = np.random.default_rng(3)
    rows = []
    for i in range(300):
        t0 = float(rng.uniform(0, 2 * ONSET))
        b = 20e3 * float(rng.uniform(0.8, 1.2)) * (10 if t0 >= ONSET else 1)
        a = 10e3 * float(rng.uniform(0.8, 1.2)) + b
        rows += [(f"t{i}", f"a{i}", "", "a", "a-1", "op", t0, a, "OK", 200, "{}"),
                 (f"t{i}", f"b{i}", f"a{i}", "b", "b-1", "op", t0 + 0.004 + 2.0, b, "OK", 200, "{}")]
    cols = columns(rows)
    tree = build_span_tree(Spans.from_columns(cols))
    a_rows = np.flatnonzero(np.asarray(cols["service"]) == "a")
    own_ms = tree.own_us[a_rows] / 1e3
    assert np.median(own_ms) < 15.0                    # b's time is not a's own
    result = analyse_traces(cols, ONSET)
    found = by_service(result.findings)
    assert found[("b", "self_latency")].tags == ("own",)
    assert ("a", "self_latency") not in found and found[("a", "latency")].tags == ("inherited",)


def test_the_share_of_a_callers_time_in_an_untraced_peer_is_measured_without_spans_before_the_onset() -> None:
    # the spans begin at the onset (no baseline to compare): every query of api and worker is
    # 20x slower, so each spends ~89 % of its request time in db; web calls db not at all
    cols = db_calls(slow_db=True)
    after = [i for i, t in enumerate(cols["start"]) if t >= ONSET]
    result, moved = analyse({k: [v[i] for i in after] for k, v in cols.items()})
    shares = {f.signal: f for f in result.findings if "share" in f.tags}
    assert moved == {"db"} and set(shares) == {"time_share:api", "time_share:worker"}
    assert all(f.service == "db" and f.score == 0.0 and 0.8 < f.magnitude < 0.95 for f in shares.values())
    # with the queries as fast as before, db takes ~29 %: below SHARE_MIN, nothing is said
    fast = db_calls(slow_db=False)
    result, _ = analyse({k: [v[i] for i in after] for k, v in fast.items()})
    assert not [f for f in result.findings if "share" in f.tags]


def test_an_untraced_peer_is_timed_where_its_callers_client_spans_cover_both_sides_of_the_split() -> None:
    # db's queries are measured before and after the onset: its time is measured like a traced
    # service's, so a CPU rise there that its queries did not feel impacted nobody
    result, moved = analyse(db_calls())
    assert timed_peers(result.services, moved) == ("db",)
    # spans only from the onset on: nothing says the queries held, db is not timed
    cols = db_calls()
    after = [i for i, t in enumerate(cols["start"]) if t >= ONSET]
    result, moved = analyse({k: [v[i] for i in after] for k, v in cols.items()})
    assert moved == {"db"} and timed_peers(result.services, moved) == ()
