"""The reflector's second look: when suspects are close it plans more checks, and what those
checks find can change the answer. The datastore check links slow clients to the database
that got into trouble first, which no error line names."""

from __future__ import annotations

from aiops.agent.events import Answer, Reflection, ToolResultEvent
from aiops.agent.session import diagnose
from aiops.config import load_settings
from aiops.domain import Finding
from aiops.simulator.bundle import corpus_plan, simulate, write_incident
from aiops.tooling.datastores import metrics_datastores

ONSET = 1731960440.0    # the demo's onset (2024-11-18T20:07:20Z)


def _finding(service, signal, onset, kind="metric", tags=("latency",), direction=1, score=0.9):
    return Finding(kind, service, signal, score, f"{signal} on {service} up", onset=onset, direction=direction,
                   tags=tags)


def _run(state, *findings):
    state.findings = list(findings)
    return metrics_datastores(state.context(), {"service": "inventory", "limit": 8})


def test_a_datastore_in_trouble_first_becomes_a_dependency_of_the_waiting_client(state):
    res = _run(state, _finding("inventory", "latency_p90_seconds", ONSET),
               _finding("postgres", "pg_stat_activity_max_tx_duration", ONSET - 120))
    assert res.status == "ok"
    assert res.data["datastores"]["postgres"] == ["PostgreSQL"]    # found by its exporter's metrics
    assert res.inferred == {"inventory": ("postgres",)}
    assert "inferred: inventory depends on postgres" in res.summary


def test_trouble_after_the_client_or_a_traffic_drop_links_nothing(state):
    later = _run(state, _finding("inventory", "latency_p90_seconds", ONSET),
                 _finding("postgres", "pg_stat_activity_max_tx_duration", ONSET + 200))
    assert not later.inferred and "not before the client" in later.summary
    drop = _run(state, _finding("inventory", "latency_p90_seconds", ONSET),
                _finding("postgres", "pg_stat_database_xact_commit", ONSET - 60, tags=("other",), direction=-1))
    assert not drop.inferred
    idle = _run(state, _finding("postgres", "pg_stat_activity_max_tx_duration", ONSET - 60))
    assert not idle.inferred and "not waiting" in idle.summary


def test_the_second_look_turns_the_answer_to_the_slow_database(tmp_path):
    # Evaluation corpus seed 1, case 23 (docs/analytics.md): postgres made slow, no traces.
    # Round one ranks its two clients first (order, inventory: slow, pools filling; no error
    # line names postgres); the datastore check in the second look finds postgres' new slow
    # statement log lines starting with them, and the answer changes.
    kind, topology, seed = corpus_plan(60, seed=1)[22]
    write_incident(simulate(kind, seed, topology), tmp_path / "case")
    events = list(diagnose(tmp_path / "case", load_settings(None, env={})))
    reflections = [e for e in events if isinstance(e, Reflection)]
    assert [r.decision for r in reflections] == ["replan", "answer"]
    first = [h.service for h in reflections[0].hypotheses]
    assert first[0] in ("order", "inventory") and first.index("postgres") > 1
    looks = [e for e in events if isinstance(e, ToolResultEvent) and e.step.tool == "metrics.datastores"]
    assert looks and all(e.round == 2 for e in looks)
    assert any("depends on postgres" in e.summary for e in looks)
    answer = events[-1]
    assert isinstance(answer, Answer) and answer.diagnosis.root_causes[0].service == "postgres"
