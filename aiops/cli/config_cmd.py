"""`aiops config check|show`."""

from __future__ import annotations

import json

import typer

app = typer.Typer(no_args_is_help=True)
SECRET_KEYS = {"internal_key", "api_key", "password", "token", "bearer_token"}


@app.command("check")
def check() -> None:
    """Validate the configuration (file, AIOPS_* env vars); name the file, key and bad value on error."""
    from aiops.cli.global_options import load_cli_settings

    settings = load_cli_settings()
    from aiops.telemetry.live.registry import build_sources

    build_sources(settings)      # live sources: each [sources.<kind>.<name>] table's options
    source = settings.source_file or "built-in defaults (no config file)"
    typer.echo(f"ok: {source}")


@app.command("show")
def show(fmt: str = typer.Option("toml", "--format", help="toml or json")) -> None:
    """Print the effective configuration (defaults < file < env vars)."""
    from aiops.cli.global_options import load_cli_settings
    from aiops.errors import BadInputError

    settings = load_cli_settings()
    data = settings.as_dict()
    for section, values in data.items():   # secrets are never printed
        for key in values:
            if key in SECRET_KEYS and values[key]:
                values[key] = "***"
    if fmt == "json":
        typer.echo(json.dumps({"source_file": settings.source_file, **data}, indent=2, default=str))
        return
    if fmt != "toml":
        raise BadInputError(f"--format {fmt!r}: use toml or json")
    typer.echo(f"# effective configuration; file: {settings.source_file or 'none'}")
    for section, values in data.items():
        typer.echo(f"\n[{section}]")
        for key, value in values.items():
            typer.echo(f"{key} = {_toml_value(value)}")


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return '""  # unset'
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(str(k))} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value))
