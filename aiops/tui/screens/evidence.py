"""The evidence of one hypothesis (or any service drilled into), one tab per kind.

The data is gathered in a thread worker (`aiops.tui.evidence.gather`) and arrives as an
`EvidenceLoaded` message; until then each tab says it is loading.
"""

from __future__ import annotations

import asyncio

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Markdown, Static, TabbedContent, TabPane

from aiops.safe_text import map_strings
from aiops.timeutil import to_rfc3339
from aiops.tui.evidence import EvidenceData, EvidenceTarget, gather
from aiops.tui.evidence.changes import relative
from aiops.tui.plot import clock, sparkline
from aiops.tui.widgets.chart import ChartView
from aiops.tui.widgets.styles import ThemeStyles, theme_styles

TABS = ("overview", "metrics", "logs", "traces", "changes", "runbooks")


class EvidenceLoaded(Message):
    def __init__(self, data: EvidenceData) -> None:
        super().__init__()
        self.data = data


class EvidenceScreen(Screen):
    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "back"),
        *[Binding(str(i + 1), f"tab('{name}')", name, show=False) for i, name in enumerate(TABS)],
        Binding("right,l", "next_tab(1)", "next tab", show=False),
        Binding("left,h", "next_tab(-1)", "previous tab", show=False),
    ]

    def __init__(self, target: EvidenceTarget) -> None:
        super().__init__()
        self.target = target
        self.data: EvidenceData | None = None
        self.ready = asyncio.Event()

    def compose(self) -> ComposeResult:
        t = self.target
        yield Static(self._heading(), id="evidence-head")
        with TabbedContent(id="evidence-tabs"):
            with TabPane("1 Overview", id="overview"):
                yield VerticalScroll(Static(self._overview(), id="overview-body"))
            for i, name in enumerate(TABS[1:], start=2):
                with TabPane(f"{i} {name.title()}", id=name):
                    yield VerticalScroll(Static(Text("loading…" if self._has_data(name) else self._no_store(name)),
                                                classes="pane-note"), id=f"{name}-body")
        yield Footer()
        self.sub_title = t.service

    def on_mount(self) -> None:
        self.load()

    def _has_data(self, part: str) -> bool:
        return part == "runbooks" or self.app.source.store is not None

    def _no_store(self, part: str) -> str:
        return (f"No telemetry to show {part}: this run was opened from a report. "
                "Open it with --bundle DIR as well to drill into its data.")

    # -- loading ----------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="evidence")
    def load(self) -> None:
        app = self.app
        data = map_strings(gather(app.source.store, self.target, app.logs_cache, app.mining_window()))
        self.post_message(EvidenceLoaded(data))

    def on_evidence_loaded(self, message: EvidenceLoaded) -> None:
        self.data = data = message.data
        styles = theme_styles(self.app)
        if self.app.source.store is not None:
            self._fill("metrics", [ChartView(c, self.target.window, classes="chart") for c in data.charts]
                       or [Static(Text("No anomalous metric series for this service.", style=styles.muted))])
            self._fill("logs", [Static(self._templates(styles), id="logs-list")])
            self._fill("traces", [Static(self._traces(styles), id="traces-list")])
            self._fill("changes", [Static(self._changes(styles), id="changes-list")])
        self._fill("runbooks", [Markdown(r.markdown, classes="runbook") for r in data.runbooks]
                   or [Static(Text("The diagnosis cites no runbooks.", style=styles.muted))])
        for part, reason in data.errors.items():
            self.query_one(f"#{part}-body", VerticalScroll).mount(
                Static(Text(f"could not load {part}: {reason}", style=styles.error)), before=0)
        self.ready.set()

    def _fill(self, part: str, widgets: list) -> None:
        body = self.query_one(f"#{part}-body", VerticalScroll)
        body.remove_children()
        body.mount_all(widgets)

    # -- actions ----------------------------------------------------------------------
    def action_tab(self, name: str) -> None:
        self.query_one(TabbedContent).active = name

    def action_next_tab(self, step: int) -> None:
        tabs = self.query_one(TabbedContent)
        i = TABS.index(tabs.active) if tabs.active in TABS else 0
        tabs.active = TABS[(i + step) % len(TABS)]

    # -- rendering --------------------------------------------------------------------
    def _heading(self) -> Text:
        styles = theme_styles(self.app)
        t = self.target
        text = Text(t.heading, style=f"bold {styles.primary}")
        text.append(f"   {clock(t.window.start)}–{clock(t.window.end)} UTC", style=styles.muted)
        if t.onset is not None:
            text.append(f" · onset {clock(t.onset)}", style=styles.warn)
        return text

    def _overview(self) -> Text:
        styles = theme_styles(self.app)
        t = self.target
        text = Text()
        if t.summary:
            text.append(t.summary + "\n\n")
        text.append(f"Findings for {t.service} ({len(t.findings)})\n", style="bold")
        for f in t.findings[:30]:
            text.append(f"{f.score:4.2f} ", style=styles.accent)
            text.append(f"[{f.kind}] ", style="bold")
            text.append(f.summary)
            if f.onset is not None:
                text.append(f"  @{to_rfc3339(f.onset)[11:19]}", style=styles.muted)
            text.append("\n")
        if not t.findings:
            text.append("none: nothing anomalous was found for this service\n", style=styles.muted)
        if t.remediation:
            text.append("\nRemediation\n", style="bold")
            for r in t.remediation:
                text.append("→ ", style=styles.ok)
                text.append(r + "\n")
        return text

    def _templates(self, styles: ThemeStyles) -> Text:
        data = self.data
        text = Text()
        if not data.templates:
            return Text(f"No log lines from {self.target.service} in this range.", style=styles.muted)
        text.append(f"Templates of {self.target.service}: lines before → after {clock(self.target.split)}\n\n",
                    style=styles.muted)
        for tv in data.templates:
            if tv.label:
                text.append(f"[{tv.label}] ", style=f"bold {styles.error if tv.error else styles.warn}")
            text.append(f"{tv.before} → {tv.after} lines  ", style="bold")
            text.append(sparkline(tv.counts, 30) + "\n", style=styles.primary)
            text.append("  " + tv.template + "\n", style=styles.error if tv.error else "")
            for s in tv.samples:
                text.append("  › " + s + "\n", style=styles.muted)
            text.append("\n")
        return text

    def _traces(self, styles: ThemeStyles) -> Group | Text:
        tr = self.data.traces
        if tr is None or tr.requests == 0:
            return Text(f"No requests into {self.target.service} in the traces of this range.", style=styles.muted)
        table = Table(title=f"{tr.requests} requests into {self.target.service}: paths, before → after "
                            f"{clock(self.target.split)}", expand=True, title_justify="left", box=box.SIMPLE_HEAD)
        table.add_column("path", ratio=3, overflow="fold")
        table.add_column("requests", justify="right", no_wrap=True)
        table.add_column("p90 ms", justify="right", no_wrap=True)
        table.add_column("errors", justify="right", no_wrap=True)
        for p in tr.paths:
            slow = p.after and p.slowdown >= 1.5
            table.add_row(p.path, f"{p.before}→{p.after}",
                          Text(f"{p.p90_before_ms:.0f}→{p.p90_after_ms:.0f}", style=styles.warn if slow else ""),
                          Text(f"{p.errors_after} ({p.own_errors_after} own)" if p.errors_after else "0",
                               style=styles.error if p.errors_after else ""))
        slowest = Table(title="slowest after the onset", expand=True, title_justify="left", box=box.SIMPLE_HEAD)
        slowest.add_column("trace id", no_wrap=True)
        slowest.add_column("at", no_wrap=True)
        slowest.add_column("ms", justify="right")
        slowest.add_column("", no_wrap=True)
        for s in tr.slowest:
            slowest.add_row(s.trace_id, clock(s.start, seconds=True), f"{s.duration_ms:.0f}",
                            Text("error", style=styles.error) if s.error else "")
        return Group(table, slowest)

    def _changes(self, styles: ThemeStyles) -> Table | Text:
        if not self.data.changes:
            return Text("No change or cluster events in or before this range.", style=styles.muted)
        table = Table(expand=True, box=box.SIMPLE_HEAD, pad_edge=False)
        table.add_column("at UTC", no_wrap=True)
        table.add_column("vs onset", no_wrap=True, justify="right")
        table.add_column("kind", no_wrap=True)
        table.add_column("service", no_wrap=True)
        table.add_column("message", ratio=3, overflow="fold")
        for c in self.data.changes:
            style = "bold" if c.own else styles.muted
            table.add_row(clock(c.ts, seconds=True), relative(c.ts, self.target.onset), Text(c.kind, style=styles.warn if c.flagged else ""),
                          Text(c.service, style=style), Text(c.message, style=style))
        return table
