"""What a tool contributes besides findings reaches the run: every typed effect on a
ToolResult is merged by the run state, and the runbooks a run retrieves are the ones the
diagnosis cites."""

from __future__ import annotations

import dataclasses

from aiops.agent.events import PlannedStep
from aiops.agent.session import investigate
from aiops.agent.state import RunState, StepRecord
from aiops.domain import Finding
from aiops.kb.knowledge_base import Hit
from aiops.tooling import Reattribution, ToolResult

NOT_EFFECTS = {"status", "summary", "query", "findings", "data", "truncated"}


def _hit(source: str) -> Hit:
    return Hit(title=source, source=source, section="", score=0.9, text="a runbook", tags=(), faults=())


def _merge(state: RunState, **effects) -> RunState:
    step = PlannedStep("r1-1", "some.tool")
    state.merge(StepRecord(step, 1, ToolResult("ok", "done", **effects), 0.1))
    return state


# One example per effect, and what the run state must show after merging it.
EFFECTS = {
    "graph": ({"checkout": ("payment",)}, lambda s: s.graph.get("checkout") == {"payment"}),
    "inferred": ({"inventory": ("postgres",)}, lambda s: s.inferred.get("inventory") == {"postgres"}),
    "runbook_hits": ([_hit("runbooks/pool.md")], lambda s: [h.source for h in s.runbook_hits] == ["runbooks/pool.md"]),
    "reattributions": ([Reattribution("frontend", "checkout", "it waits on checkout")],
                       lambda s: "checkout" in s.graph.get("frontend", set())),
    "timed": (("orders-db",), lambda s: "orders-db" in s.timed),
}


def test_every_effect_a_tool_result_can_carry_is_merged_into_the_run(state):
    effects = {f.name for f in dataclasses.fields(ToolResult)} - NOT_EFFECTS
    assert effects == set(EFFECTS), "a new ToolResult effect needs RunState.merge and an example here"
    for name, (value, shows) in EFFECTS.items():
        fresh = RunState.start(state.incident, state.store, state.settings)
        assert not shows(fresh), name
        assert shows(_merge(fresh, **{name: value})), f"{name} was dropped by RunState.merge"


def test_a_reattribution_turns_the_services_own_trace_latency_into_an_inherited_symptom(state):
    own = Finding("trace", "frontend", "self_time", 0.8, "frontend's own time up", tags=("latency", "own"))
    state.findings.append(own)
    _merge(state, reattributions=[Reattribution("frontend", "checkout", "it waits on checkout")])
    [moved] = state.findings
    assert "inherited" in moved.tags and "own" not in moved.tags and moved.score < own.score
    assert moved.summary.endswith("it waits on checkout")


def test_the_same_runbook_found_twice_is_kept_once(state):
    _merge(state, runbook_hits=[_hit("a.md"), _hit("b.md")])
    _merge(state, runbook_hits=[_hit("b.md"), _hit("c.md")])
    assert [h.source for h in state.runbook_hits] == ["a.md", "b.md", "c.md"]


def test_the_runbooks_a_run_retrieves_are_kept_and_cited(demo, settings):
    answer = list(investigate(demo.incident, demo.store, settings))[-1]
    state = answer.followup.state
    searches = [r.result for r in state.records if r.step.tool == "knowledge.search" and r.result.status == "ok"]
    assert searches, "the demo run looks the symptom up in the runbooks"
    retrieved = [h.source for res in searches for h in res.runbook_hits]
    assert retrieved and [h.source for h in state.runbook_hits] == list(dict.fromkeys(retrieved))
    cited = {r.source for r in answer.diagnosis.runbooks}
    assert searches[0].runbook_hits[0].source in cited       # the symptom's best runbook is in the report


def test_every_effect_of_every_step_of_a_real_run_is_in_its_state(demo, settings):
    state = list(investigate(demo.incident, demo.store, settings))[-1].followup.state
    seen = {"graph": 0, "inferred": 0, "runbook_hits": 0}
    for record in state.records:
        res = record.result
        for caller, callees in res.graph.items():
            seen["graph"] += 1
            assert set(callees) <= state.graph[caller]
        for service, named in res.inferred.items():
            seen["inferred"] += 1
            assert set(named) <= state.inferred[service]
        for hit in res.runbook_hits:
            seen["runbook_hits"] += 1
            assert hit.source in {h.source for h in state.runbook_hits}
        for moved in res.reattributions:
            assert moved.to in state.graph[moved.service]
    assert all(seen.values()), seen      # the demo exercises the traced graph, named dependencies, runbooks
