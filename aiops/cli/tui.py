"""`aiops tui`: the interactive view of an investigation (textual, imported only here, lazily)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def tui_command(
    bundle: Optional[Path] = typer.Option(None, "--bundle", "-b", help="Incident bundle directory to investigate."),
    demo: bool = typer.Option(False, "--demo", help="Investigate the bundled demo incident (offline, no key)."),
    open_report: Optional[Path] = typer.Option(None, "--open", help="Open a past run: a diagnosis JSON written by "
                                               "`aiops diagnose --format json` (with --bundle/--demo: drill into its data)."),
    export_dir: Optional[Path] = typer.Option(None, "--export-dir", help="Directory for exported reports (default: the current one)."),
    theme: Optional[str] = typer.Option(None, "--theme", help="textual theme, e.g. textual-dark, textual-light, solarized-light."),
) -> None:
    """Watch an investigation live and drill into its evidence (keys: ? for help, ctrl+p for commands)."""
    from aiops.cli import load_cli_settings
    from aiops.errors import BadInputError

    settings = load_cli_settings()
    if demo and bundle is not None:
        raise BadInputError("give either --bundle DIR or --demo, not both")
    if not demo and bundle is None and open_report is None:
        raise BadInputError("aiops tui needs --bundle DIR, --demo or --open REPORT.json "
                            "(live sources from the config are not wired to the TUI yet)")
    if export_dir is not None and not export_dir.is_dir():
        raise BadInputError(f"--export-dir {export_dir}: not a directory")

    from aiops.tui.app import AiopsApp, theme_names
    from aiops.tui.source import bundle_source, report_source

    if theme is not None and theme not in theme_names():
        raise BadInputError(f"--theme {theme}: not one of {', '.join(theme_names())}")

    source = None
    if demo or bundle is not None:
        from aiops.resources import demo_bundle

        source = bundle_source(demo_bundle() if demo else bundle, settings, label="demo" if demo else str(bundle))
    try:
        if open_report is not None:
            source = report_source(open_report, source)
        AiopsApp(source, settings, export_dir=export_dir, theme=theme).run()
    finally:
        if source is not None:
            source.close()
