"""The app while a run is going: a key press is handled while a slow tool blocks the source;
several rounds, out-of-order steps and unknown events show; re-run; a past report opens."""

from __future__ import annotations

import asyncio

from textual.geometry import Region
from textual.widgets import DataTable, Markdown

from aiops.report.json_report import render_json
from aiops.tui.app import AiopsApp
from aiops.tui.screens.evidence import EvidenceScreen
from aiops.tui.screens.help import HelpScreen
from aiops.tui.source import InvestigationSource, report_source
from aiops.tui.widgets.run_view import PlanTree

from .scripted import INCIDENT, BlockingRun

TIMEOUT = 60   # a safety net against a hang, not a timing assertion


def plain(widget) -> str:  # noqa: ANN001
    return "\n".join(strip.text for strip in widget.render_lines(Region(0, 0, *widget.size)))


def labels(tree: PlanTree) -> dict[str, str]:
    out = {}
    for rnd in tree.root.children:
        for node in rnd.children:
            out[node.data if node.data and not node.data.startswith("round:") else str(node.label)] = str(node.label)
    return out


def test_a_key_is_handled_while_a_slow_tool_blocks_the_investigation():
    run = BlockingRun()
    app = AiopsApp(InvestigationSource(label="scripted", run=run, incident=INCIDENT))

    async def scenario() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            assert await asyncio.to_thread(run.reached.wait, TIMEOUT), "the source never reached the slow step"
            await pilot.pause()
            # the worker thread is blocked inside the step; the UI is not
            assert app.running and not run.release.is_set()
            assert "▶ metrics.scan" in labels(app.main.query_one(PlanTree))["r1-1"]
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)                    # handled while the tool still runs
            assert not run.release.is_set() and app.running
            assert "● running" in plain(app.main.query_one("#status"))
            await pilot.press("escape")
            assert app.screen is app.main
            run.release.set()
            await asyncio.wait_for(app.run_finished.wait(), TIMEOUT)
            await pilot.pause()

            tree = labels(app.main.query_one(PlanTree))
            assert tree["r1-1"].startswith("✘ metrics.scan") and "prometheus timed out" in tree["r1-1"]
            assert tree["r1-2"].startswith("✔ logs.templates") and "1 findings" in tree["r1-2"]
            assert tree["r2-1"].startswith("✔ traces.paths")
            rounds = [str(n.label) for n in app.main.query_one(PlanTree).root.children]
            assert rounds[0].startswith("round 1") and "→ replan" in rounds[0] and "playbooks: error-burst" in rounds[0]
            assert rounds[1].startswith("round 2") and "→ answer" in rounds[1]
            assert app.state.ignored_events == 1
            table = app.main.query_one("#hypotheses", DataTable)
            assert [str(table.get_row_at(i)[1]) for i in range(table.row_count)] == ["db", "orders", "cart"]

            # the top hypothesis cites a shipped runbook: it renders as Markdown; no store, so no charts
            await pilot.press("enter")
            screen = app.screen
            assert isinstance(screen, EvidenceScreen)
            await asyncio.wait_for(screen.ready.wait(), TIMEOUT)
            await pilot.press("6")
            await pilot.pause()
            runbook = screen.query_one(Markdown)
            assert "Database connection pool exhaustion" in runbook.source
            await pilot.press("2")
            await pilot.pause()
            assert "No telemetry" in plain(screen.query_one("#metrics-body").children[0])
            await pilot.press("escape")

            # re-run: a second run replaces the first
            run.block = False
            await pilot.press("r")
            await asyncio.wait_for(app.run_finished.wait(), TIMEOUT)
            await pilot.pause()
            assert run.runs == 2 and app.state.run_id == "scripted2" and app.state.diagnosis is not None

    asyncio.run(scenario())


def test_quitting_never_waits_for_a_hung_tool():
    run = BlockingRun()
    app = AiopsApp(InvestigationSource(label="scripted", run=run, incident=INCIDENT))

    async def scenario() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            assert await asyncio.to_thread(run.reached.wait, TIMEOUT)
            await pilot.press("q")

    asyncio.run(scenario())          # returns although the source is still blocked in its step
    pump = next(t for t in __import__("threading").enumerate() if t.name == "aiops-investigation-1")
    assert pump.daemon and pump.is_alive() and not run.release.is_set()
    run.release.set()                # let it finish: it stops at its next event without posting
    pump.join(TIMEOUT)
    assert not pump.is_alive()


def test_a_past_report_opens_with_its_ranking_and_cannot_be_re_run(tmp_path):
    from .scripted import diagnosis

    path = tmp_path / "past.json"
    path.write_text(render_json(diagnosis("past42")))
    app = AiopsApp(report_source(path))

    async def scenario() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await asyncio.wait_for(app.run_finished.wait(), TIMEOUT)
            await pilot.pause()
            assert "✔ past run" in plain(app.main.query_one("#status")) and "past42" in plain(app.main.query_one("#status"))
            table = app.main.query_one("#hypotheses", DataTable)
            assert str(table.get_row_at(0)[1]) == "db"
            await pilot.press("r")
            await pilot.pause()
            assert app.state.run_id == "past42"                          # nothing re-ran
            assert any("nothing to re-run" in n.message for n in app._notifications)

    asyncio.run(scenario())
