"""The real litellm path, scripted with litellm's own `mock_response` / `mock_tool_calls`.

The request hook sees each request exactly as it would be handed to litellm (minus the API
key): that is "what would be sent".
"""

from __future__ import annotations

import copy
import json

import pytest

from aiops.config import load_settings
from aiops.gateway import Gateway, LiteLLMBackend, ModelUnavailable, RunBudget, RunBudgetExceeded
from aiops.gateway.backends import import_litellm

PROVIDER_KEY = "sk-proj-TESTKEYdoNotUse0123456789abcdefABCDEF"


@pytest.fixture(scope="module")
def litellm():
    return import_litellm()


@pytest.fixture
def settings(tmp_path):
    keys = tmp_path / "keys.toml"
    keys.write_text(f'[default]\nopenai = "{PROVIDER_KEY}"\n')
    keys.chmod(0o600)
    return load_settings(env={
        "AIOPS_GENERAL_DATA_DIR": str(tmp_path / "data"),
        "AIOPS_GATEWAY_KEY_FILE": str(keys),
        "AIOPS_MODELS_PLANNER": "openai/gpt-4o",
        "AIOPS_MODELS_FAST": "openai/gpt-4o-mini",
    })


class Script:
    """Per-model queues of mock responses; records every request's kwargs."""

    def __init__(self, **by_model):
        self.queues = {m.replace("__", "/"): list(v) for m, v in by_model.items()}
        self.sent: list[dict] = []

    def __call__(self, kwargs: dict) -> dict:
        self.sent.append(copy.deepcopy(kwargs))
        queue = self.queues[kwargs["model"]]
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(item, dict) and "tool_calls" in item:
            kwargs["mock_response"], kwargs["mock_tool_calls"] = "", item["tool_calls"]
        else:
            kwargs["mock_response"] = item
        return kwargs


def _gateway(settings, script: Script, **options) -> Gateway:
    settings.models.fallbacks = {"planner": ["fast"]}
    return Gateway.from_settings(settings, backend=LiteLLMBackend(request_hook=script), sleep=lambda s: None, **options)


ASK = [{"role": "user", "content": "why is checkout slow?"}]


def test_rate_limit_timeout_and_500_fall_back_to_the_next_model(settings, litellm):
    script = Script(
        **{"openai__gpt-4o": [litellm.RateLimitError("slow down", llm_provider="openai", model="gpt-4o"),
                              litellm.Timeout("timed out", llm_provider="openai", model="gpt-4o"),
                              litellm.InternalServerError("boom", llm_provider="openai", model="gpt-4o"),
                              litellm.InternalServerError("boom again", llm_provider="openai", model="gpt-4o")],
           "openai__gpt-4o-mini": ["checkout is CPU-throttled"]},
    )
    g = _gateway(settings, script)
    reply = g.complete("planner", ASK, max_tokens=300)
    assert reply.text == "checkout is CPU-throttled" and reply.model.endswith("gpt-4o-mini")
    assert reply.usage.prompt_tokens > 0 and reply.usage.cost_usd > 0
    outcomes = [(r["model"], r["outcome"]) for r in g.ledger.rows()]
    assert outcomes == [("openai/gpt-4o", "rate_limited"), ("openai/gpt-4o", "timeout"), ("openai/gpt-4o", "server_error"),
                        ("openai/gpt-4o", "server_error"), ("gpt-4o-mini", "ok")]
    assert all(s["max_tokens"] == 300 and s["timeout"] == settings.gateway.timeout_s for s in script.sent)
    assert all("api_key" not in s for s in script.sent)


def test_a_call_over_an_internal_key_quota_never_reaches_litellm(settings):
    from aiops.gateway import InternalKeyStore, QuotaExceeded, Quotas, gateway_paths

    _, plain = InternalKeyStore(gateway_paths(settings)[1]).create("ci", Quotas(requests_per_min=2))
    script = Script(**{"openai__gpt-4o": ["one", "two", "three"]})
    settings.models.fallbacks = {}
    g = Gateway.from_settings(settings, internal_key=plain, backend=LiteLLMBackend(request_hook=script))
    g.complete("planner", [{"role": "user", "content": "a"}])
    g.complete("planner", [{"role": "user", "content": "b"}])
    with pytest.raises(QuotaExceeded, match="2 requests/min"):
        g.complete("planner", [{"role": "user", "content": "c"}])
    assert len(script.sent) == 2
    assert [r["outcome"] for r in g.ledger.rows()] == ["ok", "ok", "refused_quota"]


def test_the_provider_key_is_used_but_never_recorded_or_reported(settings, litellm):
    leaky = litellm.AuthenticationError(f"Incorrect API key provided: {PROVIDER_KEY}", llm_provider="openai", model="gpt-4o")
    script = Script(**{"openai__gpt-4o": [leaky], "openai__gpt-4o-mini": [leaky]})
    used: list[str | None] = []

    class KeySpy(LiteLLMBackend):
        def complete(self, request, api_key):
            used.append(api_key)
            return super().complete(request, api_key)

    settings.models.fallbacks = {"planner": ["fast"]}
    g = Gateway.from_settings(settings, backend=KeySpy(request_hook=script), sleep=lambda s: None)
    with pytest.raises(ModelUnavailable) as err:
        g.complete("planner", ASK)
    assert used == [PROVIDER_KEY, PROVIDER_KEY]                  # from the 0600 key file
    assert PROVIDER_KEY not in str(err.value) and "[REDACTED_PROVIDER_KEY_1]" in str(err.value)
    g.close()
    on_disk = b"".join(p.read_bytes() for p in (settings.data_dir).rglob("*") if p.is_file())
    assert PROVIDER_KEY.encode() not in on_disk


