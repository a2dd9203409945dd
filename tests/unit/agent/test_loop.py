"""The plan -> execute -> reflect loop with the offline reasoner."""

from __future__ import annotations

from aiops.agent.events import Answer, FindingMade, PlanMade, Reflection, RunStarted, StepStarted, ToolResultEvent
from aiops.agent.session import investigate
from aiops.tooling import FunctionTool, ToolResult, ToolSpec, default_registry


def _events(demo, settings, **kw):
    return list(investigate(demo.incident, demo.store, settings, **kw))


def test_a_run_yields_typed_events_and_ends_with_an_answer(demo, settings):
    events = _events(demo, settings)
    assert isinstance(events[0], RunStarted) and isinstance(events[-1], Answer)
    assert isinstance(events[1], PlanMade) and events[1].round == 1
    tools = [s.tool for s in events[1].steps]
    assert tools[:4] == ["metrics.scan", "logs.scan", "traces.scan", "changes.scan"]
    started = {e.step.id for e in events if isinstance(e, StepStarted)}
    results = {e.step.id for e in events if isinstance(e, ToolResultEvent)}
    assert started == results and started
    assert any(isinstance(e, FindingMade) for e in events)
    refl = [e for e in events if isinstance(e, Reflection)]
    assert refl and refl[-1].decision == "answer"
    d = events[-1].diagnosis
    assert d.reasoner == "offline" and d.root_causes[0].service == "inventory"
    assert d.root_causes[0].fault == "connection_pool_exhaustion"
    assert any(e.kind == "knowledge" and "connection-pool-exhaustion" in e.summary for e in d.root_causes[0].evidence)
    assert d.runbooks and d.runbooks[0].source == "knowledge/db-connection-pool-exhaustion.md"
    assert any("pool" in r for r in d.remediation)


def test_the_same_incident_gives_the_same_answer(demo, settings):
    a = _events(demo, settings)[-1].diagnosis
    b = _events(demo, settings)[-1].diagnosis
    assert [(r.service, r.fault, r.confidence) for r in a.root_causes] == \
        [(r.service, r.fault, r.confidence) for r in b.root_causes]


def test_a_failing_tool_is_named_as_missing_evidence_and_the_diagnosis_still_comes(demo, settings):
    registry = default_registry(settings)
    registry.register(FunctionTool(ToolSpec("logs.scan", "A log scan whose backend is down (test double).",
                                            specialist="logs"),
                                   lambda ctx, args: ToolResult("error", "loki 'main': HTTP 503")), replace=True)
    d = _events(demo, settings, registry=registry)[-1].diagnosis
    assert "logs.scan: loki 'main': HTTP 503" in d.missing_evidence
    assert d.root_causes and len(d.root_causes) >= 5


def test_the_step_budget_cuts_the_plan_and_says_what_was_skipped(demo, settings):
    settings.diagnose.max_steps = 2
    events = _events(demo, settings)
    ran = [e for e in events if isinstance(e, ToolResultEvent)]
    assert len(ran) == 2
    d = events[-1].diagnosis
    assert any("skipped, the step budget (diagnose.max_steps) ran out" in m and "traces.scan" in m
               for m in d.missing_evidence)
    assert d.root_causes   # it still answers with what it has


def test_a_hanging_tool_times_out_and_the_run_still_answers(demo, settings):
    import threading

    gate = threading.Event()
    registry = default_registry(settings)
    registry.register(FunctionTool(ToolSpec("traces.scan", "A trace scan that hangs (test double).",
                                            specialist="traces"),
                                   lambda ctx, args: ToolResult("ok", "late") if gate.wait(30) else
                                   ToolResult("error", "")), replace=True)
    settings.diagnose.tool_timeout_s = 5.0     # the real scans take ~1 s; the double never returns
    try:
        d = _events(demo, settings, registry=registry)[-1].diagnosis
    finally:
        gate.set()
    assert "traces.scan: timed out after 5 s" in d.missing_evidence
    assert d.root_causes[0].service == "inventory"
