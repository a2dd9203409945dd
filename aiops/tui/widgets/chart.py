"""A metric series as a Braille line chart that fits its widget's width, onset marked."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from aiops.analytics.units import metric_unit
from aiops.domain import TimeWindow
from aiops.tui.evidence.metrics import SeriesChart
from aiops.tui.plot import render_chart
from aiops.tui.widgets.styles import theme_styles

PLOT_ROWS = 5


class ChartView(Widget):
    """Title, the finding's sentence, the chart and its time axis (height set in app.tcss)."""

    DEFAULT_CSS = "ChartView { height: 8; }"

    def __init__(self, chart: SeriesChart, window: TimeWindow, **kwargs) -> None:  # noqa: ANN003
        super().__init__(**kwargs)
        self.chart = chart
        self.window = window

    def render(self) -> Text:
        styles = theme_styles(self.app)
        c = self.chart
        width = max(self.size.width, 20)
        title = Text(c.title, style=f"bold {styles.primary}")
        if c.score:
            title.append(f"  score {c.score:.2f}", style=styles.muted)
        lines = [title, Text(c.summary or "(charted on request)", style=styles.muted)]
        chart = render_chart(c.timestamps, c.values, self.window.start, self.window.end, width, PLOT_ROWS,
                             c.onset, styles.chart(), unit=metric_unit(c.metric) if not c.is_rate else "/s")
        lines += chart.split("\n")
        for line in lines:
            line.truncate(width, overflow="ellipsis")
        return Text("\n", no_wrap=True).join(lines)
