"""The export dialog: a format and a path; enter writes the report atomically."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet

from aiops.tui.export import FORMATS, format_of_path


class ExportScreen(ModalScreen[tuple[str, Path] | None]):
    """Dismisses with (format, path), or None when cancelled; the app does the writing."""

    BINDINGS = [Binding("escape", "cancel", "cancel")]

    def __init__(self, default: Path, fmt: str = "json") -> None:
        super().__init__()
        self.fmt = fmt
        self.default = default.with_suffix(FORMATS[fmt])

    def compose(self) -> ComposeResult:
        with Vertical(id="export-box"):
            yield Label("Export the report", id="export-title")
            with RadioSet(id="export-format"):
                for fmt in FORMATS:
                    yield RadioButton(fmt, value=fmt == self.fmt, name=fmt)
            yield Input(str(self.default), id="export-path", placeholder="file to write")
            with Horizontal(id="export-buttons"):
                yield Button("Export", id="export-ok", variant="primary")
                yield Button("Cancel", id="export-cancel")

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    @on(RadioSet.Changed, "#export-format")
    def _format_changed(self, event: RadioSet.Changed) -> None:
        self.fmt = event.pressed.name or "json"
        box = self.query_one("#export-path", Input)
        path = Path(box.value or str(self.default))
        box.value = str(path.with_suffix(FORMATS[self.fmt]))

    @on(Input.Submitted, "#export-path")
    @on(Button.Pressed, "#export-ok")
    def _submit(self) -> None:
        value = self.query_one("#export-path", Input).value.strip()
        if not value:
            self.notify("give a file to write", severity="warning")
            return
        path = Path(value)
        self.dismiss((format_of_path(path, self.fmt), path))

    @on(Button.Pressed, "#export-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
