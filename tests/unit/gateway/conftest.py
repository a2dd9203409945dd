"""Gateway fixtures: a scripted model, a gateway over it in tmp_path, captured spans.

The suite-wide conftest refuses non-loopback connects and name lookups of non-local hosts.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from aiops.gateway import FakeModel, Gateway

@pytest.fixture
def fake() -> FakeModel:
    return FakeModel()


@pytest.fixture
def slept() -> list[float]:
    return []


@pytest.fixture
def gateway(fake: FakeModel, tmp_path, slept: list[float]) -> Gateway:
    return Gateway.scripted(fake, tmp_path, sleep=slept.append)


@pytest.fixture
def spans():
    """(tracer_provider, exporter): pass the provider to a Gateway, read finished spans."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


@pytest.fixture(scope="session")
def secret_corpus():
    """tests/unit/gateway/secrets_corpus.py as a module (CORPUS, CLEAN)."""
    path = Path(__file__).with_name("secrets_corpus.py")
    spec = importlib.util.spec_from_file_location("gateway_secrets_corpus", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
