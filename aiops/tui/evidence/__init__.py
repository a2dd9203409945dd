"""The evidence behind one hypothesis (or any service an operator drills into), gathered
from the telemetry store in a worker thread. Plain Python and numpy: no textual.

Each part (metrics, logs, traces, changes, runbooks) is gathered on its own; one that
fails is reported by name and the others still show.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aiops.domain import Evidence, Finding, Incident, RunbookRef, TimeWindow
from aiops.errors import one_line
from aiops.telemetry.reader import TelemetryReader
from aiops.tui.evidence.changes import ChangeView, change_events
from aiops.tui.evidence.logs import LogTemplateCache, TemplateView, template_views
from aiops.tui.evidence.metrics import SeriesChart, metric_charts, parse_series_ref
from aiops.tui.evidence.runbooks import RunbookView, load_runbook
from aiops.tui.evidence.traces import TraceEvidence, trace_evidence

PARTS = ("metrics", "logs", "traces", "changes", "runbooks")


@dataclass(frozen=True)
class EvidenceTarget:
    """What the evidence screen shows."""

    service: str
    heading: str                                 # "#2 checkout · latency · 86%"
    summary: str
    findings: tuple[Finding, ...]
    evidence: tuple[Evidence, ...]               # the recorded evidence lines
    window: TimeWindow                           # the time range drilled into
    onset: float | None
    runbooks: tuple[RunbookRef, ...] = ()
    remediation: tuple[str, ...] = ()

    @property
    def split(self) -> float:
        """Where before/after comparisons cut: the onset, else the middle of the window."""
        if self.onset is not None and self.window.contains(self.onset):
            return self.onset
        return self.window.start + self.window.seconds / 2


@dataclass
class EvidenceData:
    charts: list[SeriesChart] = field(default_factory=list)
    templates: list[TemplateView] = field(default_factory=list)
    traces: TraceEvidence | None = None
    changes: list[ChangeView] = field(default_factory=list)
    runbooks: list[RunbookView] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)     # part -> one-line reason


def findings_from_evidence(service: str, evidence: tuple[Evidence, ...]) -> list[Finding]:
    """Recorded evidence (e.g. from a report opened with --open) as findings to drill into."""
    out = []
    for e in evidence:
        signal, component = e.kind, ""
        if e.kind == "metric" and (parsed := parse_series_ref(e.ref)):
            signal = parsed[0]
            component = f"pod/{parsed[1]['pod']}" if parsed[1].get("pod") else ""
        elif e.kind == "log" and e.ref.startswith("log_template:"):
            signal = e.ref.removeprefix("log_template:")
        out.append(Finding(kind=e.kind, service=service, signal=signal, score=e.weight, summary=e.summary,
                           onset=e.at, component=component, ref=e.ref))
    return out


def merged_findings(service: str, run_findings: list[Finding], evidence: tuple[Evidence, ...]) -> tuple[Finding, ...]:
    """The run's findings for the service, plus recorded evidence the run did not produce."""
    mine = [f for f in run_findings if f.service == service]
    seen = {f.summary for f in mine}
    mine += [f for f in findings_from_evidence(service, evidence) if f.summary not in seen]
    return tuple(sorted(mine, key=lambda f: -f.score))


def onset_of(incident: Incident | None, findings: tuple[Finding, ...]) -> float | None:
    """The incident's start when it lies in the window, else the service's earliest onset."""
    if incident is not None and incident.started_at is not None and incident.window.contains(incident.started_at):
        return incident.started_at
    onsets = [f.onset for f in findings if f.onset is not None]
    return min(onsets) if onsets else None


def gather(store: TelemetryReader | None, target: EvidenceTarget, logs_cache: LogTemplateCache,
           mining_window: TimeWindow | None = None) -> EvidenceData:
    """Every part of the evidence; without a store only the runbooks (the rest needs data)."""
    data = EvidenceData()
    findings = list(target.findings)

    def part(name: str, fn) -> None:  # noqa: ANN001
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - one failing part never hides the others
            data.errors[name] = f"{exc.__class__.__name__}: {one_line(exc)}"

    if store is not None:
        part("metrics", lambda: data.charts.extend(metric_charts(store, target.window, findings)))

        def logs() -> None:
            mined = logs_cache.get(store, mining_window or target.window)
            data.templates.extend(template_views(mined, target.service, target.split, findings, shown=target.window))

        part("logs", logs)

        def traces() -> None:
            columns = store.span_table(target.window.start, target.window.end)
            data.traces = trace_evidence(columns, target.service, target.split)

        part("traces", traces)
        part("changes", lambda: data.changes.extend(change_events(store, target.window, target.service, findings)))
    part("runbooks", lambda: data.runbooks.extend(load_runbook(r) for r in target.runbooks))
    return data
