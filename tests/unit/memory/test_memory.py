"""The incident memory: signatures, the store shared by processes, and the bounded term."""

from __future__ import annotations

import multiprocessing
from types import SimpleNamespace

import pytest

from aiops.analytics.candidates import Candidate
from aiops.config import load_settings
from aiops.domain import Finding, Incident, TimeWindow
from aiops.memory.recall import boosts, citation, overview
from aiops.memory.signature import Signature, signature_of, similarity
from aiops.memory.store import Cause, IncidentMemory, PastIncident, Recalled

INC = Incident("checkout slow", TimeWindow(0, 3600), 1800, {"alertname": "HighLatency", "service": "checkout",
                                                            "pod": "checkout-7d9-x2"})


def finding(service, kind="metric", signal="latency_p99_seconds", tags=("latency",), score=0.9):
    return Finding(kind, service, signal, score, f"{signal} on {service} up", tags=tags)


def test_signature_keeps_strong_evidence_and_stable_alert_labels():
    findings = [finding("payments", tags=("pool",), signal="hikaricp_connections_active"),
                Finding("log", "payments", "c8d721cf9736", 1.0, "new error log", tags=("error", "new", "own")),
                finding("ads", score=0.2)]
    sig = signature_of(INC, findings)
    assert sig.services == {"payments"}                      # ads is too weak to count
    assert {"metric:pool", "metric:hikaricp_connections_active", "log:error", "log:own"} <= sig.symptoms
    assert sig.templates == {"c8d721cf9736"}
    assert sig.alert == {"alertname=HighLatency", "service=checkout"}    # the pod differs per replica


def test_similarity_is_one_for_the_same_and_counts_only_facets_someone_has():
    a = Signature(frozenset({"payments"}), frozenset({"metric:pool"}), frozenset(), frozenset({"alertname=X"}))
    assert similarity(a, a) == 1.0
    b = Signature(frozenset({"payments"}), frozenset({"metric:cpu"}), frozenset(), frozenset({"alertname=X"}))
    assert similarity(a, b) == pytest.approx((0.3 + 0.0 + 0.2) / 0.8)   # templates: neither has any
    assert similarity(a, Signature()) == 0.0


def past(run_id, service="payments", fault="connection_pool_exhaustion", verdict="correct", ts=1.0):
    causes = (Cause(service, fault, 0.8),)
    return PastIncident(run_id, ts, "pool exhausted", Signature(), causes, verdict,
                        causes[0] if verdict == "correct" else None)


def test_the_boost_is_bounded_additive_and_needs_new_evidence_of_the_same_fault():
    recalled = [Recalled(past("r1"), 0.9), Recalled(past("r2"), 0.8), Recalled(past("r3", "cart", "memory_leak"), 0.7)]
    lift = boosts(recalled, [("payments", "connection_pool_exhaustion", 0.5), ("cart", "memory_leak", 0.05),
                             ("ads", "latency", 0.9)], max_boost=0.05)
    assert 0 < lift["payments"] <= 0.05
    assert "cart" not in lift, "no new evidence on cart: the memory alone never puts a service forward"
    assert "ads" not in lift, "nothing confirmed on ads: the memory never lowers or lifts it"
    assert boosts(recalled, [("payments", "cpu_saturation", 0.5)], 0.05) == {}, "another fault: no lift"
    assert all(v >= 0 for v in lift.values())


def test_words_say_how_often_and_what_was_confirmed():
    recalled = [Recalled(past("r1"), 0.9), Recalled(past("r2"), 0.8),
                Recalled(past("r3", verdict=""), 0.6)]
    line = overview(recalled)
    assert line.startswith("incident memory: seen 3 times before (most similar: run r1, 0.90")
    assert "twice confirmed: connection pool exhaustion on payments" in line and "1 without a verdict" in line
    assert citation(recalled, "payments", "connection_pool_exhaustion") == (
        "incident memory: seen 3 times; twice confirmed: connection pool exhaustion on payments "
        "(runs r1, r2; similarity 0.90)")
    assert citation(recalled, "cart", "") == ""


def _write(path, n):
    m = IncidentMemory(path)
    for i in range(n):
        m.remember(f"p{multiprocessing.current_process().pid}-{i}", "t", Signature(services=frozenset({"a"})),
                   [Cause("a", "x", 0.5)])


def test_processes_write_and_read_one_file_at_once_and_a_torn_line_is_skipped(tmp_path):
    path = tmp_path / "memory.jsonl"
    procs = [multiprocessing.get_context("fork").Process(target=_write, args=(path, 50)) for _ in range(3)]
    for p in procs:
        p.start()
    memory = IncidentMemory(path)
    while any(p.is_alive() for p in procs):
        memory.incidents()                                   # reading while they write never fails
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    with open(path, "a") as fh:
        fh.write('{"type": "incident", "run_id": "torn", "ti')  # a writer killed mid-line
    assert len(memory.incidents()) == 150
    memory.verdict("p-none", "correct")                      # appended after the torn line, still read
    assert [r["run_id"] for r in memory._records() if r["type"] == "verdict"] == ["p-none"]


def test_the_file_stays_bounded_keeping_the_newest_and_their_verdicts(tmp_path):
    memory = IncidentMemory(tmp_path / "memory.jsonl", max_incidents=40)
    for i in range(120):
        memory.remember(f"r{i:03d}", "t" * 300, Signature(services=frozenset({f"s{i}"})), [Cause("a", "x", 0.5)])
        if i == 119 or i == 100:
            memory.verdict(f"r{i:03d}", "correct")
    kept = memory.incidents()
    assert 40 <= len(kept) <= 50 and kept[-1].run_id == "r119"
    assert memory.get("r119").confirmed == Cause("a", "x", 0.5)


def _state(memory, findings, run_id="now"):
    settings = load_settings(env={})
    return SimpleNamespace(memory=memory, settings=settings, incident=INC, findings=findings, run_id=run_id)


def test_the_recall_step_lifts_a_near_tie_and_never_an_answer_without_evidence(tmp_path):
    from aiops.agent.recall import recall_memory

    memory = IncidentMemory(tmp_path / "memory.jsonl")
    findings = [finding("payments", tags=("pool",), signal="hikaricp_connections_active"), finding("checkout")]
    memory.remember("old1", "pool exhausted", signature_of(INC, findings), [Cause("payments", "resource_exhaustion", 0.7)])
    memory.verdict("old1", "correct")
    close = [Candidate("checkout", score=0.62, fault="latency"), Candidate("payments", score=0.60, fault="resource_exhaustion")]
    recall = recall_memory(_state(memory, findings), close, None)
    assert [c.service for c in recall.ranked] == ["payments", "checkout"]
    assert recall.boosts["payments"] <= 0.05
    assert "incident memory lifted payments" in recall.notes[-1]
    assert recall.evidence["payments"].summary.startswith("incident memory: seen once; once confirmed: "
                                                          "resource exhaustion on payments (run old1")
    clear = [Candidate("checkout", score=0.9, fault="latency"), Candidate("payments", score=0.3, fault="resource_exhaustion")]
    assert [c.service for c in recall_memory(_state(memory, findings), clear, None).ranked] == ["checkout", "payments"]
    silent = [Candidate("checkout", score=0.62, fault="latency"), Candidate("payments", score=0.0, fault="none")]
    again = recall_memory(_state(memory, findings), silent, None)
    assert [c.service for c in again.ranked] == ["checkout", "payments"] and again.boosts == {}
