"""The issue's walk-through with a pilot, at 80x24: start the demo investigation, wait for the
answer, select the second hypothesis, open its evidence, export JSON."""

from __future__ import annotations

import asyncio
import json

from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import DataTable, Input

from aiops.agent.session import Session
from aiops.config import Settings
from aiops.resources import demo_bundle
from aiops.tui.app import AiopsApp
from aiops.tui.screens.evidence import EvidenceScreen
from aiops.tui.screens.export import ExportScreen
from aiops.tui.source import bundle_source
from aiops.tui.widgets.chart import ChartView
from aiops.tui.widgets.run_view import HypothesisDetail, PlanTree

TIMEOUT = 60   # a safety net against a hang, not a timing assertion


def squeeze(text: str) -> str:
    return "".join(text.split())


def plain(widget: Widget) -> str:
    """The text the widget shows on screen, line by line."""
    return "\n".join(strip.text for strip in widget.render_lines(Region(0, 0, *widget.size)))


def demo_spans_services() -> list[str]:
    from aiops.telemetry.bundle import load_bundle

    loaded = load_bundle(demo_bundle())
    try:
        return loaded.store.services_by_table()["spans"]
    finally:
        loaded.store.close()


def test_demo_second_hypothesis_evidence_and_json_export(tmp_path):
    source = bundle_source(demo_bundle(), Session(Settings()), label="demo")
    app = AiopsApp(source, Settings(), export_dir=tmp_path)
    target = tmp_path / "second.json"

    async def walk() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await asyncio.wait_for(app.run_finished.wait(), TIMEOUT)
            await pilot.pause()
            d = app.state.diagnosis
            assert d is not None and len(d.root_causes) >= 5 and not app.state.failure

            # the main screen: every pane on screen at 80x24, the plan done, the ranking shown
            for pane in ("#plan", "#steplog", "#hypotheses", "#detail-box", "#status"):
                region = app.screen.query_one(pane).region
                assert region.width >= 20 and region.height >= 1 and region.right <= 80 and region.bottom <= 24, pane
            assert "✔ done" in plain(app.screen.query_one("#status"))
            tree = app.screen.query_one(PlanTree)
            steps = [n for rnd in tree.root.children for n in rnd.children if n.data in app.state.steps]
            assert len(steps) == len(app.state.steps) >= 1
            assert all(str(n.label)[0] in "✔–✘⊘" for n in steps)          # every step shown finished
            table = app.screen.query_one("#hypotheses", DataTable)
            assert table.row_count == len(d.root_causes)
            second = d.root_causes[1]
            assert str(table.get_row_at(1)[1]) == second.service

            # select the second hypothesis: its summary shows beside the table
            await pilot.press("down")
            assert table.cursor_row == 1
            assert f"#2 {second.service}" in plain(app.screen.query_one(HypothesisDetail))

            # open its evidence
            await pilot.press("enter")
            screen = app.screen
            assert isinstance(screen, EvidenceScreen)
            await asyncio.wait_for(screen.ready.wait(), TIMEOUT)
            await pilot.pause()
            assert f"#2 {second.service}" in plain(screen.query_one("#evidence-head"))
            await pilot.press("2")
            charts = list(screen.query(ChartView))
            assert charts and all(c.chart.service == second.service for c in charts)
            drawn = plain(charts[0])
            assert "onset" in drawn and any("\u2800" < ch <= "\u28ff" for ch in drawn)   # Braille dots, onset marked
            await pilot.press("3")
            logs = plain(screen.query_one("#logs-list"))
            own = [t for t in screen.data.templates if t.service == second.service]
            cited = [e.ref.split(":", 1)[1] for e in second.evidence if e.ref.startswith("log_template:")]
            shown = next(t for t in own if t.template_id in cited) if cited else own[0]
            assert squeeze(shown.template) in squeeze(logs)        # wrapped on screen, whole in content
            assert f"{shown.before} → {shown.after} lines" in logs
            await pilot.press("4")
            traced = second.service in set(demo_spans_services())
            traces = plain(screen.query_one("#traces-list"))
            assert (f"requests into {second.service}" in traces) if traced else \
                (f"No requests into {second.service}" in traces)    # an untraced database says so
            await pilot.press("escape")
            assert app.screen is app.main

            # export JSON through the dialog
            await pilot.press("e")
            assert isinstance(app.screen, ExportScreen)
            app.screen.query_one("#export-path", Input).value = str(target)
            await pilot.press("enter")
            await pilot.pause()
            assert app.screen is app.main and app.last_export == target

    try:
        asyncio.run(walk())
    finally:
        source.close()
    doc = json.loads(target.read_text())
    assert doc["schema_version"] == 1 and doc["run_id"] == app.state.run_id
    assert [c["service"] for c in doc["root_causes"]] == [c.service for c in app.state.diagnosis.root_causes]
    assert doc["root_causes"][1]["service"] == app.state.diagnosis.root_causes[1].service
