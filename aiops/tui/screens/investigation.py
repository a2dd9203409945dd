"""The main screen: status line, plan tree and step log on the left, ranked hypotheses and
the selected one's summary on the right, a hidden command line at the bottom."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.suggester import SuggestFromList
from textual.widgets import DataTable, Footer, Input, Static

from aiops.tui.run_state import RunState
from aiops.tui.widgets.run_view import HypothesisDetail, HypothesisTable, PlanTree, StepLog


class InvestigationScreen(Screen):
    BINDINGS = [
        Binding("enter", "evidence", "evidence", show=False),
        Binding("colon", "command_line", ":command"),
        Binding("escape", "close_command_line", "close", show=False),
        *[Binding(str(n), f"pick({n})", f"hypothesis {n}", show=False) for n in range(1, 10)],
    ]

    def compose(self) -> ComposeResult:
        yield Static("", id="status")
        with Horizontal(id="panes"):
            with Vertical(id="left"):
                yield PlanTree(id="plan")
                yield StepLog(id="steplog")
            with Vertical(id="right"):
                yield HypothesisTable(id="hypotheses")
                yield VerticalScroll(HypothesisDetail(id="detail"), id="detail-box")
        yield Input(placeholder="service NAME · metric NAME [SERVICE] · range START END · export json [PATH] · rerun",
                    id="command")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#plan").border_title = "plan"
        self.query_one("#steplog").border_title = "step log"
        self.query_one("#hypotheses").border_title = "hypotheses"
        self.query_one("#detail-box").border_title = "selected"
        self.query_one("#command").display = False
        self.query_one(HypothesisTable).focus()

    # -- updates from the app ---------------------------------------------------------
    def reset_run(self) -> None:
        self.query_one(PlanTree).reset_plan()
        self.query_one(StepLog).reset_log()
        self.query_one(HypothesisTable).show([])
        self.query_one(HypothesisDetail).show(None, RunState())

    def show(self, state: RunState, changed: set[str]) -> None:
        if "plan" in changed:
            self.query_one(PlanTree).show(state)
        if "log" in changed:
            self.query_one(StepLog).show(state)
        if "ranked" in changed:
            table = self.query_one(HypothesisTable)
            table.show(state.ranked)
            self.query_one(HypothesisDetail).show(table.selected, state)

    def set_status(self, text: object) -> None:
        # the status timer can fire while the app tears the screen down: no widget, no update
        for status in self.query("#status").results(Static):
            status.update(text)

    def set_suggestions(self, words: list[str]) -> None:
        self.query_one("#command", Input).suggester = SuggestFromList(words, case_sensitive=False)

    # -- the hypotheses ---------------------------------------------------------------
    @on(DataTable.RowHighlighted, "#hypotheses")
    def _highlighted(self) -> None:
        self.query_one(HypothesisDetail).show(self.query_one(HypothesisTable).selected, self.app.state)

    @on(DataTable.RowSelected, "#hypotheses")
    def _selected(self) -> None:
        self.action_evidence()

    def action_evidence(self) -> None:
        ranked = self.query_one(HypothesisTable).selected
        if ranked is None:
            self.notify("no hypothesis yet", severity="warning")
            return
        self.app.open_evidence(ranked.service, ranked)

    def action_pick(self, n: int) -> None:
        table = self.query_one(HypothesisTable)
        if n <= len(table.ranked):
            table.move_cursor(row=n - 1)
            table.focus()

    # -- the command line -------------------------------------------------------------
    def action_command_line(self, prefill: str = "") -> None:
        box = self.query_one("#command", Input)
        box.display = True
        box.value = prefill
        box.cursor_position = len(prefill)
        box.focus()

    def action_close_command_line(self) -> None:
        box = self.query_one("#command", Input)
        if box.display:
            box.display = False
            self.query_one(HypothesisTable).focus()

    @on(Input.Submitted, "#command")
    def _command(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        self.action_close_command_line()
        if text:
            self.app.run_command(text)
