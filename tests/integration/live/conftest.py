"""Fixtures for the live-source tests: a simulated incident, a real Prometheus loaded with its
metrics, a real Alertmanager, replayed Loki/Jaeger/Tempo APIs, a Kubernetes API emulator,
and a helper that runs the `aiops` command line in-process against a config file."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "support"))

import live_servers  # noqa: E402
from http_replay import ReplayServer  # noqa: E402
from telemetry_apis import jaeger_routes, loki_routes, tempo_routes  # noqa: E402

# The incident every live test replays: a memory leak in one service (webshop topology),
# every signal present. Its bundle diagnosis is the reference the live diagnoses must match.
SCENARIO, SEED = "memory_leak", 2


@pytest.fixture(scope="session")
def sim_bundle(tmp_path_factory) -> Path:
    from aiops.simulator import generate_bundle

    return generate_bundle(SCENARIO, SEED, tmp_path_factory.mktemp("live") / "bundle", full_signals=True)


@pytest.fixture(scope="session")
def sim_loaded(sim_bundle):
    from aiops.telemetry.bundle import load_bundle

    loaded = load_bundle(sim_bundle)
    yield loaded
    loaded.store.close()


@pytest.fixture(scope="session")
def bundle_answer(sim_bundle) -> dict:
    """The reference: `aiops diagnose --bundle` on the simulated incident."""
    import json

    from inprocess_cli import run_aiops

    result = run_aiops("diagnose", "--bundle", sim_bundle, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="session")
def prometheus(sim_loaded, tmp_path_factory):
    """A real Prometheus (Debian's package) serving the incident's metrics, loaded with promtool."""
    missing = live_servers.missing_binaries("prometheus", "promtool")
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (apt-get install prometheus; .ci/run does it)")
    from aiops.telemetry.live.openmetrics import write_openmetrics

    work = tmp_path_factory.mktemp("prometheus")
    om = work / "incident.om"
    with open(om, "w", encoding="utf-8") as fh:
        write_openmetrics(sim_loaded.store, fh)
    live_servers.create_blocks(om, work / "data")
    server = live_servers.start_prometheus(work, work / "data")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def alertmanager(tmp_path_factory):
    missing = live_servers.missing_binaries("prometheus-alertmanager")
    if missing:
        pytest.skip("prometheus-alertmanager not installed (apt-get install prometheus-alertmanager; .ci/run does it)")
    server = live_servers.start_alertmanager(tmp_path_factory.mktemp("alertmanager"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def loki(sim_loaded):
    with ReplayServer(loki_routes(sim_loaded.store)) as server:
        yield server


@pytest.fixture(scope="session")
def jaeger(sim_loaded):
    with ReplayServer(jaeger_routes(sim_loaded.store)) as server:
        yield server


@pytest.fixture(scope="session")
def tempo(sim_loaded):
    with ReplayServer(tempo_routes(sim_loaded.store)) as server:
        yield server


@pytest.fixture
def config(tmp_path):
    """config(text) -> path of a config file holding `text`."""
    def write(text: str) -> Path:
        path = tmp_path / "config.toml"
        path.write_text(text)
        return path
    return write


@pytest.fixture
def settings():
    from aiops.config import load_settings

    return load_settings()
