"""`aiops sources`: the configured live sources and their health.

For each source: kind, name, where it points (never a secret), whether it answered, its
version, the latency of the check and the error when it did not. `--format json` adds
the HTTP endpoints each source may call (all GET) and the tables it fills.
"""

from __future__ import annotations

import json
from typing import Optional

import typer

from aiops.errors import BadInputError

_FORMATS = ("text", "json")


def sources_command(
    fmt: str = typer.Option("text", "--format", "-f", help="text or json."),
    source: Optional[list[str]] = typer.Option(None, "--source", metavar="<name>",
                                               help="Only these sources (NAME, KIND or KIND.NAME); repeatable."),
) -> None:
    """List the configured live sources with their health (reachable, version, latency, error)."""
    if fmt not in _FORMATS:
        raise BadInputError(f"--format {fmt!r}: use one of {', '.join(_FORMATS)}")
    from aiops.cli.global_options import load_cli_settings
    from aiops.telemetry.live.collect import check_all
    from aiops.telemetry.live.registry import build_sources

    settings = load_cli_settings()
    sources = build_sources(settings, list(source or []) or None)
    try:
        checked = check_all(sources)
    finally:
        for s in sources:
            s.close()
    rows = [{"kind": s.kind, "name": s.name, "target": s.target(), "healthy": h.ok, "message": h.message,
             "version": h.version, "latency_s": round(h.latency_s, 3), "provides": list(s.provides),
             "methods": sorted(s.methods()),
             "endpoints": [{"method": e.method, "path": e.path, "purpose": e.purpose} for e in s.ENDPOINTS]}
            for s, h in checked]
    if fmt == "json":
        typer.echo(json.dumps({"config": settings.source_file, "sources": rows}, indent=2))
        return
    if not rows:
        where = settings.source_file or "no config file"
        typer.echo(f"no live sources configured ({where}); add [sources.<kind>.<name>] tables, "
                   "see docs/live-sources.md")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for col in ("source", "target", "health", "latency", "detail"):
        table.add_column(col, overflow="fold")
    for r in rows:
        health = "[green]ok[/]" if r["healthy"] else "[red]down[/]"
        table.add_row(f"{r['kind']}.{r['name']}", r["target"], health, f"{r['latency_s'] * 1000:.0f} ms", r["message"])
    Console().print(table)
