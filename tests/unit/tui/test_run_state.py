"""Folding agent events into what the TUI shows: rounds, out-of-order steps, unknown events."""

from __future__ import annotations

from aiops.agent.events import FindingMade, PlannedStep, StepStarted, ToolResultEvent
from aiops.domain import Finding
from aiops.tui.run_state import RunState

from .scripted import BlockingRun


def fold(events) -> RunState:
    state = RunState()
    for e in events:
        state.apply(e)
    return state


def test_a_multi_round_run_keeps_each_round_and_its_steps():
    state = fold(BlockingRun(block=False)())
    assert sorted(state.rounds) == [1, 2]
    assert [s.step.id for s in state.steps_of(1)] == ["r1-1", "r1-2"]
    assert [s.step.id for s in state.steps_of(2)] == ["r2-1"]
    assert state.rounds[1].reflection.decision == "replan"
    assert state.rounds[1].playbooks == ("error-burst",)
    assert state.progress() == (3, 3)
    assert [r.service for r in state.ranked] == ["db", "orders", "cart"]   # the answer's ranking wins
    assert state.diagnosis is not None and state.run_id == "scripted1"


def test_steps_finishing_out_of_order_keep_their_own_results():
    state = fold(BlockingRun(block=False)())
    assert state.steps["r1-1"].state == "error" and state.steps["r1-1"].summary == "prometheus timed out"
    assert state.steps["r1-2"].state == "ok" and state.steps["r1-2"].findings == 1
    results = [e.step_id for e in state.log if e.kind == "result"]
    assert results == ["r1-2", "r1-1", "r2-1"]
    started = next(e.text for e in state.log if e.kind == "start")
    assert started == "r1-1 metrics.scan (service=db window=30m) started — which series moved first"


def test_a_late_start_event_does_not_send_a_finished_step_back_to_running():
    step = PlannedStep("r1-9", "changes.recent")
    state = fold([ToolResultEvent(step, "no_data", "no events"), StepStarted(step)])
    assert state.steps["r1-9"].state == "no_data"
    assert state.rounds[1].step_ids == ["r1-9"]     # created though no plan announced it


def test_unknown_events_are_ignored_and_counted():
    state = fold(BlockingRun(block=False)())
    assert state.ignored_events == 1
    assert all("future" not in e.text for e in state.log)


def test_a_finding_for_an_unannounced_step_creates_it():
    state = fold([FindingMade(Finding("metric", "api", "cpu", 0.7, "cpu up"), step_id="x-1")])
    assert state.steps["x-1"].findings == 1
    assert state.findings_for("api")[0].summary == "cpu up"


def test_a_flood_of_findings_is_counted_but_not_all_logged():
    from aiops.tui.run_state import LOGGED_FINDINGS

    state = fold([FindingMade(Finding("metric", "api", f"m{i}", 0.5, f"finding {i}"), step_id="r1-1")
                  for i in range(500)])
    assert state.steps["r1-1"].findings == 500 and len(state.findings) == 500
    logged = [e for e in state.log if e.kind == "finding"]
    assert len(logged) == LOGGED_FINDINGS + 1 and "more findings from r1-1" in logged[-1].text
