"""`aiops tui`: the interactive view of an investigation (textual, imported only here, lazily)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from aiops.cli import live_input


def tui_command(
    bundle: Optional[Path] = typer.Option(None, "--bundle", "-b", help="Incident bundle directory to investigate."),
    demo: bool = typer.Option(False, "--demo", help="Investigate the bundled demo incident (offline, no key)."),
    open_report: Optional[Path] = typer.Option(None, "--open", help="Open a past run: a diagnosis JSON written by "
                                               "`aiops diagnose --format json` (with --bundle/--demo: drill into its data)."),
    export_dir: Optional[Path] = typer.Option(None, "--export-dir", help="Directory for exported reports, created if missing (default: the current one)."),
    theme: Optional[str] = typer.Option(None, "--theme", help="textual theme, e.g. textual-dark, textual-light, solarized-light."),
    live: bool = live_input.LIVE, alertmanager: Optional[str] = live_input.ALERTMANAGER,
    alert: Optional[str] = live_input.ALERT, alert_file: Optional[Path] = live_input.ALERT_FILE,
    window: Optional[str] = live_input.WINDOW, start: Optional[str] = live_input.START,
    end: Optional[str] = live_input.END, namespace: Optional[str] = live_input.NAMESPACE,
    context: Optional[str] = live_input.CONTEXT, service: Optional[str] = live_input.SERVICE,
    source_names: Optional[list[str]] = live_input.SOURCE,
) -> None:
    """Watch an investigation live and drill into its evidence (keys: ? for help, ctrl+p for commands)."""
    from aiops.cli.global_options import load_cli_settings
    from aiops.errors import BadInputError

    settings = load_cli_settings()
    request = live_input.LiveRequest(live, alertmanager, alert, alert_file, window, start, end, namespace, context,
                                     service, list(source_names or []))
    if sum([demo, bundle is not None, request.requested]) > 1:
        raise BadInputError("give one of --bundle DIR, --demo or live input (--live, --alertmanager, --alert-file)")
    if not (demo or bundle is not None or request.requested) and open_report is None:
        raise BadInputError("aiops tui needs --bundle DIR, --demo, live input (--live, --alertmanager, --alert-file) "
                            "or --open REPORT.json")
    live_input.refuse_stray_flags(request)
    if export_dir is not None and export_dir.exists() and not export_dir.is_dir():
        raise BadInputError(f"--export-dir {export_dir}: exists and is not a directory")

    from aiops.tui.app import AiopsApp, theme_names
    from aiops.tui.source import bundle_source, report_source

    if theme is not None and theme not in theme_names():
        raise BadInputError(f"--theme {theme}: not one of {', '.join(theme_names())}")
    if export_dir is not None:          # a new directory is fine: made now, so no export fails on it
        try:
            export_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BadInputError(f"--export-dir {export_dir}: cannot create it ({exc.strerror or exc})") from None

    from aiops.agent.session import Session
    from aiops.agent.trace_export import tracing_setup
    from aiops.history import recorder_for
    from aiops.memory.store import IncidentMemory

    tracing = tracing_setup(settings, None)
    session = Session(settings, tracer_provider=tracing.provider, record=recorder_for(settings),
                      memory=IncidentMemory.from_settings(settings))
    source = None
    if demo or bundle is not None:
        from aiops.resources import demo_bundle

        source = bundle_source(demo_bundle() if demo else bundle, session, label="demo" if demo else str(bundle))
    elif request.requested:
        from aiops.tui.source import live_source

        source = live_source(session, request)
    try:
        if open_report is not None:
            source = report_source(open_report, source)
        AiopsApp(source, settings, export_dir=export_dir, theme=theme).run()
    finally:
        if source is not None:
            source.close()
        tracing.shutdown()
