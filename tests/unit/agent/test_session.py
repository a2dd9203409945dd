"""The session assembles a run: with kb.embedder = "litellm" the knowledge base is read
through the run's model gateway, so a diagnosis cites the operator's runbooks instead of
silently falling back to the shipped ones."""

from __future__ import annotations

import textwrap

import pytest

from aiops.agent.events import Answer, RunStarted
from aiops.agent.session import Session, gateway_embedder
from aiops.config import load_settings
from aiops.gateway import FakeModel, Gateway
from aiops.kb import open_knowledge_base

RUNBOOK = textwrap.dedent("""\
    ---
    title: Inventory database pool runbook
    tags: [inventory, database]
    faults: [connection_pool_exhaustion]
    ---
    # Inventory database pool runbook

    When the inventory service's connection pool is exhausted, requests wait for a free
    connection and time out. Check the pool gauges, kill the long transactions holding
    connections, then raise the pool size of inventory.
    """)


@pytest.fixture
def litellm_settings(tmp_path):
    return load_settings(None, overrides={"kb.embedder": "litellm", "kb.include_builtin": False,
                                          "kb.path": str(tmp_path / "kb.duckdb"), "diagnose.reasoner": "offline"},
                         env={})


def test_a_diagnosis_cites_the_operators_runbook_embedded_through_the_gateway(demo, litellm_settings, tmp_path):
    fake = FakeModel()
    gateway = Gateway.scripted(fake, tmp_path / "gateway")
    doc = tmp_path / "docs" / "inventory-pool.md"
    doc.parent.mkdir()
    doc.write_text(RUNBOOK, encoding="utf-8")
    with open_knowledge_base(litellm_settings, embedder=gateway_embedder(litellm_settings, gateway)) as kb:
        assert not kb.add([doc]).errors                  # what `aiops kb add` does with this config

    events = list(Session(litellm_settings, gateway=gateway).investigate(demo.incident, demo.store))
    d = events[-1].diagnosis
    assert d.root_causes[0].service == "inventory"
    assert [r.title for r in d.runbooks] == ["Inventory database pool runbook"]
    assert not [m for m in d.missing_evidence if "runbook" in m or "knowledge base" in m]
    assert fake.embedded                                 # the queries went through the gateway


def test_nothing_is_built_before_the_first_event_and_a_bad_reasoner_setting_fails_there(demo, tmp_path):
    settings = load_settings(None, overrides={"diagnose.reasoner": "llm"}, env={})
    run = Session(settings).investigate(demo.incident, demo.store)      # no model configured: refused ...
    from aiops.errors import ConfigError

    with pytest.raises(ConfigError, match="models.planner"):
        next(run)                                                        # ... when the run starts


def test_one_session_runs_twice_with_its_recorder(demo, settings):
    seen = []

    def record(events, bundle):
        for event in events:
            seen.append(type(event).__name__)
            yield event

    session = Session(settings, record=record)
    for _ in range(2):
        events = list(session.investigate(demo.incident, demo.store))
        assert isinstance(events[0], RunStarted) and isinstance(events[-1], Answer)
    assert seen.count("RunStarted") == 2 and seen.count("Answer") == 2
