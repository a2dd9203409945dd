"""Live runs: which configured sources to read, the incident (from flags or a firing alert),
and the events of reading them into a store before the investigation.

    request = LiveRequest(live=True, window="30m", namespace="shop")
    plan = plan_live(settings, request)          # BadInputError for unusable input
    events = fetch_events(plan, store, settings)  # round 0: read the sources into the store

The run itself (round 0, then the investigation) is aiops.agent.session.Session.diagnose_live.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Optional

if TYPE_CHECKING:      # `aiops --help` imports this module (the CLI's live flags): nothing heavy
    from aiops.agent.events import Event
    from aiops.config import Settings
    from aiops.telemetry.alerts import Alert
    from aiops.telemetry.live.base import FetchScope, LiveSource
    from aiops.telemetry.live.live_incident import LiveIncident
    from aiops.telemetry.store import TelemetryStore


@dataclass
class LiveRequest:
    live: bool = False
    alertmanager: Optional[str] = None
    alert: Optional[str] = None
    alert_file: Optional[Path] = None
    window: Optional[str] = None
    start: Optional[str] = None
    end: Optional[str] = None
    namespace: Optional[str] = None
    context: Optional[str] = None
    service: Optional[str] = None
    sources: list[str] = field(default_factory=list)

    @property
    def requested(self) -> bool:
        return bool(self.live or self.alertmanager or self.alert or self.alert_file)


@dataclass
class LivePlan:
    sources: list[LiveSource]
    target: LiveIncident
    scope: FetchScope


def _alert_sources(settings: Settings, request: LiveRequest) -> list[LiveSource]:
    from aiops.errors import BadInputError
    from aiops.telemetry.live.registry import build_source, configured_tables

    value = request.alertmanager
    if value and value.startswith(("http://", "https://")):
        return [build_source("alertmanager", "cli", {"url": value}, "--alertmanager")]
    tables = [(n, t) for k, n, t in configured_tables(settings) if k == "alertmanager" and (not value or n == value)]
    if not tables:
        what = f"--alertmanager {value}: no [sources.alertmanager.{value}] in the config" if value else \
            "--alert needs --alertmanager URL or a configured [sources.alertmanager.<name>]"
        raise BadInputError(what)
    return [build_source("alertmanager", n, t, settings.source_file or "settings") for n, t in tables]


def _alert(settings: Settings, request: LiveRequest, notes: list[str], missing: list[str]):
    """The alert to diagnose (None without one, or when no Alertmanager answers)."""
    from aiops.errors import BadInputError
    from aiops.telemetry.alerts import pick_alert
    from aiops.telemetry.live.live_incident import alert_from_file

    if request.alert_file is not None:
        return alert_from_file(request.alert_file, request.alert)
    if not (request.alertmanager or request.alert):
        return None
    for source in _alert_sources(settings, request):
        try:
            alerts = source.alerts(request.alert)
            chosen = pick_alert(alerts, request.alert)
            if chosen is None:
                named = f" named {request.alert!r}" if request.alert else ""
                firing = sorted({a.name for a in (source.alerts() if request.alert else alerts) if a.firing})
                raise BadInputError(f"{source.target()}: no firing alert{named} (firing: {', '.join(firing) or 'none'})")
        except BadInputError:
            raise
        except Exception as exc:  # noqa: BLE001 - Alertmanager down: diagnose the window anyway
            missing.append(f"{source.label}: {source.describe(exc)} (the alert could not be read)")
            continue
        finally:
            source.close()
        others = len([a for a in alerts if a.firing]) - 1
        notes.append(f"alert {chosen.name} from {source.label}" + (f" ({others} more firing)" if others > 0 else ""))
        return chosen
    return None


def plan_live(settings: Settings, request: LiveRequest, alert: "Alert | None" = None) -> LivePlan:
    """Sources, window, scope and incident of a live run; BadInputError for unusable flags.
    `alert` is one already in hand (a webhook's, in `aiops serve`) instead of the request's."""
    from aiops.errors import BadInputError
    from aiops.telemetry.live.base import FetchScope
    from aiops.telemetry.live.live_incident import LiveIncident, build_incident, resolve_window
    from aiops.telemetry.live.registry import build_sources

    sources = build_sources(settings, request.sources or None, telemetry_only=True)
    if not sources:
        where = settings.source_file or "the config file"
        raise BadInputError(f"no live telemetry sources configured: add [sources.<kind>.<name>] tables to {where} "
                            "(see docs/live-sources.md)")
    notes: list[str] = []
    missing: list[str] = []
    alert = alert if alert is not None else _alert(settings, request, notes, missing)
    window = resolve_window(request.window, request.start, request.end, settings.sources.default_window,
                            alert.starts_at if alert is not None else None)
    labels = alert.labels if alert is not None else {}
    scope = FetchScope(namespace=request.namespace or labels.get("namespace") or None, context=request.context,
                       service=request.service or labels.get("service") or None)
    incident = build_incident(window, alert, scope.service, scope.namespace, [s.label for s in sources])
    return LivePlan(sources, LiveIncident(incident, alert, notes, missing), scope)


def fetch_events(plan: LivePlan, store: "TelemetryStore", settings: Settings) -> Iterator[Event]:
    """Read every source into `store`, as round-0 plan/step/result events; fills the plan's
    notes, missing and reads."""
    from aiops.agent.events import PlanMade, PlannedStep, StepStarted, ToolResultEvent
    from aiops.domain import SourceRead
    from aiops.telemetry.live.collect import Collected, fetch_all, load_window

    window = plan.target.incident.window
    collected = Collected(notes=plan.target.notes, missing=plan.target.missing)
    steps = {s.label: PlannedStep(f"r0-{i + 1}", f"{s.kind}.fetch", {"source": s.name}, "live",
                                  f"read {s.label} for the window") for i, s in enumerate(plan.sources)}
    yield PlanMade(round=0, steps=tuple(steps.values()), hypotheses=("read the live sources",), reasoner="live")
    for step in steps.values():
        yield StepStarted(step=step, round=0)
    try:
        for result in fetch_all(plan.sources, window, plan.scope, settings.sources.deadline_s):
            collected.add(load_window(store, result, window))
            plan.target.reads.append(SourceRead(result.source, result.status, result.summary()))
            yield ToolResultEvent(step=steps[result.source], status=result.status, summary=result.summary(),
                                  duration_s=result.duration_s, round=0)
        order = list(steps)
        plan.target.reads.sort(key=lambda r: order.index(r.name) if r.name in order else len(order))
    finally:
        for source in plan.sources:
            source.close()
