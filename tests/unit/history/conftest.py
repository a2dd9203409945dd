"""History fixtures: the demo incident loaded into a real (in-memory DuckDB) telemetry store."""

from __future__ import annotations

import pytest

from aiops.resources import demo_bundle
from aiops.telemetry.bundle import load_bundle


@pytest.fixture(scope="module")
def demo():
    loaded = load_bundle(demo_bundle())
    yield loaded
    loaded.store.close()
