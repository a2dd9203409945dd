"""The `aiops` command line (typer + rich). Thin: parse flags, call down, print.

Heavy modules (duckdb, numpy, statsmodels, litellm, textual) are imported inside the
command functions so that `aiops --help` starts fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from aiops import __version__
from aiops.cli.global_options import load_cli_settings, state  # noqa: F401 - load_cli_settings re-exported
from aiops.errors import AiopsError, BadInputError

app = typer.Typer(
    name="aiops",
    help="AIOps diagnostic agent: ranked, evidence-backed root causes for incidents — offline or with any LLM.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: rich help formatting costs ~0.3 s of imports
)


@app.callback()
def _root(
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="Config file (default: $AIOPS_CONFIG, then ~/.config/aiops/config.toml)."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for internal errors."),
) -> None:
    state.config = config
    state.debug = debug


@app.command()
def version() -> None:
    """Print the aiops version."""
    typer.echo(f"aiops {__version__}")


def _register() -> None:
    from aiops.cli import config_cmd, diagnose

    app.add_typer(config_cmd.app, name="config", help="Check or show the effective configuration.")
    app.command("diagnose")(diagnose.diagnose_command)
    # Command modules written per capability; each registers only what works.
    import importlib

    for module, kind, name, help_text in _OPTIONAL:
        try:
            mod = importlib.import_module(f"aiops.cli.{module}")
        except ModuleNotFoundError as exc:  # a capability not built yet is simply absent
            if exc.name != f"aiops.cli.{module}":
                raise
            continue
        if kind == "group":
            app.add_typer(mod.app, name=name, help=help_text)
        else:
            app.command(name)(getattr(mod, kind))


_OPTIONAL = [
    ("simulate", "simulate_command", "simulate", ""),
    ("bundle", "group", "bundle", "Validate incident bundles."),
    ("detect", "detect_command", "detect", ""),
    ("detect", "forecast_command", "forecast", ""),
    ("logs", "group", "logs", "Log analytics on a single file (template mining)."),
    ("evaluate", "eval_command", "eval", ""),
    ("kb", "group", "kb", "Knowledge base of runbooks: add, sync, watch, search, stats, remove."),
    ("gateway", "group", "gateway", "Model gateway: internal keys and usage."),
    ("tools_cmd", "tools_command", "tools", ""),
    ("tools_cmd", "playbooks_command", "playbooks", ""),
    ("tui", "tui_command", "tui", ""),
    ("sources", "sources_command", "sources", ""),
    ("snapshot", "snapshot_command", "snapshot", ""),
    ("runs", "group", "runs", "Run history: list, show and diff recorded diagnoses."),
    ("runs", "feedback_command", "feedback", ""),
    ("report", "report_command", "report", ""),
    ("mcp_cmd", "group", "mcp", "Model Context Protocol: serve aiops to other agents and IDEs (aiops mcp serve)."),
]

_register()


def main() -> None:
    """Console entry point: maps errors to exit codes and one-line messages."""
    import click

    try:
        rv = app(standalone_mode=False)
    except click.exceptions.Exit as exc:  # typer.Exit
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except click.exceptions.ClickException as exc:  # usage errors: bad flag values etc.
        exc.show()
        sys.exit(2)
    except getattr(typer, "TyperException", click.exceptions.ClickException) as exc:  # newer typer: its own usage errors
        exc.show() if hasattr(exc, "show") else typer.echo(f"error: {exc.format_message()}", err=True)
        sys.exit(2)
    except BadInputError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except AiopsError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # a bug: one line unless --debug
        if state.debug:
            raise
        from aiops.errors import one_line

        typer.echo(f"internal error: {exc.__class__.__name__}: {one_line(exc)} (re-run with --debug for a traceback)", err=True)
        sys.exit(1)
    sys.exit(rv if isinstance(rv, int) else 0)
