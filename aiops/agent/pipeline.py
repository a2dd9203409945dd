"""Entry points of a diagnosis: over a bundle directory, or over any filled store.

Both are generators of events (aiops.agent.events), the last one an `Answer`; the loop
itself is aiops.agent.loop.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Iterator

from aiops.agent.events import Event
from aiops.config import Settings
from aiops.domain import Incident


def diagnose(bundle_dir: Path, settings: Settings, run_id: str | None = None, **options: Any) -> Iterator[Event]:
    """Investigate the incident in `bundle_dir`; yields events, the last one an `Answer`."""
    from aiops.telemetry.bundle import load_bundle
    from aiops.telemetry.limits import BundleLimits

    t0 = time.perf_counter()
    loaded = load_bundle(Path(bundle_dir), limits=BundleLimits.from_settings(settings))  # bad input: exit 2
    try:
        yield from investigate(loaded.incident, loaded.store, settings, run_id=run_id, notes=loaded.warnings,
                               t0=t0, **options)
    finally:
        loaded.store.close()


def investigate(
    incident: Incident,
    store: object,
    settings: Settings,
    run_id: str | None = None,
    notes: list[str] | None = None,
    missing: list[str] | None = None,
    t0: float | None = None,
    **options: Any,
) -> Iterator[Event]:
    """Investigate `incident` over a filled `TelemetryStore` (from a bundle or live sources).

    `missing` names sources that could not be read before the run (reported as missing
    evidence); `notes` are carried into the diagnosis. `options` go to the loop:
    sources=, registry=, reasoner=, gateway=.
    """
    from aiops.agent.loop import run_investigation

    yield from run_investigation(incident, store, settings, run_id=run_id, notes=notes, missing=missing, t0=t0,
                                 **options)
