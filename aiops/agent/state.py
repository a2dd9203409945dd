"""What one run knows so far: the evidence gathered, the calls made, what is missing.

Tools run concurrently but their results are merged here in plan order, so a run is
deterministic whatever order the tools finish in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from aiops.agent.events import PlannedStep
from aiops.analytics.baseline import split_window
from aiops.config import Settings
from aiops.domain import Finding, Incident, SourceRead
from aiops.telemetry.reader import TelemetryReader
from aiops.tooling import ToolContext, ToolResult

if TYPE_CHECKING:
    from aiops.kb.knowledge_base import Hit, KnowledgeBase


class KnowledgeBaseOpener(Protocol):
    """Opens the run's knowledge base on first use (aiops.agent.session.KbOpener)."""

    failed: str                     # why it could not be opened, "" when it could

    def __call__(self) -> "KnowledgeBase | None": ...


def measured_services(store: TelemetryReader) -> tuple[frozenset[str], frozenset[str]]:
    """(services whose requests are measured: latency or error series, or spans; services
    whose request time is measured: latency series or spans), from one read of the store."""
    from aiops.analytics.signals import signal_class

    rows = store.sql("SELECT DISTINCT service, metric FROM metrics WHERE service <> ''")
    classes = [(str(s), signal_class(str(m))) for s, m in zip(rows["service"], rows["metric"])]
    traced = {str(s) for s in store.sql("SELECT DISTINCT service FROM spans WHERE service <> ''")["service"]}
    return (frozenset({s for s, c in classes if c in ("latency", "errors")} | traced),
            frozenset({s for s, c in classes if c == "latency"} | traced))


def call_key(tool: str, args: dict[str, Any]) -> str:
    """Identity of a call: the same tool with the same arguments is the same call."""
    return tool + json.dumps(args, sort_keys=True, default=str)


@dataclass
class StepRecord:
    step: PlannedStep
    round: int
    result: ToolResult
    duration_s: float


@dataclass
class RunState:
    incident: Incident
    store: TelemetryReader | None
    settings: Settings
    baseline_end: float
    onset: float | None
    services: list[str]
    run_id: str = ""
    kb_opener: KnowledgeBaseOpener | None = None
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    graph: dict[str, set[str]] = field(default_factory=dict)      # caller -> callees, from traces
    inferred: dict[str, set[str]] = field(default_factory=dict)   # service -> dependencies named in errors or found
    records: list[StepRecord] = field(default_factory=list)
    peers_timed: set[str] = field(default_factory=set)            # untraced peers timed by callers' spans
    seen: dict[str, str] = field(default_factory=dict)            # call key -> step id that made it
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    runbook_hits: list[Hit] = field(default_factory=list)         # best first, one per source
    playbooks: dict[str, Any] = field(default_factory=dict)       # service -> matched Playbook
    source_reads: list[SourceRead] = field(default_factory=list)  # the sources read into the store
    reasoner_note: str = ""                                       # why the reasoner differs from the one asked for
    round: int = 0
    memory: Any = None                                            # aiops.memory.IncidentMemory, when the face keeps one
    _request_measures: tuple[frozenset[str], frozenset[str]] | None = field(default=None, repr=False)

    @classmethod
    def start(cls, incident: Incident, store: TelemetryReader | None, settings: Settings, **extra: Any) -> "RunState":
        baseline_end, onset = split_window(incident.window, incident.started_at, settings.analytics.baseline_fraction)
        services = list(store.services()) if store is not None else []
        return cls(incident=incident, store=store, settings=settings, baseline_end=baseline_end, onset=onset,
                   services=services, **extra)

    def context(self) -> ToolContext:
        return ToolContext(incident=self.incident, store=self.store, settings=self.settings,
                           baseline_end=self.baseline_end, onset=self.onset, services=self.services,
                           kb=self.kb_opener, sources=self.sources, state=self)

    def merge(self, record: StepRecord) -> None:
        """Fold one finished step into the run (called in plan order): its findings and every
        typed effect of its result (aiops.tooling.base.ToolResult)."""
        self.records.append(record)
        res = record.result
        self.findings.extend(res.findings)
        for caller, callees in res.graph.items():
            self.graph.setdefault(caller, set()).update(callees)
        for service, named in res.inferred.items():
            self.inferred.setdefault(service, set()).update(named)
        known = {h.source for h in self.runbook_hits}
        for hit in res.runbook_hits:
            if hit.source not in known:
                known.add(hit.source)
                self.runbook_hits.append(hit)
        self.peers_timed.update(res.timed)
        for moved in res.reattributions:
            self.reattribute(moved.service, moved.to, moved.why)
        if res.status == "error":
            self.missing.append(f"{record.step.tool}: {res.summary}")

    def reattribute(self, service: str, to: str, why: str) -> None:
        """A second look showed `service`'s own trace latency is time spent waiting on `to`:
        that evidence becomes an inherited symptom, and `service` depends on `to`."""
        from dataclasses import replace

        from aiops.analytics.traces import INHERITED_WEIGHT

        for i, f in enumerate(self.findings):
            if f.kind == "trace" and f.service == service and "own" in f.tags and "error" not in f.tags:
                tags = ("inherited",) + tuple(t for t in f.tags if t != "own")
                self.findings[i] = replace(f, score=f.score * INHERITED_WEIGHT, tags=tags,
                                           summary=f"{f.summary}; {why}")
        self.graph.setdefault(service, set()).add(to)

    @property
    def tool_calls(self) -> int:
        return len(self.records)

    def rank(self):
        from aiops.analytics.ranking import rank_candidates

        return rank_candidates(self.findings, self.services, self.graph, self.onset or self.baseline_end,
                               inferred=self.inferred, measured=self.measured, alerted=self.alerted,
                               time_measured=self.timed, alerted_symptom=self.incident.alerted_symptom())

    @property
    def alerted(self) -> str:
        """The service the alert fired on: its `service` label, else a service the title names."""
        return self.incident.alerted_service(self.services)

    @property
    def timed(self) -> frozenset[str]:
        """Services whose own request time is measured: latency series, spans, or (an untraced
        peer) their callers' client spans before and after the split (`traces.scan`)."""
        return self._measures()[1] | self.peers_timed

    @property
    def measured(self) -> frozenset[str]:
        """Services whose own latency or errors are measured: they have latency or error
        series, or spans (read once per run)."""
        return self._measures()[0]

    def _measures(self) -> tuple[frozenset[str], frozenset[str]]:
        if self._request_measures is None:
            none = frozenset()
            self._request_measures = measured_services(self.store) if self.store is not None else (none, none)
        return self._request_measures

    def results_of(self, tool: str) -> list[StepRecord]:
        return [r for r in self.records if r.step.tool == tool]
