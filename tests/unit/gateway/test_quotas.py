"""Internal keys and run budgets: a call over quota is refused before anything is sent."""

from __future__ import annotations

import json

import pytest

from aiops.config import load_settings
from aiops.gateway import (
    FakeModel, Gateway, InternalKeyStore, InvalidInternalKey, Prices, QuotaExceeded, Quotas, RunBudget, RunBudgetExceeded,
)
from aiops.gateway.internal_keys import KEY_PREFIX

ASK = [{"role": "user", "content": "why is checkout slow?"}]


def _keyed_gateway(tmp_path, fake: FakeModel, quotas: Quotas) -> Gateway:
    store = InternalKeyStore(tmp_path / "keys.json")
    record, _ = store.create("ci-nightly", quotas)
    return Gateway.scripted(fake, tmp_path, key=record)


def test_tokens_per_day_quota_refuses_before_sending(tmp_path):
    fake = FakeModel(default="a fairly long answer " * 10)
    g = _keyed_gateway(tmp_path, fake, Quotas(tokens_per_day=200))
    g.complete("fast", ASK, max_tokens=50)
    g.complete("fast", ASK + [{"role": "user", "content": "again"}], max_tokens=50)
    sent_before = len(fake.requests)
    with pytest.raises(QuotaExceeded, match=r"ci-nightly.*200 tokens/day.*not sent"):
        for i in range(10):
            g.complete("fast", ASK + [{"role": "user", "content": f"more {i}"}], max_tokens=50)
    refused = [r for r in g.ledger.rows() if r["outcome"] == "refused_quota"]
    assert len(refused) == 1 and refused[0]["prompt_tokens"] == 0
    total = sum(r["prompt_tokens"] + r["completion_tokens"] for r in g.ledger.rows())
    assert total <= 200
    assert len(fake.requests) >= sent_before


def test_usd_per_day_quota_counts_cost_from_the_ledger(tmp_path):
    fake = FakeModel(default="ok", prices=Prices(input=0.0001, output=0.0002))
    g = _keyed_gateway(tmp_path, fake, Quotas(usd_per_day=0.05))
    with pytest.raises(QuotaExceeded, match=r"\$0.05/day"):
        for i in range(50):
            g.complete("fast", [{"role": "user", "content": f"question {i} " + "x" * 40}], max_tokens=20)
    spent = sum(r["cost_usd"] for r in g.ledger.rows())
    assert 0 < spent <= 0.05


def test_requests_per_minute_quota(tmp_path):
    fake = FakeModel(default="ok")
    g = _keyed_gateway(tmp_path, fake, Quotas(requests_per_min=3))
    for i in range(3):
        g.complete("fast", [{"role": "user", "content": f"q{i}"}])
    with pytest.raises(QuotaExceeded, match="3 requests/min"):
        g.complete("fast", [{"role": "user", "content": "q4"}])
    assert len(fake.requests) == 3
    # a cache hit is not a provider request: it is still served
    assert g.complete("fast", [{"role": "user", "content": "q0"}]).cached


def test_quota_is_shared_by_every_process_using_the_key(tmp_path):
    fake = FakeModel(default="ok")
    store = InternalKeyStore(tmp_path / "keys.json")
    record, _ = store.create("team-sre", Quotas(requests_per_min=2))
    one = Gateway.scripted(fake, tmp_path, key=record)
    two = Gateway.scripted(fake, tmp_path, key=record)           # another agent, same ledger
    one.complete("fast", [{"role": "user", "content": "a"}])
    two.complete("fast", [{"role": "user", "content": "b"}])
    with pytest.raises(QuotaExceeded):
        one.complete("fast", [{"role": "user", "content": "c"}])


def test_run_budget_clamps_max_tokens_then_refuses(tmp_path):
    fake = FakeModel(default="ok")
    g = Gateway.scripted(fake, tmp_path)
    run = RunBudget(max_tokens=300)
    g.complete("planner", ASK, max_tokens=1000, run=run)
    assert fake.requests[0].max_tokens <= 300                  # clamped to what the run can still afford
    run.used_tokens = 295
    with pytest.raises(RunBudgetExceeded, match="run token budget of 300 reached.*not sent"):
        g.complete("planner", ASK + [{"role": "user", "content": "more"}], run=run)
    assert len(fake.requests) == 1
    assert g.ledger.rows()[-1]["outcome"] == "refused_budget"


