"""`aiops tui` at the command line: bad input is a one-line exit 2 before any screen appears,
and textual stays out of `aiops --help` (checked in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from inprocess_cli import run_aiops as run


@pytest.mark.parametrize("args, message", [
    ((), "aiops tui needs --bundle DIR, --demo, live input"),
    (("--bundle", "/nowhere/bundle"), "/nowhere/bundle: bundle does not exist"),
    (("--demo", "--bundle", "x"), "give one of --bundle DIR, --demo or live input"),
    (("--open", "/nowhere/report.json"), "/nowhere/report.json: report does not exist"),
    (("--demo", "--theme", "neon"), "--theme neon: not one of"),
])
def test_bad_input_is_one_line_and_exit_2(args, message):
    proc = run("tui", *args)
    assert proc.exit_code == 2, proc.stderr
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert proc.stdout == ""


def test_help_lists_tui_without_importing_textual():
    code = ("import sys; from aiops.cli import app; "
            "print('textual' in sys.modules, 'aiops.tui.app' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.split() == ["False", "False"], proc.stderr
    assert "tui" in run("--help").stdout
