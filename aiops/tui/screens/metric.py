"""Drill-down: every series of one metric (optionally of one service) as charts."""

from __future__ import annotations

import asyncio

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static

from aiops.domain import TimeWindow
from aiops.errors import one_line
from aiops.tui.evidence.metrics import SeriesChart, metric_series
from aiops.tui.plot import clock
from aiops.tui.widgets.chart import ChartView
from aiops.tui.widgets.styles import theme_styles


class SeriesLoaded(Message):
    def __init__(self, charts: list[SeriesChart], total: int, error: str = "") -> None:
        super().__init__()
        self.charts, self.total, self.error = charts, total, error


class MetricScreen(Screen):
    BINDINGS = [Binding("escape,q", "app.pop_screen", "back")]

    def __init__(self, metric: str, service: str | None, window: TimeWindow, onset: float | None) -> None:
        super().__init__()
        self.metric, self.service, self.window, self.onset = metric, service, window, onset
        self.charts: list[SeriesChart] = []
        self.ready = asyncio.Event()

    def compose(self) -> ComposeResult:
        styles = theme_styles(self.app)
        head = Text(f"metric {self.metric}" + (f" · {self.service}" if self.service else ""), style=f"bold {styles.primary}")
        head.append(f"   {clock(self.window.start)}–{clock(self.window.end)} UTC", style=styles.muted)
        yield Static(head, id="metric-head")
        yield VerticalScroll(Static(Text("loading…", style=styles.muted)), id="metric-body")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="metric")
    def load(self) -> None:
        try:
            charts, total = metric_series(self.app.source.store, self.window, self.metric, self.service, self.onset)
            self.post_message(SeriesLoaded(charts, total))
        except Exception as exc:  # noqa: BLE001 - shown on the screen, never raised into the UI
            self.post_message(SeriesLoaded([], 0, f"{exc.__class__.__name__}: {one_line(exc)}"))

    def on_series_loaded(self, message: SeriesLoaded) -> None:
        styles = theme_styles(self.app)
        self.charts = message.charts
        body = self.query_one("#metric-body", VerticalScroll)
        body.remove_children()
        if message.error:
            body.mount(Static(Text(f"could not load {self.metric}: {message.error}", style=styles.error)))
        elif not message.charts:
            where = f" for {self.service}" if self.service else ""
            body.mount(Static(Text(f"No samples of {self.metric}{where} in this range.", style=styles.muted)))
        else:
            note = f"{message.total} series, the {len(message.charts)} that vary most shown" \
                if message.total > len(message.charts) else f"{message.total} series"
            body.mount(Static(Text(note, style=styles.muted)))
            body.mount_all([ChartView(c, self.window, classes="chart") for c in message.charts])
        self.ready.set()
