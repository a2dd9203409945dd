"""Simulated release bundles shared by the release tests (written once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiops.simulator.release import simulate_release, write_release


@pytest.fixture(scope="session")
def clean_release(tmp_path_factory) -> tuple[Path, object]:
    sim = simulate_release("clean", 11, "webshop")
    return write_release(sim, tmp_path_factory.mktemp("rel") / "clean"), sim.plan


@pytest.fixture(scope="session")
def errors_release(tmp_path_factory) -> tuple[Path, object]:
    sim = simulate_release("regression", 11, "webshop", "errors")
    return write_release(sim, tmp_path_factory.mktemp("rel") / "errors"), sim.plan
