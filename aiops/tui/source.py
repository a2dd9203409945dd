"""What the TUI investigates: the seam between where data comes from and the app.

An `InvestigationSource` says what to call to run (or re-run) the investigation — a
callable returning an iterator of `aiops.agent.events` — and, when there is one, the
`TelemetryStore` the app keeps open for drill-downs. Bundles (`--bundle`, `--demo`), live
sources and past reports (`--open`) are built here; every run goes through the face's
`aiops.agent.session.Session`:

    InvestigationSource(label="live", incident=incident, store=store,
                        run=lambda: session.investigate(incident, store, missing=missing))

No textual here: the CLI builds the source (and reports bad input, exit 2) before the
app is imported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

from aiops.agent.events import Answer, RunStarted
from aiops.domain import Diagnosis, Incident

if TYPE_CHECKING:
    from aiops.agent.live import LiveRequest
    from aiops.agent.session import Session
    from aiops.telemetry.store import TelemetryStore

EventSource = Callable[[], Iterator[object]]


@dataclass
class InvestigationSource:
    label: str                                    # shown in the header: bundle path, "demo", report file
    run: EventSource | None                       # a fresh run per call; None: nothing to (re-)run
    incident: Incident | None = None
    store: "TelemetryStore | None" = None         # kept open for drill-downs
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


def bundle_source(bundle_dir: Path, session: "Session", label: str | None = None) -> InvestigationSource:
    """Load the bundle (BundleError on bad input) and investigate it in `session` on every run."""
    from aiops.telemetry.bundle import load_bundle
    from aiops.telemetry.limits import BundleLimits

    loaded = load_bundle(Path(bundle_dir), limits=BundleLimits.from_settings(session.settings))
    incident, store, warnings = loaded.incident, loaded.store, list(loaded.warnings)

    def run() -> Iterator[object]:
        return session.investigate(incident, store, notes=warnings, bundle=Path(bundle_dir))

    source = InvestigationSource(label=label or str(bundle_dir), run=run, incident=incident, store=store,
                                 notes=warnings)
    source._closers.append(store.close)
    return source


def live_source(session: "Session", request: "LiveRequest") -> InvestigationSource:
    """The configured live sources: each run reads them again into one store the app keeps
    for drill-downs, then investigates."""
    from aiops.telemetry.store import TelemetryStore

    plan = session.plan_live(request)              # bad input raises before the app starts
    store = TelemetryStore()

    def run() -> Iterator[object]:
        return session.diagnose_live(plan, store)

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
