"""Hardening tests (fuzzing, injected faults, secrets, prompt injection, limits): the shared
helpers live in tests/support (fuzzing.py, http_replay.py, inprocess_cli.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def _global_span_exporter():
    """An in-memory exporter on the process-wide tracer provider: every span any part of aiops
    makes through the OpenTelemetry API (the gateway's, and a run's own once runs are traced)."""
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):      # nobody installed one yet: install ours
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture
def all_spans(_global_span_exporter):
    """The spans finished during this test (any tracer, any component)."""
    _global_span_exporter.clear()
    yield _global_span_exporter
    _global_span_exporter.clear()


@pytest.fixture(scope="session")
def simulated_releases(tmp_path_factory):
    """(clean bundle, failing bundle, version, plan of the failing one): two simulated releases
    written once for the session. Tests that plant data copy a bundle first."""
    from aiops.simulator.release import simulate_release, write_release

    root = tmp_path_factory.mktemp("releases")
    clean = simulate_release("clean", 11, "webshop")
    bad = simulate_release("regression", 11, "webshop", "errors")
    return write_release(clean, root / "clean"), write_release(bad, root / "errors"), clean.plan.version, bad.plan


@pytest.fixture
def failing_release_copy(simulated_releases, tmp_path):
    """A private copy of the failing release bundle (to plant data in) and its plan."""
    import shutil

    _, errors, _, plan = simulated_releases
    return shutil.copytree(errors, tmp_path / "release"), plan
