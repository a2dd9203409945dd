"""Scripted event sources for TUI tests: a multi-round run that can block mid-step."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from aiops.agent.events import (
    Answer, FindingMade, PlanMade, PlannedStep, Reflection, RunStarted, StepStarted, ToolResultEvent,
)
from aiops.domain import Diagnosis, Evidence, Finding, Hypothesis, Incident, RootCause, RunbookRef, TimeWindow

WINDOW = TimeWindow(1_700_000_000.0, 1_700_001_800.0)
INCIDENT = Incident(title="orders: error rate above SLO", window=WINDOW, started_at=WINDOW.start + 1200)


@dataclass(frozen=True)
class EventNobodyKnows:
    """An event type added to the contract later: consumers must ignore it."""

    detail: str = "from the future"


def diagnosis(run_id: str = "scripted1") -> Diagnosis:
    causes = (
        RootCause(1, "db", "pod/db-0", "resource_exhaustion", 0.81, "db: connection pool exhausted",
                  (Evidence("log", "new error log in db: pool timeout", ref="log_template:abc", at=WINDOW.start + 1190),)),
        RootCause(2, "orders", "", "error_burst", 0.34, "orders errors follow db",
                  (Evidence("trace", "orders: errors 0% -> 12%", at=WINDOW.start + 1210),)),
        RootCause(3, "cart", "", "latency", 0.05, "cart: slightly slower"),
    )
    return Diagnosis(incident=INCIDENT, root_causes=causes, remediation=("Raise the pool of db.",),
                     runbooks=(RunbookRef("Database connection pool exhaustion",
                                          "knowledge/db-connection-pool-exhaustion.md", 0.7),),
                     run_id=run_id, duration_s=0.5)


@dataclass
class BlockingRun:
    """Yields round 1, then blocks inside step r1-1 until `release` is set; steps finish out of order."""

    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    block: bool = True
    runs: int = 0

    def __call__(self):
        self.runs += 1
        return self._events(self.runs)

    def _events(self, n: int):
        s1 = PlannedStep("r1-1", "metrics.scan", args={"service": "db", "window": "30m"}, specialist="metrics",
                         reason="which series moved first")
        s2 = PlannedStep("r1-2", "logs.templates", specialist="logs", reason="new error templates")
        yield RunStarted(run_id=f"scripted{n}", incident_title=INCIDENT.title, reasoner="offline")
        yield PlanMade(round=1, steps=(s1, s2), hypotheses=("the service whose behaviour changed first",),
                       playbooks=("error-burst",))
        yield StepStarted(s1)
        yield StepStarted(s2)
        if self.block:
            self.reached.set()
            assert self.release.wait(timeout=60), "the test never released the source"
        yield ToolResultEvent(s2, "ok", "3 new error templates", query="templates(db)", duration_s=0.2)
        yield FindingMade(Finding("log", "db", "abc", 0.9, "new error log in db: pool timeout",
                                  onset=WINDOW.start + 1190, ref="log_template:abc", tags=("error", "new")), step_id="r1-2")
        yield EventNobodyKnows()
        yield ToolResultEvent(s1, "error", "prometheus timed out", duration_s=30.0)
        yield Reflection(round=1, summary="db leads, orders follows", confident=False, decision="replan",
                         hypotheses=(Hypothesis("db", "resource_exhaustion", 0.6), Hypothesis("orders", "error_burst", 0.3)))
        s3 = PlannedStep("r2-1", "traces.paths", specialist="traces", reason="is orders only a victim?")
        yield PlanMade(round=2, steps=(s3,), hypotheses=("db pool exhaustion",))
        yield StepStarted(s3, round=2)
        yield ToolResultEvent(s3, "ok", "orders errors all come from db calls", duration_s=0.1, round=2)
        yield Reflection(round=2, summary="db confirmed", confident=True, decision="answer",
                         hypotheses=(Hypothesis("db", "resource_exhaustion", 0.81),))
        yield Answer(diagnosis(f"scripted{n}"))
