"""Retries, backoff, fallback chains and context windows, with a scripted backend."""

from __future__ import annotations

import pytest

from aiops.gateway import FakeModel, Gateway, ModelUnavailable, ProviderError, UnknownAlias
from aiops.gateway.models import ModelCatalog

ASK = [{"role": "user", "content": "why is checkout slow?"}]


def _gateway(fake: FakeModel, tmp_path, slept: list[float], **options) -> Gateway:
    catalog = ModelCatalog(
        {"planner": "openai/gpt-4o", "fast": "openai/gpt-4o-mini"},
        fallbacks={"planner": ["anthropic/claude-sonnet-4-5", "fast"]},
    )
    g = Gateway.scripted(fake, tmp_path, sleep=slept.append, max_retries=2, backoff_s=1.0, **options)
    g.catalog = catalog
    return g


def _outcomes(gateway: Gateway) -> list[tuple[str, str]]:
    return [(r["model"], r["outcome"]) for r in gateway.ledger.rows()]


def test_rate_limit_is_retried_with_growing_backoff_then_succeeds(fake, tmp_path, slept):
    fake.enqueue(ProviderError("rate_limited"), ProviderError("server_error", "502 bad gateway"), "answer",
                 model="openai/gpt-4o")
    g = _gateway(fake, tmp_path, slept)
    reply = g.complete("planner", ASK)
    assert reply.text == "answer" and reply.model == "openai/gpt-4o" and reply.attempts == 3
    assert len(slept) == 2 and slept[1] > slept[0] > 0
    assert _outcomes(g) == [("openai/gpt-4o", "rate_limited"), ("openai/gpt-4o", "server_error"), ("openai/gpt-4o", "ok")]


def test_retry_after_from_the_provider_is_honoured(fake, tmp_path, slept):
    fake.enqueue(ProviderError("rate_limited", retry_after=20.0), "ok", model="openai/gpt-4o")
    _gateway(fake, tmp_path, slept).complete("planner", ASK)
    assert slept == [20.0]


def test_exhausted_retries_fall_back_to_the_next_model_in_the_chain(fake, tmp_path, slept):
    fake.enqueue(*[ProviderError("rate_limited")] * 3, model="openai/gpt-4o")
    fake.enqueue(ProviderError("timeout"), "from claude", model="anthropic/claude-sonnet-4-5")
    g = _gateway(fake, tmp_path, slept)
    reply = g.complete("planner", ASK)
    assert reply.model == "anthropic/claude-sonnet-4-5" and reply.text == "from claude"
    assert _outcomes(g) == [("openai/gpt-4o", "rate_limited")] * 3 + [
        ("anthropic/claude-sonnet-4-5", "timeout"), ("anthropic/claude-sonnet-4-5", "ok")]
    assert [r.model for r in fake.requests] == ["openai/gpt-4o"] * 3 + ["anthropic/claude-sonnet-4-5"] * 2


def test_auth_errors_skip_to_the_next_model_without_retrying(fake, tmp_path, slept):
    fake.enqueue(ProviderError("auth_error", "invalid x-api-key"), model="openai/gpt-4o")
    fake.enqueue(ProviderError("not_found"), model="anthropic/claude-sonnet-4-5")
    fake.enqueue("cheap answer", model="openai/gpt-4o-mini")
    g = _gateway(fake, tmp_path, slept)
    assert g.complete("planner", ASK).model == "openai/gpt-4o-mini"
    assert slept == []
    assert [o for _, o in _outcomes(g)] == ["auth_error", "not_found", "ok"]


def test_every_model_failing_raises_one_line_naming_each_failure(fake, tmp_path, slept):
    fake.default = ProviderError("server_error", "500 upstream")
    g = _gateway(fake, tmp_path, slept)
    with pytest.raises(ModelUnavailable) as err:
        g.complete("planner", ASK)
    message = str(err.value)
    assert "\n" not in message and "after 9 attempt(s)" in message
    for model in ("openai/gpt-4o", "anthropic/claude-sonnet-4-5", "openai/gpt-4o-mini"):
        assert model in message
    assert len(g.ledger.rows()) == 9                 # one ledger row per attempt


