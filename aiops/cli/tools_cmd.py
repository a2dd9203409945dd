"""`aiops tools` and `aiops playbooks`: what the agent can call and which playbooks guide it."""

from __future__ import annotations

import json
from typing import Optional

import typer


def tools_command(
    fmt: str = typer.Option("text", "--format", "-f", help="text or json."),
    strict: bool = typer.Option(False, "--strict", help="Exit 2 when a tool file could not be loaded."),
) -> None:
    """List every tool the agent can call (built-in, tools/*.yaml, plug-ins), read-only all."""
    from aiops.cli.global_options import load_cli_settings
    from aiops.errors import BadInputError
    from aiops.tooling import default_registry

    settings = load_cli_settings()
    registry = default_registry(settings)
    registry.close()                   # listed: the MCP servers' connections are not needed any more
    specs = registry.specs()
    refused = [{"name": r.name, "reason": r.reason} for r in registry.refused]
    if fmt == "json":
        typer.echo(json.dumps({"tools": [{"name": s.name, "specialist": s.specialist, "description": s.description,
                                          "parameters": s.parameters, "read_only": s.read_only,
                                          "http_methods": list(s.http_methods), "origin": s.origin} for s in specs],
                               "problems": registry.problems, "refused": refused, "missing": registry.missing},
                              indent=2))
    elif fmt == "text":
        from rich.console import Console
        from rich.markup import escape
        from rich.table import Table

        table = Table(title=f"{len(specs)} tools (all read-only)", expand=True)
        table.add_column("tool", no_wrap=True)
        table.add_column("specialist")
        table.add_column("parameters", overflow="fold", ratio=1)
        table.add_column("what it does", overflow="fold", ratio=3)
        for s in specs:
            params = ", ".join(s.parameters.get("properties", {}))
            table.add_row(s.name, s.specialist, params, s.description)
        console = Console()
        console.print(table)
        for p in registry.problems:
            console.print(f"[yellow]not loaded:[/] {p}")
        for r in refused:       # an MCP server's tool that may write, or that is not on its allow-list
            console.print(f"[yellow]refused:[/] {escape(r['name'])} — {escape(r['reason'])}", highlight=False)
        for m in registry.missing:
            console.print(f"[red]unreachable:[/] {escape(m)}", highlight=False)
    else:
        raise BadInputError(f"--format {fmt!r}: choose text or json")
    if strict and registry.problems:
        raise BadInputError(registry.problems[0])


def playbooks_command(
    fmt: str = typer.Option("text", "--format", "-f", help="text or json."),
    name: Optional[str] = typer.Argument(None, help="Show one playbook in full."),
) -> None:
    """List the playbooks that guide the offline reasoner (shipped and [playbooks] paths)."""
    from aiops.agent.playbooks import default_playbooks
    from aiops.cli.global_options import load_cli_settings
    from aiops.errors import BadInputError

    playbooks, problems = default_playbooks(load_cli_settings())
    if name is not None:
        playbooks = [p for p in playbooks if p.name == name]
        if not playbooks:
            raise BadInputError(f"no playbook named {name!r} (see `aiops playbooks`)")
    if fmt == "json":
        typer.echo(json.dumps({"playbooks": [{
            "name": p.name, "title": p.title, "fault": p.fault, "description": p.description, "source": p.source,
            "checks": [{"tool": c.tool, "args": c.args, "reason": c.reason} for c in p.checks],
            "remediation": list(p.remediation), "runbook": p.runbook} for p in playbooks], "problems": problems},
            indent=2))
        return
    if fmt != "text":
        raise BadInputError(f"--format {fmt!r}: choose text or json")
    from rich.console import Console

    console = Console()
    for p in playbooks:
        console.print(f"[bold]{p.name}[/] — {p.title} [dim](fault {p.fault}, {len(p.checks)} checks)[/]")
        if name is not None:
            console.print(p.description)
            for c in p.checks:
                console.print(f"  • {c.tool} {c.args} — {c.reason}")
            for r in p.remediation:
                console.print(f"  → {r}")
    for problem in problems:
        console.print(f"[yellow]not loaded:[/] {problem}")
