"""`aiops bundle validate PATH`: load an incident bundle and say what it holds.

Prints per-file rows, the incident window (given or derived), the services found and
warnings; exit 2 with one line on stderr when the bundle is unusable.
"""

from __future__ import annotations

import json

import typer

from aiops.errors import BadInputError

app = typer.Typer(no_args_is_help=True)

_FORMATS = ("text", "json")


@app.command("validate")
def validate_command(
    path: str = typer.Argument(..., help="Bundle directory (holds incident.toml)."),
    fmt: str = typer.Option("text", "--format", "-f", help="text or json."),
) -> None:
    """Check that a bundle loads; show files, rows, window, services and warnings."""
    if fmt not in _FORMATS:
        raise BadInputError(f"--format {fmt!r}: use one of {', '.join(_FORMATS)}")
    from aiops.cli.global_options import load_cli_settings
    from aiops.telemetry.bundle import validate_bundle
    from aiops.telemetry.limits import BundleLimits

    report = validate_bundle(path, BundleLimits.from_settings(load_cli_settings())).as_dict()
    if fmt == "json":
        typer.echo(json.dumps(report, indent=2))
        return
    from aiops.safe_text import map_strings

    typer.echo(render_text(map_strings(report)))       # titles and warnings from the data, escaped


def render_text(report: dict) -> str:
    inc = report["incident"]
    lines = [f"bundle   {report['path']}", f"title    {inc['title']}",
             f"window   {inc['window']['start']} .. {inc['window']['end']}"]
    if inc["started_at"]:
        lines.append(f"started  {inc['started_at']}")
    if inc["alert"]:
        lines.append("alert    " + ", ".join(f"{k}={v}" for k, v in inc["alert"].items()))
    data = report["data_range"]
    lines.append(f"data     {data['start']} .. {data['end']}" if data else "data     (none)")
    lines.append("")
    width = max([len(f["path"]) for f in report["files"]] + [4])
    lines.append(f"{'file':<{width}}  {'table':<7}  {'rows':>10}")
    for f in report["files"]:
        lines.append(f"{f['path']:<{width}}  {f['table']:<7}  {f['rows']:>10}")
    lines.append("")
    lines.append("rows     " + ", ".join(f"{t} {n}" for t, n in report["counts"].items()))
    lines.append(f"services ({len(report['services'])}) " + (", ".join(report["services"]) or "(none)"))
    for w in report["warnings"]:
        lines.append(f"warning: {w}")
    return "\n".join(lines)
