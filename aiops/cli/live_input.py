"""Live input for `aiops diagnose`, `aiops tui` and `aiops snapshot`: the shared flags; the
run itself (reading the configured sources into a store, then investigating) is
aiops.agent.session.Session.diagnose_live.

    aiops diagnose --live --window 30m --namespace shop
    aiops diagnose --alertmanager http://am:9093 --alert HighLatency
    aiops diagnose --alert-file payload.json
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator, Optional

import typer

from aiops.agent.live import LivePlan, LiveRequest, fetch_events, plan_live  # noqa: F401 - re-exported

LIVE = typer.Option(False, "--live", help="Diagnose from the live sources in the config ([sources.*]).")
ALERTMANAGER = typer.Option(None, "--alertmanager", help="Take the incident from this Alertmanager's firing alerts (URL, or a configured alertmanager source name).")
ALERT = typer.Option(None, "--alert", help="The firing alert to diagnose, by alertname (default: the most severe, then earliest).")
ALERT_FILE = typer.Option(None, "--alert-file", help="Take the incident from an Alertmanager webhook payload file.")
WINDOW = typer.Option(None, "--window", help="Length of the window, e.g. 30m (default: sources.default_window).")
START = typer.Option(None, "--start", help="Window start (RFC 3339 or unix seconds).")
END = typer.Option(None, "--end", help="Window end (RFC 3339, unix seconds or 'now').")
NAMESPACE = typer.Option(None, "--namespace", "-n", help="Kubernetes namespace to read (default: the alert's, else each source's own).")
CONTEXT = typer.Option(None, "--context", help="kubeconfig context for Kubernetes sources.")
SERVICE = typer.Option(None, "--service", help="The service the symptom was seen on (trace searches start there).")
SOURCE = typer.Option(None, "--source", metavar="<name>", help="Only these sources (NAME, KIND or KIND.NAME); repeatable.")


def refuse_stray_flags(request: LiveRequest) -> None:
    """Scope flags (--window, --namespace ...) without live input are a mistake: exit 2."""
    from aiops.errors import BadInputError

    if request.requested:
        return
    stray = [flag for flag, value in (("--window", request.window), ("--start", request.start),
                                      ("--end", request.end), ("--namespace", request.namespace),
                                      ("--context", request.context), ("--service", request.service),
                                      ("--source", request.sources)) if value]
    if stray:
        raise BadInputError(f"{stray[0]} needs live input (--live, --alertmanager or --alert-file)")


def live_events(session: Any, request: LiveRequest, bundle: Optional[Path] = None,
                demo: bool = False) -> Iterator[Any] | None:
    """The events of a live diagnosis in `session` (aiops.agent.session.Session): reading the
    sources, then the investigation; None when no live input was asked for."""
    from aiops.errors import BadInputError

    refuse_stray_flags(request)
    if not request.requested:
        return None
    if bundle is not None or demo:
        raise BadInputError("give either --bundle/--demo or live input (--live, --alertmanager, --alert-file), not both")
    return _run(session, session.plan_live(request))


def _run(session: Any, plan: LivePlan) -> Iterator[Any]:
    from aiops.telemetry.store import TelemetryStore

    store = TelemetryStore()
    try:
        yield from session.diagnose_live(plan, store)
    finally:
        store.close()
