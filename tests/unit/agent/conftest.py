"""Agent fixtures: the demo incident loaded into a real (in-memory DuckDB) telemetry store."""

from __future__ import annotations

import pytest

from aiops.agent.state import RunState
from aiops.config import load_settings


@pytest.fixture
def settings():
    return load_settings()


@pytest.fixture
def state(demo, settings) -> RunState:
    return RunState.start(demo.incident, demo.store, settings)