def test_repeating_a_diagnosis_makes_zero_provider_calls(settings):
    script = Script(**{"openai__gpt-4o": [{"tool_calls": [{"id": "call_a", "type": "function",
                                                            "function": {"name": "query_metrics", "arguments": "{\"service\": \"checkout\"}"}}]},
                                          "the checkout pods are CPU-throttled"]})

    def diagnose() -> list:
        g = _gateway(settings, script)
        messages = [{"role": "system", "content": "You are an SRE."}, {"role": "user", "content": "checkout p90 is 2.4s"}]
        replies = []
        for _ in range(2):
            reply = g.complete("planner", messages, tools=[{"type": "function", "function": {"name": "query_metrics"}}])
            replies.append(reply)
            messages.append(reply.as_message())
            for call in reply.tool_calls:
                messages.append({"role": "tool", "tool_call_id": call.id, "content": "cpu_throttled_ratio=0.8"})
        return replies

    first = diagnose()
    calls_after_first = len(script.sent)
    second = diagnose()
    assert calls_after_first == 2 and len(script.sent) == 2        # no provider call the second time
    assert [r.cached for r in second] == [True, True] and [r.cached for r in first] == [False, False]
    assert second[1].text == first[1].text and second[1].usage.llm_calls == 0


def test_no_corpus_secret_is_handed_to_litellm(settings, secret_corpus):
    script = Script(**{"openai__gpt-4o": ["noted"]})
    g = _gateway(settings, script)
    for label, text, _ in secret_corpus.CORPUS:
        g.complete("planner", [{"role": "user", "content": f"{label}: {text}"},
                               {"role": "tool", "tool_call_id": "c1", "content": json.dumps({"log": text})}],
                   tools=[{"type": "function", "function": {"name": "grep", "description": text}}])
    sent = json.dumps(script.sent, default=str)
    leaked = [s for _, _, secrets in secret_corpus.CORPUS for s in secrets if s in sent or json.dumps(s)[1:-1] in sent]
    assert leaked == [] and len(script.sent) == len(secret_corpus.CORPUS)


def test_a_model_that_always_wants_another_tool_stops_at_the_run_budget(settings):
    def endless(step: int) -> dict:
        return {"tool_calls": [{"id": f"call_{step}", "type": "function",
                                "function": {"name": "query_logs", "arguments": json.dumps({"page": step})}}]}

    script = Script(**{"openai__gpt-4o": [endless(i) for i in range(500)]})
    g = _gateway(settings, script)
    run = RunBudget(max_tokens=2_000)
    messages = [{"role": "user", "content": "diagnose"}]
    with pytest.raises(RunBudgetExceeded, match="run token budget of 2000"):
        for _ in range(500):
            reply = g.complete("planner", messages, tools=[{"type": "function", "function": {"name": "query_logs"}}],
                               max_tokens=256, run=run)
            assert reply.tool_calls
            messages.append(reply.as_message())
            messages.append({"role": "tool", "tool_call_id": reply.tool_calls[0].id, "content": "page of logs " * 10})
    assert run.used_tokens <= 2_000
    assert 5 <= len(script.sent) < 100
    assert g.ledger.rows()[-1]["outcome"] == "refused_budget"


def test_each_call_gets_a_span_with_gen_ai_attributes_and_no_prompt(settings, spans):
    provider, exporter = spans
    script = Script(**{"openai__gpt-4o": ["answer"]})
    g = _gateway(settings, script, tracer_provider=provider)
    g.complete("planner", [{"role": "user", "content": "password=hunter2-xyz why slow"}], max_tokens=100)
    g.complete("planner", [{"role": "user", "content": "password=hunter2-xyz why slow"}], max_tokens=100)
    first, second = exporter.get_finished_spans()
    a = dict(first.attributes)
    assert first.name == "chat openai/gpt-4o"
    assert a["gen_ai.system"] == "openai" and a["gen_ai.request.model"] == "openai/gpt-4o"
    assert a["gen_ai.response.model"] == "gpt-4o" and a["gen_ai.request.max_tokens"] == 100
    assert a["gen_ai.usage.input_tokens"] > 0 and a["gen_ai.usage.output_tokens"] > 0
    assert a["aiops.cost_usd"] > 0 and a["aiops.cache_hit"] is False
    assert dict(second.attributes)["aiops.cache_hit"] is True
    dumped = json.dumps([dict(s.attributes) for s in (first, second)], default=str)
    assert "hunter2" not in dumped and "why slow" not in dumped and PROVIDER_KEY not in dumped


def test_embeddings_go_through_the_gateway_redacted_and_cached(settings):
    settings.models.embedding = "openai/text-embedding-3-small"
    script = Script(**{"openai__text-embedding-3-small": [[0.5, 0.25, 0.125]]})
    g = _gateway(settings, script)
    texts = ["restart the pod", "rotate AKIAIOSFODNN7EXAMPLE"]
    vectors = g.embed("embedding", texts)
    again = g.embed("embedding", texts)
    assert vectors == again and len(script.sent) == 1
    assert "AKIAIOSFODNN7EXAMPLE" not in json.dumps(script.sent)
    assert vectors[0] == [0.5, 0.25, 0.125]


def test_litellm_is_imported_only_when_a_call_is_made(tmp_path):
    import subprocess
    import sys

    code = ("import sys; from aiops.gateway import Gateway, FakeModel; "
            "g = Gateway.scripted(FakeModel(default='x'), sys.argv[1]); g.complete('fast', [{'role': 'user', 'content': 'q'}]); "
            "print('litellm' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)],
                         capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr
