"""Evidence gathering for one investigation: each step reads one signal from the store,
hands it to the analytics, and returns compact findings (never raw series)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from aiops.config import Settings
from aiops.domain import Finding, Incident


@dataclass
class StepResult:
    status: str                      # ok | no_data | error | denied
    summary: str
    findings: list[Finding] = field(default_factory=list)


@dataclass
class Investigation:
    incident: Incident
    store: object                    # aiops.telemetry.store.TelemetryStore
    settings: Settings
    baseline_end: float
    onset: float | None
    services: list[str]
    findings: list[Finding] = field(default_factory=list)
    graph: dict[str, set[str]] = field(default_factory=dict)        # caller -> callees, from traces
    inferred: dict[str, set[str]] = field(default_factory=dict)     # emitter -> services its errors name
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @classmethod
    def start(cls, incident: Incident, store: object, settings: Settings) -> "Investigation":
        w = incident.window
        frac = settings.analytics.baseline_fraction
        baseline_end = w.start + frac * w.seconds
        onset = incident.started_at if incident.started_at is not None and w.contains(incident.started_at) else None
        if onset is not None:
            # The culprit often moves before the symptom the alert saw: end the baseline a
            # little earlier, but keep at least 30 % of the pre-onset data as baseline.
            pre = onset - w.start
            baseline_end = w.start + max(0.3 * pre, pre - 120.0)
        return cls(incident=incident, store=store, settings=settings, baseline_end=baseline_end,
                   onset=onset, services=list(store.services()))

    def add(self, findings: list[Finding]) -> list[Finding]:
        self.findings.extend(findings)
        return findings

    def failed(self, step: str, reason: str) -> StepResult:
        self.missing.append(f"{step}: {reason}")
        return StepResult("error", reason)

    def rank(self):
        from aiops.analytics.ranking import rank_candidates

        return rank_candidates(self.findings, self.services, self.graph, self.onset or self.baseline_end,
                               inferred=self.inferred)


def metrics_step(inv: Investigation) -> StepResult:
    from aiops.agent.metric_evidence import metric_findings

    return metric_findings(inv)


def logs_step(inv: Investigation) -> StepResult:
    from aiops.agent.log_evidence import log_findings

    return log_findings(inv)


def traces_step(inv: Investigation) -> StepResult:
    from aiops.agent.trace_evidence import trace_findings

    return trace_findings(inv)


def changes_step(inv: Investigation) -> StepResult:
    from aiops.analytics.changes import analyse_events

    w = inv.incident.window
    events = inv.store.events(w.start - 3600, w.end)
    if not events:
        return StepResult("no_data", "no change or cluster events")
    found = inv.add(analyse_events(events, inv.onset or inv.baseline_end, inv.baseline_end))
    return StepResult("ok", f"{len(events)} events, {len(found)} relevant", found)


STEPS: list[tuple[str, Callable[[Investigation], StepResult]]] = [
    ("metrics", metrics_step),
    ("logs", logs_step),
    ("traces", traces_step),
    ("changes", changes_step),
]
