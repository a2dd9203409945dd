"""Where the post-release check's data comes from: a TelemetryStore filled over the windows.

Today that is an incident bundle (`load_release_bundle`). Live sources plug in the same way:
anything that appends metrics, logs, spans and events to a `TelemetryStore` over
`ReleaseWindows.data_span()` (the previous days' same hours included) — e.g. each live
source's `fetch_into(store, window, scope)` — hands `check_release` what it needs; the
checks read the store only through its query API (metric_grid, log_records, span_table,
events, time_range, services).
"""

from __future__ import annotations

from pathlib import Path

from aiops.telemetry.bundle import LoadedBundle, load_bundle
from aiops.telemetry.reader import TelemetryReader


def load_release_bundle(path: str | Path) -> LoadedBundle:
    """The bundle's telemetry in an in-memory store (BundleError, exit 2, when unusable)."""
    return load_bundle(Path(path))


def deployed_at_from_events(store: TelemetryReader, release: str) -> float | None:
    """When the latest deploy event that names `release` (in its message or any field:
    version, image, tag) happened, or None."""
    if not release:
        return None
    found = None
    for ev in store.events():
        if ev["kind"] not in ("deploy", "deployment", "rollout", "release"):
            continue
        if event_names(ev, release):
            found = ev["ts"]
    return found


def event_names(ev: dict, release: str) -> bool:
    """Does a store event name `release` in its message or any other field?"""
    fields = [ev["message"] or ""] + [str(v) for v in ev["attrs"].values()]
    return any(_names(text, release) for text in fields)


def _names(text: str, release: str) -> bool:
    """`release` appears in `text` as a whole token (v1.2 must not match v1.20)."""
    start = text.find(release)
    while start >= 0:
        end = start + len(release)
        before = text[start - 1] if start > 0 else " "
        after = text[end] if end < len(text) else " "
        if not (before.isalnum() or before in "._-") and not (after.isalnum() or after in "._"):
            return True
        start = text.find(release, start + 1)
    return False