def test_run_cost_budget(tmp_path):
    fake = FakeModel(default="ok", prices=Prices(input=0.01, output=0.01))
    g = Gateway.scripted(fake, tmp_path)
    run = RunBudget(max_cost_usd=0.5)
    with pytest.raises(RunBudgetExceeded, match=r"\$0.5"):
        for i in range(100):
            g.complete("planner", [{"role": "user", "content": f"q{i}"}], run=run)
    assert 0 < run.used_cost_usd <= 0.5
    assert run.usage.llm_calls == run.calls == len(fake.requests)


def test_key_max_tokens_per_run_applies_to_each_run(tmp_path):
    fake = FakeModel(default="ok")
    g = _keyed_gateway(tmp_path, fake, Quotas(max_tokens_per_run=100))
    g.complete("fast", ASK, max_tokens=1000, run=RunBudget())
    assert fake.requests[0].max_tokens < 100
    fresh = RunBudget()
    g.complete("fast", ASK + [{"role": "user", "content": "b"}], max_tokens=1000, run=fresh)
    assert fresh.calls == 1


def test_runaway_tool_loop_stops_at_the_run_token_budget(tmp_path):
    """A scripted model that always asks for another tool: the budget, not the model, ends it."""
    fake = FakeModel(default=lambda req: [FakeModel.tool_call("query_metrics", service="checkout", step=len(req.messages))])
    g = Gateway.scripted(fake, tmp_path)
    run = RunBudget(max_tokens=3000)
    messages = [{"role": "user", "content": "diagnose the checkout incident"}]
    with pytest.raises(RunBudgetExceeded):
        for _ in range(1000):
            reply = g.complete("planner", messages, tools=[{"type": "function", "function": {"name": "query_metrics"}}],
                               max_tokens=200, run=run)
            messages.append(reply.as_message())
            for call in reply.tool_calls:
                messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps({"p90": 2.4, "rows": list(range(20))})})
    assert run.used_tokens <= 3000
    assert 3 <= len(fake.requests) < 100


def test_revoked_and_unknown_keys_are_refused(tmp_path):
    store = InternalKeyStore(tmp_path / "keys.json")
    record, plain = store.create("old-ci")
    assert store.authenticate(plain).key_id == record.key_id
    store.revoke("old-ci")
    with pytest.raises(InvalidInternalKey, match="revoked"):
        store.authenticate(plain)
    with pytest.raises(InvalidInternalKey, match="not known"):
        store.authenticate(KEY_PREFIX + "x" * 32)


def test_internal_keys_are_stored_hashed_and_private(tmp_path):
    store = InternalKeyStore(tmp_path / "keys.json")
    _, plain = store.create("agent", Quotas(tokens_per_day=1000))
    text = (tmp_path / "keys.json").read_text()
    assert plain not in text and plain[len(KEY_PREFIX):] not in text
    assert (tmp_path / "keys.json").stat().st_mode & 0o077 == 0
    assert store.list()[0].quotas.tokens_per_day == 1000


def test_from_settings_authenticates_the_internal_key(tmp_path):
    settings = load_settings(env={"AIOPS_GENERAL_DATA_DIR": str(tmp_path), "AIOPS_MODELS_FAST": "openai/gpt-4o-mini"})
    store = InternalKeyStore(tmp_path / "gateway-keys.json")
    record, plain = store.create("agent", Quotas(requests_per_min=1))
    fake = FakeModel(default="ok")
    g = Gateway.from_settings(settings, internal_key=plain, backend=fake)
    assert g.key.key_id == record.key_id
    g.complete("fast", ASK)
    with pytest.raises(QuotaExceeded):
        g.complete("fast", ASK + [{"role": "user", "content": "again"}])
    settings.gateway.require_internal_key = True
    with pytest.raises(InvalidInternalKey, match="require_internal_key"):
        Gateway.from_settings(settings, backend=fake)
