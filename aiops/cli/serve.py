"""`aiops serve`: receive Alertmanager webhooks, diagnose each incident from the live
sources, deliver the answer (Slack-compatible webhook, JSON webhook, files).

    aiops serve [--bind 127.0.0.1] [--port 9095]

Runs until SIGINT or SIGTERM; then stops listening, lets running diagnoses finish and logs
every incident still waiting as skipped. Exit 2 on a bad configuration.
"""

from __future__ import annotations

import signal
import threading
from typing import Optional

import typer


def serve_command(
    bind: Optional[str] = typer.Option(None, "--bind", help="Listen address (default serve.bind, 127.0.0.1)."),
    port: Optional[int] = typer.Option(None, "--port", help="Listen port (default serve.port, 9095)."),
) -> None:
    """Receive Alertmanager webhooks, diagnose every incident, deliver the answers (until Ctrl-C / SIGTERM)."""
    from aiops.cli.global_options import load_cli_settings
    from aiops.service.app import Service

    settings = load_cli_settings({"serve.bind": bind, "serve.port": port})
    service = Service.from_settings(settings)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    service.start()
    s = settings.serve
    sinks = ", ".join(x.name for x in service.deliveries.sinks)
    typer.echo(f"aiops serve: listening on {service.url} (POST /alerts, GET /healthz, GET /metrics); "
               f"delivering to {sinks}; log {service.log.path}", err=True)
    typer.echo(f"aiops serve: debounce {s.debounce_s:g} s, {s.concurrency} at once, at most {s.max_queue} waiting"
               + ("" if s.token else "; no token: loopback callers only"), err=True)
    while not stop.wait(1.0):
        pass
    typer.echo("aiops serve: stopping (running diagnoses finish; waiting incidents are logged as skipped)", err=True)
    service.stop()
    typer.echo("aiops serve: stopped", err=True)
