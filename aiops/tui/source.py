"""What the TUI investigates: the seam between where data comes from and the app.

An `InvestigationSource` says what to call to run (or re-run) the investigation — a
callable returning an iterator of `aiops.agent.events` — and, when there is one, the
`TelemetryStore` the app keeps open for drill-downs. Bundles (`--bundle`, `--demo`) and
past reports (`--open`) are built here; live sources plug in the same way:

    store, incident, missing = <fill a store from the configured sources>   # issue 7
    InvestigationSource(label="live", incident=incident, store=store,
                        run=lambda: investigate(incident, store, settings, missing=missing))

No textual here: the CLI builds the source (and reports bad input, exit 2) before the
app is imported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from aiops.agent.events import Answer, RunStarted
from aiops.config import Settings
from aiops.domain import Diagnosis, Incident

EventSource = Callable[[], Iterator[object]]


@dataclass
class InvestigationSource:
    label: str                                    # shown in the header: bundle path, "demo", report file
    run: EventSource | None                       # a fresh run per call; None: nothing to (re-)run
    incident: Incident | None = None
    store: object | None = None                   # aiops.telemetry.store.TelemetryStore, kept open
    past: Diagnosis | None = None                 # a report opened with --open, shown before any run
    notes: list[str] = field(default_factory=list)
    _closers: list[Callable[[], None]] = field(default_factory=list, repr=False)

    @property
    def can_run(self) -> bool:
        return self.run is not None

    def close(self) -> None:
        for close in self._closers:
            close()
        self._closers.clear()


def _recorded(events: Iterator[object], history: object | None, bundle: Path | None) -> Iterator[object]:
    if history is None:
        return events
    from aiops.history import recorded

    return recorded(events, history, bundle=bundle)


def bundle_source(bundle_dir: Path, settings: Settings, label: str | None = None, *,
                  history: object | None = None, **options: object) -> InvestigationSource:
    """Load the bundle (BundleError on bad input) and investigate it on every run; each run
    is recorded in `history` (aiops.history.RunHistory) when given; `options` go to the loop
    (tracer_provider=, gateway=)."""
    from aiops.agent.pipeline import investigate
    from aiops.telemetry.bundle import load_bundle
    from aiops.telemetry.limits import BundleLimits

    loaded = load_bundle(Path(bundle_dir), limits=BundleLimits.from_settings(settings))
    incident, store, warnings = loaded.incident, loaded.store, list(loaded.warnings)

    def run() -> Iterator[object]:
        return _recorded(investigate(incident, store, settings, notes=warnings, **options), history, Path(bundle_dir))

    source = InvestigationSource(label=label or str(bundle_dir), run=run, incident=incident, store=store,
                                 notes=warnings)
    source._closers.append(store.close)
    return source


def live_source(settings: Settings, request: object, *, history: object | None = None,
                **options: object) -> InvestigationSource:
    """The configured live sources (aiops.agent.live.LiveRequest): each run reads them again
    into one store the app keeps for drill-downs, then investigates."""
    from aiops.agent.live import plan_live, run_live
    from aiops.telemetry.store import TelemetryStore

    plan = plan_live(settings, request)            # bad input raises before the app starts
    store = TelemetryStore()

    def run() -> Iterator[object]:
        return _recorded(run_live(plan, store, settings, **options), history, None)

    label = "live: " + ", ".join(s.label for s in plan.sources)
    source = InvestigationSource(label=label, run=run, incident=plan.target.incident, store=store)
    source._closers.append(store.close)
    return source


def report_source(report: Path, bundle: InvestigationSource | None = None) -> InvestigationSource:
    """A past run from its diagnosis JSON; with a bundle, drill-downs and re-runs use its data."""
    from aiops.report.json_reader import read_diagnosis

    diagnosis = read_diagnosis(Path(report))
    if bundle is not None:
        bundle.label = f"{report} · {bundle.label}"
        bundle.past = diagnosis
        return bundle
    return InvestigationSource(label=str(report), run=None, incident=diagnosis.incident, past=diagnosis)


def replay(diagnosis: Diagnosis) -> Iterator[object]:
    """The events a past run is shown with: its start and its answer."""
    yield RunStarted(run_id=diagnosis.run_id, incident_title=diagnosis.incident.title, reasoner=diagnosis.reasoner)
    yield Answer(diagnosis)
