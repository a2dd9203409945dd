"""`aiops diagnose`: run an investigation and print the report."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Optional

import typer

from aiops.cli import live_input


def diagnose_command(
    bundle: Optional[Path] = typer.Option(None, "--bundle", "-b", help="Incident bundle directory."),
    demo: bool = typer.Option(False, "--demo", help="Diagnose the bundled demo incident (offline, no key)."),
    fmt: Optional[str] = typer.Option(None, "--format", "-f", help="text (default), json, markdown or html."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the report to this file (atomically) instead of stdout."),
    reasoner: Optional[str] = typer.Option(None, "--reasoner", help="auto (llm when a model is configured), offline or llm."),
    model: Optional[str] = typer.Option(None, "--model", help="Model for the LLM reasoner (any litellm model string; sets models.planner)."),
    max_steps: Optional[int] = typer.Option(None, "--max-steps", help="Budget: tool calls over all rounds."),
    max_rounds: Optional[int] = typer.Option(None, "--max-rounds", help="Budget: plan/execute/reflect rounds."),
    max_root_causes: Optional[int] = typer.Option(None, "--max-root-causes", help="How many ranked candidates to report."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress on stderr."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Text report: every candidate with all its evidence, "
                                 "the whole timeline, every note (default: what fits a screen)."),
    reveal_secrets: bool = typer.Option(False, "--reveal-secrets", help="Put back the secrets (keys, tokens, passwords) redacted from the report's evidence — for a local look only, never for a report that is shared."),
    trace: Optional[str] = typer.Option(None, "--trace", help="Trace the run: console (a span tree on stderr), "
                                        "FILE.jsonl (one JSON span a line), otlp or none. OTLP/HTTP export also "
                                        "follows the OTEL_* environment variables."),
    # -- live sources: flags and logic in aiops/cli/live_input.py --
    live: bool = live_input.LIVE, alertmanager: Optional[str] = live_input.ALERTMANAGER,
    alert: Optional[str] = live_input.ALERT, alert_file: Optional[Path] = live_input.ALERT_FILE,
    window: Optional[str] = live_input.WINDOW, start: Optional[str] = live_input.START,
    end: Optional[str] = live_input.END, namespace: Optional[str] = live_input.NAMESPACE,
    context: Optional[str] = live_input.CONTEXT, service: Optional[str] = live_input.SERVICE,
    source: Optional[list[str]] = live_input.SOURCE,
) -> None:
    """Diagnose an incident: ranked root causes with evidence, a timeline and remediation.

    Exit 0 with a diagnosis (root causes, or healthy: data read and quiet), 4 when the
    evidence is insufficient (every source failed, or no data in the window), 2 bad input."""
    from aiops.cli.global_options import load_cli_settings
    from aiops.errors import BadInputError

    settings = load_cli_settings({"diagnose.format": fmt, "diagnose.reasoner": reasoner,
                                  "diagnose.max_root_causes": max_root_causes, "models.planner": model,
                                  "diagnose.max_steps": max_steps, "diagnose.max_rounds": max_rounds})
    live_run = live_input.LiveRequest(live, alertmanager, alert, alert_file, window, start, end, namespace,
                                      context, service, list(source or []))
    if not live_run.requested and demo == (bundle is not None):
        raise BadInputError("give exactly one of --bundle DIR, --demo or live input (--live, --alertmanager, --alert-file)")
    if demo:
        from aiops.resources import demo_bundle

        bundle = demo_bundle()

    from rich.console import Console

    from aiops.agent.events import Answer
    from aiops.agent.session import Session
    from aiops.agent.trace_export import tracing_setup
    from aiops.cli.progress import ProgressView
    from aiops.history import recorder_for
    from aiops.memory.store import IncidentMemory

    err = Console(stderr=True)
    fmt = settings.diagnose.format
    view = ProgressView(err, enabled=not quiet and fmt == "text" and err.is_terminal)
    diagnosis = None
    logging.getLogger("opentelemetry").setLevel(logging.ERROR)   # one note below instead of retry chatter
    tracing = tracing_setup(settings, trace, console=sys.stderr)
    try:
        session = Session(settings, tracer_provider=tracing.provider, record=recorder_for(settings),
                          memory=IncidentMemory.from_settings(settings))
        events = live_input.live_events(session, live_run, None if demo else bundle, demo)
        if events is None:
            events = session.diagnose_bundle(bundle)
        with view:
            for event in events:
                view.update(event)
                if isinstance(event, Answer):
                    diagnosis = event.diagnosis
        assert diagnosis is not None, "the loop ended without an answer"
        if reveal_secrets:
            from aiops.agent.answer import reveal_secrets as reveal

            diagnosis = reveal(diagnosis)
        _write_report(diagnosis, settings, fmt, output, verbose)
    finally:
        note = tracing.shutdown()       # after the report: a slow collector never delays it
        if note:
            err.print(f"note: {note}", markup=False, highlight=False, soft_wrap=True)
    if diagnosis.verdict == "insufficient_evidence":
        from aiops.errors import EXIT_INSUFFICIENT_EVIDENCE

        raise typer.Exit(EXIT_INSUFFICIENT_EVIDENCE)


def _write_report(diagnosis, settings, fmt: str, output: Optional[Path], verbose: bool) -> None:  # noqa: ANN001
    from aiops.report import render

    if output is not None:
        from aiops.report.files import write_atomic

        write_atomic(output, render(diagnosis, fmt, settings.diagnose.max_root_causes, verbose=verbose), "--output")
        return
    from rich.console import Console

    terminal = Console()       # the width and colours of where stdout goes
    sys.stdout.write(render(diagnosis, fmt, settings.diagnose.max_root_causes, width=terminal.width,
                            color=terminal.is_terminal, verbose=verbose))
    sys.stdout.flush()
