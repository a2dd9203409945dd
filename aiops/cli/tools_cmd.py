"""`aiops tools` and `aiops playbooks`: what the agent can call and which playbooks guide it."""

from __future__ import annotations

import json
from typing import Optional

import typer


def tools_command(
    fmt: str = typer.Option("text", "--format", "-f", help="text or json."),
    strict: bool = typer.Option(False, "--strict", help="Exit 2 when a tool file could not be loaded."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Every tool's parameters and whole description."),
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
        from rich.text import Text

        console = Console()
        for line in tools_text(specs, console.width, verbose):
            console.print(line, no_wrap=not verbose)
        for p in registry.problems:
            console.print(Text.assemble(("not loaded: ", "yellow"), p))
        for r in refused:       # an MCP server's tool that may write, or that is not on its allow-list
            console.print(Text.assemble(("refused: ", "yellow"), f"{r['name']} — {r['reason']}"), highlight=False)
        for m in registry.missing:
            console.print(Text.assemble(("unreachable: ", "red"), m), highlight=False)
    else:
        raise BadInputError(f"--format {fmt!r}: choose text or json")
    if strict and registry.problems:
        raise BadInputError(registry.problems[0])


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]


def tools_text(specs: list, width: int, verbose: bool = False) -> list:  # -> rich renderables
    """One line a tool (name, specialist, what it does, cut to fit); verbose: parameters and
    the whole description below each name, wrapped."""
    from rich.padding import Padding
    from rich.text import Text

    from aiops.cli.columns import fit_columns

    title = Text(f"{len(specs)} tools, all read-only" + ("" if verbose else " (--verbose: parameters, "
                                                          "whole descriptions)"), style="dim")
    if verbose:
        out = [title]
        for s in specs:
            params = ", ".join(s.parameters.get("properties", {})) or "no parameters"
            out += [Text.assemble((s.name, "bold"), f"  ({s.specialist}; {params})"),
                    Padding(Text(" ".join(s.description.split())), (0, 0, 0, 4), expand=False)]
        return out
    rows = [[s.name, s.specialist, _first_sentence(s.description)] for s in specs]
    head, *lines = fit_columns(["tool", "specialist", "what it does"], rows, width, {"what it does": 1})
    return [title, Text(head, style="bold"), *(Text(line) for line in lines)]


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
