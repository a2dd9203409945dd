"""A follow-up answer: the question, the checks the model ran, and its answer (Markdown)."""

from __future__ import annotations

import asyncio

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown, Static


class AnswerScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape", "app.pop_screen", "back"), Binding("q", "app.pop_screen", "back", show=False)]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question
        self.checks: list[str] = []
        self.answer: str = ""
        self.done = False
        self.answered = asyncio.Event()    # set on the UI thread when the answer arrives

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="answer-box"):
            yield Static(f"Q: {self.question}", id="answer-question")
            yield Markdown("_thinking…_", id="answer-body")
            yield Static("escape: back", id="answer-keys")

    def add_check(self, line: str) -> None:
        self.checks.append(line)
        self._refresh_body()

    def set_answer(self, text: str) -> None:
        self.answer, self.done = text, True
        self._refresh_body()
        self.answered.set()

    def _refresh_body(self) -> None:
        checks = "\n".join(f"- `{c}`" for c in self.checks)
        body = (f"**Checks**\n\n{checks}\n\n" if checks else "") + (self.answer or "_thinking…_")
        if self.is_mounted:
            self.query_one("#answer-body", Markdown).update(body)
