"""Trace analysis: call graph, self time, and attribution to the service that changed."""

from __future__ import annotations

import numpy as np
import pytest

from aiops.analytics.spantree import Spans, build_span_tree, service_call_graph
from aiops.analytics.traces import analyse_traces

ONSET = 600.0
COLUMNS = ("trace_id", "span_id", "parent_span_id", "service", "operation", "start", "duration_us", "status", "http_status")


def spans(rows: list[tuple]) -> dict[str, list]:
    return {name: [r[i] for r in rows] for i, name in enumerate(COLUMNS)}


def chain(n: int = 400, slow: str | None = None, failing: str | None = None, seed: int = 0) -> dict[str, list]:
    """Requests A -> B -> C (own time 10, 5, 20 ms). After the onset `slow` gets 10x slower
    and 30 % of requests fail in `failing`, the error propagating to its callers."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        t0 = float(rng.uniform(0, 2 * ONSET))
        own = {s: base * float(rng.uniform(0.8, 1.2)) for s, base in (("A", 10e3), ("B", 5e3), ("C", 20e3))}
        if t0 >= ONSET and slow:
            own[slow] *= 10
        broken = failing is not None and t0 >= ONSET and rng.random() < 0.3
        c = own["C"]
        b = own["B"] + c
        a = own["A"] + b
        t_b = t0 + own["A"] / 2e6
        t_c = t_b + own["B"] / 2e6
        for sid, parent, svc, start, dur in (("a", "", "A", t0, a), ("b", "a", "B", t_b, b), ("c", "b", "C", t_c, c)):
            failed = broken and svc <= failing  # the failing service and everything above it
            rows.append((f"t{i}", f"{sid}{i}", f"{parent}{i}" if parent else "", svc, "op", start, dur,
                         "ERROR" if failed else "OK", 500 if failed else 200))
    return spans(rows)


def by_service(findings):
    return {(f.service, f.signal): f for f in findings}


def test_call_graph_edges_and_counts() -> None:
    result = analyse_traces(chain(100), ONSET)
    assert result.graph == {"A": {"B"}, "B": {"C"}, "C": set()}
    assert result.edges[("A", "B")].calls == 100 and result.edges[("B", "C")].calls == 100
    assert service_call_graph(chain(10)) == result.graph


def test_latency_in_the_deepest_service_is_attributed_to_it() -> None:
    result = analyse_traces(chain(slow="C"), ONSET)
    found = by_service(result.findings)
    assert {f.service for f in result.findings if f.score >= 0.9} == {"C"}
    top = found[("C", "self_latency")]
    assert top.tags == ("own",) and top.score > 0.9 and 8 < top.magnitude < 12
    # where the requests' extra time is spent: all of it in C's own time
    share = found[("C", "latency_contribution")]
    assert share.tags == ("own", "contribution") and "100% of what the requests slowed down" in share.summary
    assert found[("A", "latency")].tags == ("inherited",) and found[("B", "latency")].tags == ("inherited",)
    assert "explained by downstream C" in found[("A", "latency")].summary
    assert found[("A", "latency")].score < top.score
    assert ONSET <= top.onset < ONSET + 30
    assert ("A", "self_latency") not in found and ("B", "self_latency") not in found


def test_latency_in_the_middle_service_spares_the_callee() -> None:
    found = by_service(analyse_traces(chain(slow="B"), ONSET).findings)
    assert found[("B", "self_latency")].tags == ("own",)
    assert found[("A", "latency")].tags == ("inherited",)
    assert not any(service == "C" for service, _ in found)


def test_errors_raised_in_the_callee_and_propagated_are_attributed_to_it() -> None:
    result = analyse_traces(chain(failing="C"), ONSET)
    found = by_service(result.findings)
    assert result.findings[0].service == "C" and result.findings[0].tags == ("own", "error")
    assert found[("B", "error_rate")].tags == ("inherited", "error")
    assert found[("A", "error_rate")].tags == ("inherited", "error")
    assert result.services["A"].after.own_errors == 0 and result.services["C"].after.own_errors > 0
    assert 0.2 < found[("C", "error_rate")].magnitude < 0.4


def test_steady_traffic_gives_no_findings() -> None:
    assert analyse_traces(chain(), ONSET).findings == []


def test_self_time_counts_parallel_children_once_and_clips_them_to_the_parent() -> None:
    # A: 0-100 ms; children B1 10-60 and B2 30-90 overlap (union 80 ms); C runs past B1's end.
    # D is an async child of A starting at 95 ms and ending at 150 ms: only 5 ms fall inside A.
    data = spans([
        ("t", "a", "", "A", "op", 0.000, 100e3, "OK", 200),
        ("t", "b1", "a", "B", "op", 0.010, 50e3, "OK", 200),
        ("t", "b2", "a", "B", "op", 0.030, 60e3, "OK", 200),
        ("t", "c", "b1", "C", "op", 0.040, 40e3, "OK", 200),
        ("t", "d", "a", "D", "op", 0.095, 55e3, "OK", 200),
    ])
    tree = build_span_tree(Spans.from_columns(data))
    assert tree.self_us.tolist() == pytest.approx([15e3, 30e3, 60e3, 40e3, 55e3])


def test_same_service_internal_spans_add_up_to_own_time() -> None:
    # A's entry span (100 ms) has an internal A span (60 ms) that calls B (50 ms).
    data = spans([
        ("t", "1", "", "A", "GET /", 0.0, 100e3, "OK", 200),
        ("t", "2", "1", "A", "db query", 0.01, 60e3, "OK", None),
        ("t", "3", "2", "B", "SELECT", 0.015, 50e3, "OK", None),
    ])
    tree = build_span_tree(Spans.from_columns(data))
    assert tree.entry.tolist() == [True, False, True]
    assert tree.segment.tolist() == [0, 0, 2]
    assert tree.own_us[0] == pytest.approx(50e3) and tree.own_us[2] == pytest.approx(50e3)


def test_missing_parents_and_span_ids_repeated_across_traces() -> None:
    data = spans([
        ("t1", "x", "", "A", "op", 0.0, 10e3, "OK", 200),
        ("t1", "y", "x", "B", "op", 0.001, 5e3, "OK", 200),
        ("t2", "x", "root", "A", "op", 1.0, 10e3, "OK", 200),
        ("t2", "y", "x", "C", "op", 1.001, 5e3, "ERROR", None),
        ("t3", "z", "never-exported", "C", "op", 2.0, 5e3, "OK", 200),
    ])
    tree = build_span_tree(Spans.from_columns(data))
    assert tree.parent.tolist() == [-1, 0, -1, 2, -1]
    assert tree.error.tolist() == [False, False, False, True, False]
    assert service_call_graph(data) == {"A": {"B", "C"}, "B": set(), "C": set()}


def test_numpy_columns_are_accepted() -> None:
    result = analyse_traces({k: np.asarray(v) for k, v in chain(50, slow="C").items()}, ONSET)
    assert result.graph["A"] == {"B"}


def test_missing_column_is_named() -> None:
    data = chain(5)
    del data["duration_us"]
    with pytest.raises(ValueError, match="duration_us"):
        analyse_traces(data, ONSET)


def test_onset_outside_the_data_gives_the_graph_but_no_findings() -> None:
    result = analyse_traces(chain(50, slow="C"), 10_000.0)
    assert result.findings == [] and result.graph["B"] == {"C"}
    assert result.services["C"].after.requests == 0 and result.services["C"].before.requests == 50
