"""What the TUI knows about a run: the events of `aiops.agent.events` folded into plain state.

No textual here, so the folding is tested on its own. `RunState.apply(event)` returns the
parts of the screen that changed. It is written for the loop the integrator grows:

- several rounds, each with its own plan; steps are keyed by their id across rounds;
- steps of one round may run concurrently and finish in any order: a result never
  goes back to "running" when its (late) start event arrives, and a result or a finding
  for a step no plan announced creates that step;
- event types it does not know are ignored (the event contract may grow).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiops.agent.events import (
    Answer, FindingMade, PlanMade, PlannedStep, Reflection, RunStarted, StepStarted, ToolResultEvent,
)
from aiops.domain import Diagnosis, Evidence, Finding

FINISHED = frozenset({"ok", "no_data", "error", "denied"})
LOGGED_FINDINGS = 20   # per step; the rest are counted in the plan and shown on the evidence screens


@dataclass
class StepView:
    step: PlannedStep
    round: int
    state: str = "planned"           # planned | running | ok | no_data | error | denied
    summary: str = ""
    query: str = ""
    duration_s: float = 0.0
    findings: int = 0

    @property
    def finished(self) -> bool:
        return self.state in FINISHED


@dataclass
class RoundView:
    number: int
    step_ids: list[str] = field(default_factory=list)
    hypotheses: tuple[str, ...] = ()
    playbooks: tuple[str, ...] = ()
    reasoner: str = ""
    reflection: Reflection | None = None


@dataclass(frozen=True)
class RankedView:
    """One ranked hypothesis as the list shows it: from a Reflection, or from the answer."""

    rank: int
    service: str
    fault: str
    confidence: float
    summary: str = ""
    component: str = ""
    status: str = "open"
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class LogEntry:
    kind: str                        # run | plan | start | result | finding | reflection | answer | error
    text: str
    status: str = ""                 # the tool status for results
    step_id: str = ""
    detail: str = ""                 # e.g. the query a tool ran


@dataclass
class RunState:
    run_id: str = ""
    title: str = ""
    reasoner: str = ""
    rounds: dict[int, RoundView] = field(default_factory=dict)
    steps: dict[str, StepView] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    ranked: list[RankedView] = field(default_factory=list)
    diagnosis: Diagnosis | None = None
    log: list[LogEntry] = field(default_factory=list)
    failure: str = ""
    ignored_events: int = 0
    followup: Any = None          # aiops.agent.followup.FollowUp of the answered run

    # -- folding ----------------------------------------------------------------------
    def apply(self, event: object) -> set[str]:
        """Fold one event in; returns what changed: plan, log, ranked, status."""
        handler = _HANDLERS.get(type(event))
        if handler is None:
            self.ignored_events += 1
            return set()
        return handler(self, event)

    def fail(self, reason: str) -> set[str]:
        self.failure = reason
        self.log.append(LogEntry("error", f"investigation failed: {reason}", status="error"))
        return {"log", "status"}

    # -- queries ----------------------------------------------------------------------
    @property
    def current_round(self) -> int:
        return max(self.rounds, default=0)

    def steps_of(self, number: int) -> list[StepView]:
        rnd = self.rounds.get(number)
        return [self.steps[s] for s in rnd.step_ids] if rnd else []

    def running_steps(self) -> list[StepView]:
        return [s for s in self.steps.values() if s.state == "running"]

    def findings_for(self, service: str) -> list[Finding]:
        return [f for f in self.findings if f.service == service]

    def progress(self) -> tuple[int, int]:
        """(finished, total) steps over every round."""
        return sum(s.finished for s in self.steps.values()), len(self.steps)

    # -- handlers ---------------------------------------------------------------------
    def _run_started(self, e: RunStarted) -> set[str]:
        self.run_id, self.title, self.reasoner = e.run_id, e.incident_title, e.reasoner
        self.log.append(LogEntry("run", f"run {e.run_id} started ({e.reasoner}): {e.incident_title}"))
        return {"log", "status"}

    def _plan_made(self, e: PlanMade) -> set[str]:
        rnd = self._round(e.round)
        rnd.hypotheses, rnd.playbooks, rnd.reasoner = tuple(e.hypotheses), tuple(e.playbooks), e.reasoner
        for step in e.steps:
            self._step(step, e.round)
        via = f" (playbooks: {', '.join(e.playbooks)})" if e.playbooks else ""
        tools = ", ".join(s.tool for s in e.steps) or "no steps"
        self.log.append(LogEntry("plan", f"round {e.round} plan{via}: {tools}"))
        for h in e.hypotheses:
            self.log.append(LogEntry("plan", f"  testing: {h}"))
        return {"plan", "log", "status"}

    def _step_started(self, e: StepStarted) -> set[str]:
        view = self._step(e.step, e.round)
        if not view.finished:
            view.state = "running"
        why = f" — {e.step.reason}" if e.step.reason else ""
        args = " ".join(f"{k}={v}" for k, v in e.step.args.items())
        args = f" ({args if len(args) <= 80 else args[:79] + '…'})" if args else ""
        self.log.append(LogEntry("start", f"{e.step.id} {e.step.tool}{args} started{why}", step_id=e.step.id))
        return {"plan", "log", "status"}

    def _tool_result(self, e: ToolResultEvent) -> set[str]:
        view = self._step(e.step, e.round)
        view.state, view.summary, view.query, view.duration_s = e.status, e.summary, e.query, e.duration_s
        self.log.append(LogEntry("result", f"{e.step.id} {e.step.tool} {e.status} in {e.duration_s:.2f} s: {e.summary}",
                                 status=e.status, step_id=e.step.id, detail=e.query))
        return {"plan", "log", "status"}

    def _finding(self, e: FindingMade) -> set[str]:
        self.findings.append(e.finding)
        seen = len(self.findings)
        if e.step_id:
            view = self.steps.get(e.step_id)
            if view is None:
                view = self._step(PlannedStep(id=e.step_id, tool=e.finding.kind), self.current_round or 1)
            view.findings += 1
            seen = view.findings
        f = e.finding
        if seen <= LOGGED_FINDINGS:
            self.log.append(LogEntry("finding", f"  {f.kind} · {f.service} · {f.score:.2f} · {f.summary}",
                                     step_id=e.step_id))
        elif seen == LOGGED_FINDINGS + 1:
            self.log.append(LogEntry("finding", f"  … more findings from {e.step_id or 'this run'}: counted in the "
                                                "plan, listed on each service's evidence screen", step_id=e.step_id))
        else:
            return {"plan", "status"}
        return {"plan", "log", "status"}

    def _reflection(self, e: Reflection) -> set[str]:
        self._round(e.round).reflection = e
        self.ranked = [RankedView(rank=i + 1, service=h.service, fault=h.fault, confidence=h.confidence,
                                  summary=h.summary, status=h.status, evidence=tuple(h.evidence))
                       for i, h in enumerate(e.hypotheses)]
        self.log.append(LogEntry("reflection", f"round {e.round} reflection → {e.decision}: {e.summary}"))
        return {"plan", "log", "ranked", "status"}

    def _answer(self, e: Answer) -> set[str]:
        self.set_diagnosis(e.diagnosis)
        self.followup = e.followup
        top = e.diagnosis.root_causes[0].service if e.diagnosis.root_causes else "no root cause"
        self.log.append(LogEntry("answer", f"answer: {top} ({len(e.diagnosis.root_causes)} ranked candidates, "
                                           f"{e.diagnosis.duration_s:.2f} s)"))
        return {"log", "ranked", "status"}

    def set_diagnosis(self, d: Diagnosis) -> None:
        self.diagnosis = d
        self.run_id = self.run_id or d.run_id
        self.title = self.title or d.incident.title
        self.reasoner = self.reasoner or d.reasoner
        self.ranked = [RankedView(rank=rc.rank, service=rc.service, fault=rc.fault, confidence=rc.confidence,
                                  summary=rc.summary, component=rc.component, evidence=tuple(rc.evidence))
                       for rc in d.root_causes]

    def _round(self, number: int) -> RoundView:
        if number not in self.rounds:
            self.rounds[number] = RoundView(number)
        return self.rounds[number]

    def _step(self, step: PlannedStep, number: int) -> StepView:
        view = self.steps.get(step.id)
        if view is None:
            view = self.steps[step.id] = StepView(step=step, round=number)
            self._round(number).step_ids.append(step.id)
        return view


_HANDLERS = {
    RunStarted: RunState._run_started,
    PlanMade: RunState._plan_made,
    StepStarted: RunState._step_started,
    ToolResultEvent: RunState._tool_result,
    FindingMade: RunState._finding,
    Reflection: RunState._reflection,
    Answer: RunState._answer,
}
