"""Offline drill-downs from the command line and the palette, over the demo's real store."""

from __future__ import annotations

import asyncio

from textual.geometry import Region
from textual.widgets import Input

from aiops.tui.app import AiopsApp
from aiops.tui.screens.evidence import EvidenceScreen
from aiops.tui.screens.metric import MetricScreen
from aiops.tui.source import InvestigationSource
from aiops.tui.widgets.chart import ChartView

TIMEOUT = 60   # a safety net against a hang, not a timing assertion


def plain(widget) -> str:  # noqa: ANN001
    return "\n".join(strip.text for strip in widget.render_lines(Region(0, 0, *widget.size)))


async def command(pilot, text: str) -> None:  # noqa: ANN001
    """Open the command line with `:`, fill it, press enter (typing key by key adds nothing here)."""
    await pilot.press("colon")
    box = pilot.app.main.query_one("#command", Input)
    assert box.has_focus
    box.value = text
    await pilot.press("enter")
    await pilot.pause()


def test_drill_down_commands_over_the_store(demo):
    source = InvestigationSource(label="demo store", run=None, incident=demo.incident, store=demo.store)
    app = AiopsApp(source)
    onset = demo.incident.started_at

    async def scenario() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await asyncio.wait_for(app.catalog_ready.wait(), TIMEOUT)
            assert app.services == demo.store.services()

            await command(pilot, "range onset-5m onset+5m")
            assert (app.time_range.start, app.time_range.end) == (onset - 300, onset + 300)
            assert "range 20:02:25–20:12:25" in plain(app.main.query_one("#status"))

            await command(pilot, "metric latency_p99_seconds inventory")
            screen = app.screen
            assert isinstance(screen, MetricScreen)
            await asyncio.wait_for(screen.ready.wait(), TIMEOUT)
            await pilot.pause()
            charts = list(screen.query(ChartView))
            assert charts and {c.chart.service for c in charts} == {"inventory"}
            assert all(c.window == app.time_range for c in charts)
            assert all(app.time_range.start <= t <= app.time_range.end for t in charts[0].chart.timestamps)
            await pilot.press("escape")

            await command(pilot, "service checkout")
            screen = app.screen
            assert isinstance(screen, EvidenceScreen) and screen.target.service == "checkout"
            assert screen.target.window == app.time_range
            await asyncio.wait_for(screen.ready.wait(), TIMEOUT)
            assert screen.data.templates and all(t.service == "checkout" for t in screen.data.templates)
            await pilot.press("escape")

            await command(pilot, "service nosuch")
            assert app.screen is app.main
            messages = [n.message for n in app._notifications]
            assert "no service named 'nosuch' in this incident" in messages
            await command(pilot, "export json")
            assert any(m.startswith("no answer yet") for m in (n.message for n in app._notifications))

            palette = {c.title for c in app.get_system_commands(app.main)}
            assert "Evidence: checkout" in palette and "Metric: latency_p99_seconds" in palette
            assert "Export report as html" in palette and "Re-run the investigation" not in palette

    asyncio.run(scenario())
