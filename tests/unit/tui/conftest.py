"""The demo incident, loaded once per test module that needs it (a real DuckDB store)."""

from __future__ import annotations

import pytest

from aiops.config import Settings
from aiops.resources import demo_bundle


@pytest.fixture(scope="module")
def demo():
    from aiops.telemetry.bundle import load_bundle

    loaded = load_bundle(demo_bundle())
    yield loaded
    loaded.store.close()


@pytest.fixture(scope="module")
def demo_run(demo):
    """The demo investigated once: (events, diagnosis)."""
    from aiops.agent.events import Answer
    from aiops.agent.session import investigate

    events = list(investigate(demo.incident, demo.store, Settings()))
    assert isinstance(events[-1], Answer)
    return events, events[-1].diagnosis
