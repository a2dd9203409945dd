"""The investigation loop: plan -> execute -> reflect, as a generator of events (habit 6).

    for event in run_loop(state, registry, reasoner, trace, budgets, t0):
        ...                         # RunStarted, PlanMade, StepStarted, ToolResultEvent,
                                    # FindingMade, Reflection ... Answer (always last)

The run is assembled elsewhere (aiops.agent.session); this module only loops. Budgets:
tool calls (diagnose.max_steps), rounds (diagnose.max_rounds), wall time
(diagnose.max_wall_s), and for a model the run's tokens and cost (enforced by the
gateway). When one runs out the agent answers with what it has and names, as missing
evidence, what it could not check. The answer itself never calls a tool.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Iterator

from aiops.agent.answer import build_diagnosis
from aiops.agent.events import (
    Answer, Event, FindingMade, PlanMade, Reflection, RunStarted, StepStarted, ToolResultEvent,
)
from aiops.agent.executor import execute
from aiops.agent.followup import FollowUp
from aiops.agent.reasoners.base import Plan, Reasoner, Verdict
from aiops.agent.run_trace import RunTrace
from aiops.agent.state import RunState
from aiops.config import Settings
from aiops.tooling import ToolRegistry


@dataclass(frozen=True)
class Budgets:
    max_steps: int               # tool calls over all rounds
    max_rounds: int
    deadline: float              # time.monotonic() at which the run must answer
    tool_timeout_s: float        # per tool call

    @classmethod
    def from_settings(cls, settings: Settings) -> "Budgets":
        """The [diagnose] budgets; the wall-time budget starts now."""
        cfg = settings.diagnose
        return cls(cfg.max_steps, cfg.max_rounds, time.monotonic() + cfg.max_wall_s, cfg.tool_timeout_s)


def _plan(trace: RunTrace, reasoner: Reasoner, state: RunState, round_no: int, last: Verdict | None, left: int) -> Plan:
    with trace.planning(round_no) as span:
        plan = reasoner.plan(state, round_no, last, left)
        trace.planned(span, plan)
    return plan


def _reflect(trace: RunTrace, reasoner: Reasoner, state: RunState, round_no: int, must_answer: bool) -> Verdict:
    with trace.reflecting(round_no, must_answer) as span:
        verdict = reasoner.reflect(state, round_no, must_answer=must_answer)
        trace.reflected(span, verdict)
    return verdict


def _note_unchecked(state: RunState, verdict: Verdict, cfg: Budgets) -> None:
    """The run must answer before it was sure: say which budget and what stays unchecked."""
    why = "step budget (diagnose.max_steps)" if state.tool_calls >= cfg.max_steps else \
        "wall-time budget (diagnose.max_wall_s)" if state.round < cfg.max_rounds else "round budget (diagnose.max_rounds)"
    verdict.decision = "budget"
    if verdict.suspects:
        state.missing.append(f"a closer look at {', '.join(verdict.suspects)}: skipped, the {why} ran out")
    else:
        state.missing.append(f"the {why} ran out before the investigation was done")


def run_loop(state: RunState, registry: ToolRegistry, reasoner: Reasoner, trace: RunTrace, budgets: Budgets,
             t0: float) -> Iterator[Event]:
    """Plan, execute and reflect until the reasoner answers or a budget runs out; the last
    event is the `Answer`. `t0` (time.perf_counter) is when the run was asked for."""
    cfg, deadline = budgets, budgets.deadline
    versions = reasoner.prompt_versions
    trace.start(state.run_id, state.incident, reasoner.label, versions)
    verdict: Verdict | None = None
    try:
        yield RunStarted(run_id=state.run_id, incident_title=state.incident.title, reasoner=reasoner.name,
                         trace_id=trace.trace_id, prompt_versions=versions)
        for round_no in range(1, cfg.max_rounds + 1):
            state.round = round_no
            left = cfg.max_steps - state.tool_calls
            if left <= 0 or time.monotonic() >= deadline:
                break
            trace.begin_round(round_no)
            plan = _plan(trace, reasoner, state, round_no, verdict, left)
            if not plan.steps:   # nothing more worth checking: answer with what we have
                if verdict is not None and verdict.decision == "replan":
                    verdict = _reflect(trace, reasoner, state, round_no - 1, must_answer=True)
                    yield Reflection(round_no - 1, verdict.summary, verdict.confident, verdict.decision,
                                     tuple(verdict.hypotheses))
                break
            if plan.dropped:
                state.missing.append(f"{', '.join(plan.dropped)}: skipped, the step budget (diagnose.max_steps) "
                                     "ran out")
            yield PlanMade(round_no, tuple(plan.steps), tuple(plan.hypotheses), reasoner.name, tuple(plan.playbooks))
            for step in plan.steps:
                yield StepStarted(step, round_no)
            finished = {}
            step_spans = trace.steps(round_no)
            for fin in execute(registry, state, plan.steps, round_no, cfg.tool_timeout_s, deadline, spans=step_spans):
                step_spans.finished(fin.index, fin.record)
                finished[fin.index] = fin.record
                r = fin.record
                yield ToolResultEvent(r.step, r.result.status, r.result.summary, r.result.query, r.duration_s, round_no)
            for i in sorted(finished):
                state.merge(finished[i])
                for f in finished[i].result.findings:
                    yield FindingMade(f, finished[i].step.id)
            out_of_budget = (round_no == cfg.max_rounds or state.tool_calls >= cfg.max_steps
                             or time.monotonic() >= deadline)
            verdict = _reflect(trace, reasoner, state, round_no, must_answer=out_of_budget)
            if out_of_budget and not verdict.confident and verdict.suspects:
                _note_unchecked(state, verdict, cfg)
            yield Reflection(round_no, verdict.summary, verdict.confident, verdict.decision, tuple(verdict.hypotheses))
            if verdict.decision != "replan":
                break
        if verdict is None or verdict.decision == "replan":
            # a budget ended the loop before the reflector was done: answer with what we have
            verdict = _reflect(trace, reasoner, state, max(state.round, 1), must_answer=True)
            _note_unchecked(state, verdict, cfg)
            yield Reflection(state.round, verdict.summary, verdict.confident, verdict.decision,
                             tuple(verdict.hypotheses))
        with trace.answering():
            diagnosis = build_diagnosis(state, verdict, reasoner=reasoner.label, duration_s=time.perf_counter() - t0,
                                        usage=reasoner.usage)
        diagnosis = dataclasses.replace(diagnosis, trace_id=trace.trace_id, prompt_versions=versions)
        trace.finish(diagnosis)
    except BaseException as exc:   # a bug or an interrupt: the trace says the run failed
        trace.fail(exc)
        raise
    yield Answer(diagnosis, followup=FollowUp(state, registry, diagnosis, reasoner))
