"""Follow-up questions in LLM mode: `ask` runs the model (scripted) in a worker and shows its
checks and answer; offline, the app says questions need a model."""

from __future__ import annotations

import asyncio
import json

from textual.widgets import Markdown

from aiops.agent.session import investigate
from aiops.config import load_settings
from aiops.gateway import FakeModel, Gateway
from aiops.resources import demo_bundle
from aiops.telemetry.bundle import load_bundle
from aiops.tui.app import AiopsApp
from aiops.tui.screens.answer import AnswerScreen
from aiops.tui.source import InvestigationSource

TIMEOUT = 60


def _app(tmp_path, reasoner: str, fake: FakeModel | None = None) -> AiopsApp:
    settings = load_settings()
    settings.diagnose.reasoner = reasoner
    loaded = load_bundle(demo_bundle())
    gateway = Gateway.scripted(fake, tmp_path) if fake else None
    source = InvestigationSource(label="demo", incident=loaded.incident, store=loaded.store,
                                 run=lambda: investigate(loaded.incident, loaded.store, settings, gateway=gateway))
    source._closers.append(loaded.store.close)
    return AiopsApp(source, settings)


def test_ask_shows_the_models_checks_and_answer(tmp_path):
    fake = FakeModel(json.dumps({"hypotheses": [{"service": "inventory", "fault": "connection_pool_exhaustion",
                                                 "confidence": 0.8}], "decision": "answer"}),
                     [FakeModel.tool_call("traces__paths", service="checkout")],
                     "**checkout** only waits on inventory.")
    app = _app(tmp_path, "llm", fake)

    async def scenario() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await asyncio.wait_for(app.run_finished.wait(), TIMEOUT)
            app.run_command("ask why not checkout?")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, AnswerScreen) and screen.question == "why not checkout?"
            await asyncio.wait_for(screen.answered.wait(), TIMEOUT)
            await pilot.pause()
            assert screen.checks == ["traces.paths: ok"]
            assert screen.answer == "**checkout** only waits on inventory."
            assert "only waits on inventory" in screen.query_one(Markdown)._markdown
            await pilot.press("escape")
            assert app.screen is app.main

    asyncio.run(scenario())


def test_ask_in_offline_mode_says_a_model_is_needed(tmp_path):
    app = _app(tmp_path, "offline")

    async def scenario() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await asyncio.wait_for(app.run_finished.wait(), TIMEOUT)
            app.run_command("ask why not checkout?")
            await pilot.pause()
            assert app.screen is app.main
            assert any("need a model" in n.message for n in app._notifications)

    asyncio.run(scenario())
