"""`aiops diagnose`: run an investigation and print the report."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Optional

import typer


def diagnose_command(
    bundle: Optional[Path] = typer.Option(None, "--bundle", "-b", help="Incident bundle directory."),
    demo: bool = typer.Option(False, "--demo", help="Diagnose the bundled demo incident (offline, no key)."),
    fmt: Optional[str] = typer.Option(None, "--format", "-f", help="text (default), json or markdown."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the report to this file (atomically) instead of stdout."),
    reasoner: Optional[str] = typer.Option(None, "--reasoner", help="auto (llm when a model is configured), offline or llm."),
    model: Optional[str] = typer.Option(None, "--model", help="Model for the LLM reasoner (any litellm model string; sets models.planner)."),
    max_steps: Optional[int] = typer.Option(None, "--max-steps", help="Budget: tool calls over all rounds."),
    max_rounds: Optional[int] = typer.Option(None, "--max-rounds", help="Budget: plan/execute/reflect rounds."),
    max_root_causes: Optional[int] = typer.Option(None, "--max-root-causes", help="How many ranked candidates to report."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress on stderr."),
    trace: Optional[str] = typer.Option(None, "--trace", help="Trace the run: console (a span tree on stderr), "
                                        "FILE.jsonl (one JSON span a line), otlp or none. OTLP/HTTP export also "
                                        "follows the OTEL_* environment variables."),
) -> None:
    """Diagnose an incident: ranked root causes with evidence, a timeline and remediation."""
    from aiops.cli import load_cli_settings
    from aiops.errors import BadInputError

    settings = load_cli_settings({"diagnose.format": fmt, "diagnose.reasoner": reasoner,
                                  "diagnose.max_root_causes": max_root_causes, "models.planner": model,
                                  "diagnose.max_steps": max_steps, "diagnose.max_rounds": max_rounds})
    if demo == (bundle is not None):
        raise BadInputError("give exactly one of --bundle DIR or --demo")
    if demo:
        from aiops.resources import demo_bundle

        bundle = demo_bundle()

    from rich.console import Console

    from aiops.agent.events import Answer
    from aiops.agent.pipeline import diagnose
    from aiops.agent.trace_export import tracing_setup
    from aiops.cli.progress import ProgressView
    from aiops.history import RunHistory, recorded

    err = Console(stderr=True)
    fmt = settings.diagnose.format
    view = ProgressView(err, enabled=not quiet and fmt == "text" and err.is_terminal)
    diagnosis = None
    logging.getLogger("opentelemetry").setLevel(logging.ERROR)   # one note below instead of retry chatter
    tracing = tracing_setup(settings, trace, console=sys.stderr)
    history = RunHistory.from_settings(settings) if settings.history.enabled else None
    try:
        with view:
            for event in recorded(diagnose(bundle, settings, tracer_provider=tracing.provider), history, bundle=bundle):
                view.update(event)
                if isinstance(event, Answer):
                    diagnosis = event.diagnosis
        assert diagnosis is not None, "the loop ended without an answer"
        _write_report(diagnosis, settings, fmt, output)
    finally:
        note = tracing.shutdown()       # after the report: a slow collector never delays it
        if note:
            err.print(f"note: {note}", markup=False, highlight=False, soft_wrap=True)


def _write_report(diagnosis, settings, fmt: str, output: Optional[Path]) -> None:  # noqa: ANN001
    from rich.console import Console

    if fmt == "json":
        from aiops.report.json_report import render_json

        text = render_json(diagnosis) + "\n"
    elif fmt == "markdown":
        from aiops.report.markdown import render_markdown

        text = render_markdown(diagnosis, settings.diagnose.max_root_causes) + "\n"
    else:
        from aiops.report.text import render_text

        if output is None:
            render_text(diagnosis, Console(), settings.diagnose.max_root_causes)
            return
        cap = Console(record=True, width=120, file=open("/dev/null", "w"))  # noqa: SIM115
        render_text(diagnosis, cap, settings.diagnose.max_root_causes)
        text = cap.export_text()
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        from aiops.report.files import write_atomic

        write_atomic(output, text)
