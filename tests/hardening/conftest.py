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
