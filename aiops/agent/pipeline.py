"""The diagnosis run as a generator of events (habit 6).

This is the offline investigation: load the incident, gather evidence from every signal
(metrics, logs, traces, change events) — each step independent, a failing step becomes
missing evidence — rank the services, cite runbooks, answer.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Iterator

from aiops.agent.evidence import STEPS, Investigation
from aiops.agent.events import (
    Answer, Event, FindingMade, PlanMade, PlannedStep, Reflection, RunStarted, StepStarted, ToolResultEvent,
)
from aiops.domain import Hypothesis
from aiops.agent.answer import build_diagnosis
from aiops.config import Settings
from aiops.domain import Incident
from aiops.errors import AiopsError, one_line


def diagnose(bundle_dir: Path, settings: Settings, run_id: str | None = None) -> Iterator[Event]:
    """Investigate the incident in `bundle_dir`; yields events, the last one an `Answer`."""
    from aiops.telemetry.bundle import load_bundle

    t0 = time.perf_counter()
    loaded = load_bundle(Path(bundle_dir))            # bad input raises BundleError (exit 2)
    yield from investigate(loaded.incident, loaded.store, settings, run_id=run_id, notes=loaded.warnings, t0=t0)


def investigate(
    incident: Incident,
    store: object,
    settings: Settings,
    run_id: str | None = None,
    notes: list[str] | None = None,
    missing: list[str] | None = None,
    t0: float | None = None,
) -> Iterator[Event]:
    """Investigate `incident` over a filled `TelemetryStore` (from a bundle or live sources).

    `missing` names sources that could not be read before the run (they are reported as
    missing evidence); `notes` are carried into the diagnosis.
    """
    t0 = time.perf_counter() if t0 is None else t0
    run_id = run_id or uuid.uuid4().hex[:12]
    inv = Investigation.start(incident, store, settings)
    inv.notes.extend(notes or [])
    inv.missing.extend(missing or [])
    yield RunStarted(run_id=run_id, incident_title=incident.title, reasoner="offline")
    planned = [PlannedStep(id=f"r1-{i + 1}", tool=name, specialist=name) for i, (name, _) in enumerate(STEPS)]
    yield PlanMade(round=1, steps=tuple(planned), hypotheses=("find the service whose own behaviour changed first",))

    for ps, (name, step) in zip(planned, STEPS):
        yield StepStarted(step=ps)
        s0 = time.perf_counter()
        try:
            result = step(inv)
        except AiopsError as exc:
            result = inv.failed(name, one_line(exc))
        except Exception as exc:  # noqa: BLE001 - one failing source never sinks a diagnosis
            result = inv.failed(name, f"{exc.__class__.__name__}: {one_line(exc)}")
        yield ToolResultEvent(step=ps, status=result.status, summary=result.summary,
                              duration_s=time.perf_counter() - s0)
        for f in result.findings:
            yield FindingMade(f, step_id=ps.id)

    ranked = inv.rank()
    hyps = tuple(Hypothesis(c.service, c.fault, round(c.score, 3)) for c in ranked[:3])
    yield Reflection(round=1, summary="ranked " + ", ".join(f"{h.service} ({h.confidence:.2f})" for h in hyps) if hyps
                     else "no anomalies found", confident=bool(ranked) and ranked[0].score >= 0.5,
                     decision="answer", hypotheses=hyps)
    diagnosis = build_diagnosis(inv, ranked, run_id=run_id, duration_s=time.perf_counter() - t0)
    yield Answer(diagnosis)
