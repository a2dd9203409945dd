"""`aiops snapshot`: capture an incident from the live sources as a bundle (spec format),
to attach to a ticket and replay with `aiops diagnose --bundle DIR`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from aiops.cli import live_input


def snapshot_command(
    out: Path = typer.Option(..., "--out", "-o", help="Directory to write the bundle to (must be empty or absent)."),
    force: bool = typer.Option(False, "--force", help="Replace a non-empty --out directory."),
    window: Optional[str] = live_input.WINDOW, start: Optional[str] = live_input.START,
    end: Optional[str] = live_input.END, namespace: Optional[str] = live_input.NAMESPACE,
    context: Optional[str] = live_input.CONTEXT, service: Optional[str] = live_input.SERVICE,
    alertmanager: Optional[str] = live_input.ALERTMANAGER, alert: Optional[str] = live_input.ALERT,
    alert_file: Optional[Path] = live_input.ALERT_FILE, source: Optional[list[str]] = live_input.SOURCE,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress on stderr."),
) -> None:
    """Write an incident bundle from the live sources: metrics, logs, spans, events, the alert."""
    from rich.console import Console

    from aiops.cli.global_options import load_cli_settings
    from aiops.cli.progress import ProgressView
    from aiops.errors import SourceError
    from aiops.telemetry.live.bundle_writer import check_out_dir, write_bundle
    from aiops.telemetry.store import TelemetryStore

    settings = load_cli_settings()
    out = out.expanduser()
    check_out_dir(out, force)                      # refuse before reading anything
    request = live_input.LiveRequest(True, alertmanager, alert, alert_file, window, start, end, namespace, context,
                                     service, list(source or []))
    plan = live_input.plan_live(settings, request)
    err = Console(stderr=True)
    view = ProgressView(err, enabled=not quiet and err.is_terminal)
    with TelemetryStore() as store:
        with view:
            for event in live_input.fetch_events(plan, store, settings):
                view.update(event)
        t = plan.target
        if not any(store.counts().values()):
            raise SourceError("no source returned data for the window; nothing written. Missing: " + "; ".join(t.missing))
        counts = write_bundle(store, t.incident, out, force=force, alert=t.alert, missing=t.missing, notes=t.notes)
    rows = ", ".join(f"{n} {table}" for table, n in counts.items())
    typer.echo(f"wrote {out}: {rows}")
    for m in t.missing:
        typer.echo(f"missing: {m}", err=True)
