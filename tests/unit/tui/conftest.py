"""The demo incident investigated once per test module that needs it (a real DuckDB store)."""

from __future__ import annotations

import pytest

from aiops.config import Settings


@pytest.fixture(scope="module")
def demo_run(demo):
    """The demo investigated once: (events, diagnosis)."""
    from aiops.agent.events import Answer
    from aiops.agent.session import investigate

    events = list(investigate(demo.incident, demo.store, Settings()))
    assert isinstance(events[-1], Answer)
    return events, events[-1].diagnosis
