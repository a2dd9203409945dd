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
from aiops.errors import AiopsError

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
    ("serve", "serve_command", "serve", ""),
    ("mcp_cmd", "group", "mcp", "Model Context Protocol: serve aiops to other agents and IDEs (aiops mcp serve)."),
]

_register()


def usage_line(exc: Exception) -> str:
    """A click usage error as one line naming the command, not click's four-line usage block."""
    from aiops.errors import one_line

    message = one_line(Exception(exc.format_message())) if hasattr(exc, "format_message") else one_line(exc)
    ctx = getattr(exc, "ctx", None)
    where = getattr(ctx, "command_path", "") or "aiops"
    return f"{where}: {message} (see '{where} --help')"


def main() -> None:
    """Console entry point: maps errors to exit codes and one-line messages."""
    import click

    # click's, and newer typer's own copy of them
    usage_errors = tuple({click.exceptions.ClickException, getattr(typer, "TyperException", click.exceptions.ClickException)})
    try:
        rv = app(standalone_mode=False)
    except click.exceptions.Exit as exc:  # typer.Exit
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except usage_errors as exc:         # bad flags, bad flag values, unknown commands
        if type(exc).__name__ == "NoArgsIsHelpError":      # `aiops`, `aiops kb`: the help is the answer
            exc.show()
        else:
            typer.echo(f"error: {usage_line(exc)}", err=True)
        sys.exit(2)
    except AiopsError as exc:           # BadInputError (2), WriteError (3), the rest (1)
        from aiops.safe_text import printable

        typer.echo(f"error: {printable(str(exc), keep_lines=False)}", err=True)   # values from the input, escaped
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

        from aiops.safe_text import printable

        typer.echo(f"internal error: {exc.__class__.__name__}: {printable(one_line(exc), keep_lines=False)} "
                   "(re-run with --debug for a traceback)", err=True)
        sys.exit(1)
    sys.exit(rv if isinstance(rv, int) else 0)
