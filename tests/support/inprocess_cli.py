"""Run the `aiops` command line in-process (the real typer app), mapping errors to exit codes
and one-line messages the way `aiops.cli.main` does: fast enough to run many times."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


def run_aiops(*args: object) -> CliResult:
    from typer.testing import CliRunner

    from aiops.cli import app
    from aiops.errors import AiopsError

    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=True)
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit):
        if isinstance(exc, AiopsError):
            return CliResult(exc.exit_code, result.stdout, f"error: {exc}")
        raise exc
    return CliResult(result.exit_code, result.stdout, result.stderr)
