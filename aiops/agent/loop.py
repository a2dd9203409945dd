"""The investigation loop: plan -> execute -> reflect, as a generator of events (habit 6).

    for event in run_investigation(incident, store, settings):
        ...                         # RunStarted, PlanMade, StepStarted, ToolResultEvent,
                                    # FindingMade, Reflection ... Answer (always last)

Budgets: tool calls (diagnose.max_steps), rounds (diagnose.max_rounds), wall time
(diagnose.max_wall_s), and for a model the run's tokens and cost (enforced by the
gateway). When one runs out the agent answers with what it has and names, as missing
evidence, what it could not check. The answer itself never calls a tool.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from typing import Any, Callable, Iterator

from aiops.agent.answer import build_diagnosis
from aiops.agent.events import (
    Answer, Event, FindingMade, PlanMade, Reflection, RunStarted, StepStarted, ToolResultEvent,
)
from aiops.agent.executor import execute
from aiops.agent.reasoners.base import Plan, Reasoner, Verdict
from aiops.agent.run_trace import RunTrace, redactor_for, resolve_tracer_provider
from aiops.agent.state import RunState
from aiops.config import Settings
from aiops.domain import Incident, Usage
from aiops.tooling import ToolRegistry


def build_registry(settings: Settings) -> ToolRegistry:
    """Every tool of a run: evidence scans, data tools, tools/*.yaml, plug-ins."""
    from aiops.agent.evidence_tools import register_evidence_tools
    from aiops.tooling import default_registry

    registry = default_registry(settings)
    register_evidence_tools(registry)
    return registry


class KbOpener:
    """Opens the knowledge base on first use, once per run, from any executor thread."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._kb: Any = None
        self._lock = threading.Lock()
        self.failed = ""
        self.wrap: Callable[[Any], Any] = lambda kb: kb     # the run's trace adds retrieval spans

    def __call__(self) -> Any:
        with self._lock:
            if self._kb is None and not self.failed:
                from aiops.kb.builtin import open_default_kb

                try:
                    self._kb = self.wrap(open_default_kb(self.settings))
                except Exception as exc:  # noqa: BLE001 - runbooks help; their absence is a note
                    self.failed = f"{type(exc).__name__}: {exc}"
            return self._kb

    def close(self) -> None:
        with self._lock:
            if self._kb is not None:
                self._kb.close()
                self._kb = None


def choose_reasoner(settings: Settings, registry: ToolRegistry, playbooks: list, gateway: Any = None, *,
                    run_id: str = "", incident: Incident | None = None, tracer_provider: Any = None) -> Reasoner:
    """offline unless a model is configured (auto) or asked for (llm); the LLM reasoner reads
    the prompt versions assigned to this run ([prompts], aiops.agent.prompt_rollout)."""
    from aiops.agent.reasoners.offline import OfflineReasoner
    from aiops.errors import ConfigError

    offline = OfflineReasoner(registry, playbooks)
    mode = settings.diagnose.reasoner
    if mode == "offline" or (mode == "auto" and not settings.models.planner and gateway is None):
        return offline
    if not settings.models.planner and gateway is None:
        raise ConfigError("diagnose.reasoner = 'llm' needs a model: set models.planner (e.g. \"openai/gpt-4o-mini\")")
    from aiops.agent.prompt_rollout import prompts_for_run
    from aiops.agent.reasoners.llm import LlmReasoner

    return LlmReasoner(settings, registry, offline, gateway=gateway, prompts=prompts_for_run(settings, run_id, incident),
                       tracer_provider=tracer_provider)


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


def _note_unchecked(state: RunState, verdict: Verdict, cfg: Any) -> None:
    """The run must answer before it was sure: say which budget and what stays unchecked."""
    why = "step budget (diagnose.max_steps)" if state.tool_calls >= cfg.max_steps else \
        "wall-time budget (diagnose.max_wall_s)" if state.round < cfg.max_rounds else "round budget (diagnose.max_rounds)"
    verdict.decision = "budget"
    if verdict.suspects:
        state.missing.append(f"a closer look at {', '.join(verdict.suspects)}: skipped, the {why} ran out")
    else:
        state.missing.append(f"the {why} ran out before the investigation was done")


def run_investigation(
    incident: Incident,
    store: Any,
    settings: Settings,
    *,
    run_id: str | None = None,
    notes: list[str] | None = None,
    missing: list[str] | None = None,
    sources: dict[str, dict[str, Any]] | None = None,
    registry: ToolRegistry | None = None,
    reasoner: Reasoner | None = None,
    gateway: Any = None,
    tracer_provider: Any = None,
    t0: float | None = None,
) -> Iterator[Event]:
    from aiops.agent.playbooks import default_playbooks

    t0 = time.perf_counter() if t0 is None else t0
    cfg = settings.diagnose
    deadline = time.monotonic() + cfg.max_wall_s
    kb = KbOpener(settings)
    state = RunState.start(incident, store, settings, run_id=run_id or uuid.uuid4().hex[:12], kb_opener=kb,
                           sources=sources or {})
    state.notes.extend(notes or [])
    state.missing.extend(missing or [])
    registry = registry or build_registry(settings)
    state.notes.extend(f"tool not loaded: {p}" for p in registry.problems)
    playbooks, problems = default_playbooks(settings)
    state.notes.extend(f"playbook not loaded: {p}" for p in problems)
    provider = resolve_tracer_provider(tracer_provider)
    reasoner = reasoner or choose_reasoner(settings, registry, playbooks, gateway, run_id=state.run_id,
                                           incident=incident, tracer_provider=provider)
    versions = dict(getattr(getattr(reasoner, "prompts", None), "assigned", None) or {})
    trace = RunTrace(provider, redactor_for(settings, reasoner))
    trace.start(state.run_id, incident, getattr(reasoner, "label", reasoner.name), versions)
    kb.wrap = trace.knowledge_base

    verdict: Verdict | None = None
    try:
        yield RunStarted(run_id=state.run_id, incident_title=incident.title, reasoner=reasoner.name,
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
        usage = getattr(reasoner, "usage", Usage())
        label = getattr(reasoner, "label", reasoner.name)
        with trace.answering():
            diagnosis = build_diagnosis(state, verdict, reasoner=label, duration_s=time.perf_counter() - t0, usage=usage)
        diagnosis = dataclasses.replace(diagnosis, trace_id=trace.trace_id, prompt_versions=versions)
        trace.finish(diagnosis)
    except BaseException as exc:   # a bug or an interrupt: the trace says the run failed
        trace.fail(exc)
        raise
    finally:
        kb.close()
    from aiops.agent.followup import FollowUp

    yield Answer(diagnosis, followup=FollowUp(state, registry, diagnosis, reasoner))
