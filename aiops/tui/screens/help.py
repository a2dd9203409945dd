"""The help screen: keys and drill-down commands (docs/tui.md documents the same; a test checks)."""

from __future__ import annotations

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from aiops.tui.command_line import COMMANDS

KEYS: list[tuple[str, str, str]] = [
    ("main", "↑ ↓ / 1–9", "select a hypothesis"),
    ("main", "enter", "open the evidence of the selected hypothesis"),
    ("main", "tab / shift+tab", "move between plan, hypotheses and step log"),
    ("main", ":", "command line (drill-downs, range, export, rerun)"),
    ("main", "e", "export the report (JSON, Markdown, HTML)"),
    ("main", "r", "re-run the investigation"),
    ("main", "ctrl+p", "command palette (every command, services, metrics, themes)"),
    ("main", "? / f1", "this help"),
    ("main", "q", "quit"),
    ("evidence", "1–6", "overview, metrics, logs, traces, changes, runbooks"),
    ("evidence", "← → / h l", "previous / next tab"),
    ("evidence", "escape / q", "back"),
]


NOTE = ("Drill-downs read the incident's telemetry offline (bundle or demo). In LLM mode, "
        "`ask QUESTION` asks the model about the incident; it may run read-only checks first.")


def help_renderable(accent: str = "bold", muted: str = "dim") -> Group:
    keys = Table(box=box.SIMPLE_HEAD, expand=True, pad_edge=False, title="Keys", title_justify="left",
                 title_style="bold")
    keys.add_column("screen", no_wrap=True, style=muted)
    keys.add_column("key", no_wrap=True, style=accent)
    keys.add_column("does", ratio=1)
    for screen, key, what in KEYS:
        keys.add_row(screen, key, what)
    commands = Table(box=box.SIMPLE_HEAD, expand=True, pad_edge=False, title="Commands  (:  or  ctrl+p)",
                     title_justify="left", title_style="bold")
    commands.add_column("command", style=accent, overflow="fold")
    commands.add_column("does", ratio=1)
    for usage, what in COMMANDS.values():
        commands.add_row(usage, what)
    return Group(keys, commands, Text(NOTE, style=muted), Text("escape closes this help", style=muted))


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape,q,question_mark,f1", "app.pop_screen", "close")]

    def compose(self) -> ComposeResult:
        from aiops.tui.widgets.styles import theme_styles

        styles = theme_styles(self.app)
        with VerticalScroll(id="help-box"):
            yield Static(help_renderable(f"bold {styles.accent}", styles.muted), id="help-text")
