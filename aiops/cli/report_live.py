"""`aiops report --source prometheus[:NAME]`: the release windows from live sources, and the
snapshot bundle of what was compared (replay it with `aiops report --bundle DIR`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from aiops.errors import BadInputError


def selectors(values: list[str]) -> list[str]:
    """`prometheus`, `prometheus:main` or `prometheus.main` -> the registry's KIND / KIND.NAME."""
    out = []
    for v in values:
        kind, sep, name = v.partition(":")
        out.append(f"{kind}.{name}" if sep and name else v)
    return out


def live_release(settings: Any, values: list[str], release: str, deployed: float | None, windows_of: Callable,
                 services: tuple[str, ...], say: Callable[[str], None]):
    """(store, request, notes, missing) for the live sources named by --source."""
    from aiops.release.live import fetch_release
    from aiops.release.model import ReleaseRequest
    from aiops.telemetry.live.registry import build_sources

    if deployed is None:
        raise BadInputError("--deployed-at is required with --source (when the release went out)")
    sources = build_sources(settings, selectors(values), telemetry_only=True)
    if not sources:
        raise BadInputError(f"--source {' '.join(values)}: no telemetry source among them")
    windows = windows_of(deployed)
    names = ", ".join(s.label for s in sources)
    say(f"aiops report: reading {names} over the release windows")
    store, notes, missing = fetch_release(settings, sources, windows, services)
    if not any(s.kind == "prometheus" for s in sources):
        notes.append("no Prometheus source: golden signals come from traces only")
    return store, ReleaseRequest(release, windows, services, source=f"live: {names}"), notes, missing


def write_snapshot(store: Any, request: Any, out: Path, missing: list[str], notes: list[str]) -> None:
    """What was compared, as a bundle `aiops report --bundle` replays (replaced if present)."""
    from aiops.domain import Incident, TimeWindow
    from aiops.telemetry.live.bundle_writer import write_bundle

    w = request.windows
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    span = store.time_range() or (w.data_span().start, w.data_span().end)
    incident = Incident(f"release {request.release} (post-release check)", TimeWindow(span[0], max(span[1], span[0] + 1)),
                        started_at=w.deployed_at, alert={"release": request.release},
                        extra={"live": {"sources": [request.source]}})
    write_bundle(store, incident, out, force=True, missing=missing, notes=notes)
