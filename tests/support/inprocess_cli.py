"""Run the `aiops` command line in-process (the real typer app), mapping errors to exit codes
and one-line messages the way `aiops.cli.main` does: fast enough to run many times.

    result = run_aiops("diagnose", "--demo", "--format", "json", env={"AIOPS_DIAGNOSE_MAX_STEPS": "4"})
    result.exit_code, result.stdout, result.stderr

`env` sets (a value of None removes) environment variables for the one call; `cwd` runs it
from that directory.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@contextlib.contextmanager
def _working_directory(cwd: str | os.PathLike[str] | None) -> Iterator[None]:
    if cwd is None:
        yield
        return
    before = Path.cwd()
    os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(before)


def run_aiops(*args: object, env: Mapping[str, str | None] | None = None,
              cwd: str | os.PathLike[str] | None = None) -> CliResult:
    from typer.testing import CliRunner

    from aiops.cli import app
    from aiops.errors import AiopsError

    with _working_directory(cwd):
        result = CliRunner().invoke(app, [str(a) for a in args], env=dict(env or {}), catch_exceptions=True)
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit):
        if isinstance(exc, AiopsError):
            return CliResult(exc.exit_code, result.stdout, f"error: {exc}")
        raise exc
    return CliResult(result.exit_code, result.stdout, result.stderr)
