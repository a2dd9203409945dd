"""`aiops tui` over live sources: the app reads a real Prometheus (and the operator's files)
in round 0, investigates, ranks the bundle's top cause, and keeps the store for drill-downs."""

from __future__ import annotations

import asyncio
import json

import pytest

from aiops.agent.live import LiveRequest
from aiops.agent.session import Session
from aiops.config import load_settings
from aiops.timeutil import to_rfc3339

pytestmark = pytest.mark.live


def test_the_tui_investigates_live_sources(prometheus, sim_bundle, sim_loaded, bundle_answer, config):
    from aiops.tui.app import AiopsApp
    from aiops.tui.source import live_source

    files = [str(sim_bundle / n) for n in ("logs.csv", "spans.csv", "events.jsonl")]
    cfg = config(f'[sources.prometheus.main]\nurl = "{prometheus.url}"\n'
                 f'[sources.files.exports]\npaths = {json.dumps(files)}\n')
    settings = load_settings(cfg)
    inc = sim_loaded.incident
    request = LiveRequest(live=True, start=to_rfc3339(inc.window.start), end=to_rfc3339(inc.window.end))
    source = live_source(Session(settings), request)
    app = AiopsApp(source, settings)

    async def scenario() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await asyncio.wait_for(app.run_finished.wait(), 120)
            await pilot.pause()
            state = app.state
            assert state.diagnosis is not None and not state.failure
            assert {s.step.tool for s in state.steps.values() if s.step.id.startswith("r0-")} == \
                {"prometheus.fetch", "files.fetch"}
            assert state.diagnosis.root_causes[0].service == bundle_answer["root_causes"][0]["service"]
            assert source.store.counts()["metrics"] > 0        # kept for drill-downs

    try:
        asyncio.run(scenario())
    finally:
        source.close()
