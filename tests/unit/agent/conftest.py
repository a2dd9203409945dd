"""Agent fixtures: the demo incident loaded into a real (in-memory DuckDB) telemetry store."""

from __future__ import annotations

import pytest

from aiops.agent.state import RunState
from aiops.config import load_settings
from aiops.resources import demo_bundle
from aiops.telemetry.bundle import load_bundle


@pytest.fixture
def settings():
    return load_settings()


@pytest.fixture(scope="module")
def demo():
    loaded = load_bundle(demo_bundle())
    yield loaded
    loaded.store.close()


@pytest.fixture
def state(demo, settings) -> RunState:
    return RunState.start(demo.incident, demo.store, settings)
