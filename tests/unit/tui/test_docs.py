"""docs/tui.md documents every key of the help screen and every command the app accepts."""

from __future__ import annotations

from pathlib import Path

from aiops.tui.command_line import COMMANDS
from aiops.tui.screens.help import KEYS

DOC = Path(__file__).resolve().parents[3] / "docs" / "tui.md"


def test_every_command_and_key_is_documented():
    text = DOC.read_text()
    for usage, _ in COMMANDS.values():
        assert f"`{usage.split()[0]}" in text, usage
    for _, key, what in KEYS:
        assert what in text, (key, what)
    assert (DOC.parent / "tui.svg").is_file() and "](tui.svg)" in text