def test_content_policy_refusal_stops_the_chain(fake, tmp_path, slept):
    from aiops.gateway import ContentRefused

    fake.enqueue(ProviderError("content_policy", "flagged"), model="openai/gpt-4o")
    with pytest.raises(ContentRefused):
        _gateway(fake, tmp_path, slept).complete("planner", ASK)
    assert len(fake.requests) == 1


def test_a_prompt_too_long_for_a_model_goes_to_one_with_a_larger_window(fake, tmp_path, slept):
    catalog = ModelCatalog({"planner": "ollama/small"}, fallbacks={"planner": ["openai/big"]},
                           context_windows={"ollama/small": 100, "openai/big": 100_000})
    g = Gateway.scripted(fake, tmp_path, sleep=slept.append)
    g.catalog = catalog
    fake.enqueue("fits", model="openai/big")
    reply = g.complete("planner", [{"role": "user", "content": "log line\n" * 200}], max_tokens=500)
    assert reply.model == "openai/big"
    assert [r.model for r in fake.requests] == ["openai/big"]       # nothing sent to the small model
    assert _outcomes(g)[0] == ("ollama/small", "skipped_context")


def test_max_tokens_is_always_sent_and_clamped_to_the_context_window(tmp_path, slept):
    fake = FakeModel(default="ok", context_window=1000)
    g = Gateway.scripted(fake, tmp_path, sleep=slept.append, default_max_tokens=700)
    g.complete("fast", [{"role": "user", "content": "x" * 2000}])      # ~500 prompt tokens
    g.complete("fast", [{"role": "user", "content": "short"}], max_tokens=64)
    first, second = fake.requests
    assert 0 < first.max_tokens <= 1000 - 500 and first.max_tokens < 700
    assert second.max_tokens == 64


def test_unknown_alias_names_the_known_ones(gateway):
    with pytest.raises(UnknownAlias, match="'summariser' is not set in \\[models\\].*planner"):
        gateway.complete("summariser", ASK)


def test_fallback_entries_may_be_aliases_and_duplicates_are_dropped():
    catalog = ModelCatalog({"planner": "openai/gpt-4o", "fast": "openai/gpt-4o-mini"},
                           fallbacks={"planner": ["fast", "openai/gpt-4o", "groq/llama-3.1-8b-instant"]},
                           api_bases={"fast": "http://vllm:8000/v1"})
    route = catalog.resolve("planner")
    assert route.models == ("openai/gpt-4o", "openai/gpt-4o-mini", "groq/llama-3.1-8b-instant")
    assert route.targets[1].api_base == "http://vllm:8000/v1"


def test_models_and_gateway_sections_load_from_a_config_file(tmp_path):
    from aiops.config import load_settings

    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[models]\nplanner = "anthropic/claude-sonnet-4-5"\nlocal = "ollama/qwen2.5"\n'
        '[models.fallbacks]\nplanner = ["openai/gpt-4o", "local"]\n'
        '[models.api_bases]\nlocal = "http://127.0.0.1:11434"\n'
        '[gateway]\nmax_retries = 5\nredact_pii = true\n'
    )
    settings = load_settings(cfg, env={})
    route = ModelCatalog.from_settings(settings).resolve("planner")
    assert route.models == ("anthropic/claude-sonnet-4-5", "openai/gpt-4o", "ollama/qwen2.5")
    assert route.targets[2].api_base == "http://127.0.0.1:11434"
    assert settings.gateway.max_retries == 5 and settings.gateway.redact_pii is True


def test_a_bad_fallback_list_is_rejected_naming_the_key(tmp_path):
    from aiops.config import load_settings
    from aiops.errors import ConfigError

    cfg = tmp_path / "config.toml"
    cfg.write_text('[models.fallbacks]\nplanner = "openai/gpt-4o"\n')
    with pytest.raises(ConfigError, match="models.fallbacks.planner"):
        load_settings(cfg, env={})
