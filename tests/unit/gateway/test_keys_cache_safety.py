"""Provider key sources, the response cache and the content-safety hook."""

from __future__ import annotations

import pytest

from aiops.gateway import ContentRefused, FakeModel, Gateway, InternalKeyStore, KeyFileError, ModelRequest
from aiops.gateway.cache import ResponseCache, cache_key
from aiops.gateway.provider_keys import ProviderKeys

ASK = [{"role": "user", "content": "why is checkout slow?"}]


def _key_file(tmp_path, text: str, mode: int = 0o600):
    path = tmp_path / "keys.toml"
    path.write_text(text)
    path.chmod(mode)
    return path


def test_a_key_file_readable_by_others_is_refused(tmp_path):
    path = _key_file(tmp_path, '[default]\nopenai = "sk-x"\n', mode=0o644)
    with pytest.raises(KeyFileError, match=r"mode 0644.*chmod 600"):
        ProviderKeys(path, env={})


def test_a_malformed_key_file_is_refused_naming_the_entry(tmp_path):
    path = _key_file(tmp_path, '[default]\nopenai = 42\n')
    with pytest.raises(KeyFileError, match="default.openai"):
        ProviderKeys(path, env={})


def test_key_lookup_order_profile_then_default_then_environment(tmp_path):
    path = _key_file(tmp_path, '[default]\nopenai = "sk-default"\n[ci]\nopenai = "sk-ci"\nanthropic = "sk-ant-ci"\n')
    keys = ProviderKeys(path, env={"OPENAI_API_KEY": "sk-env", "GROQ_API_KEY": "gsk-env"})
    assert keys.api_key("openai", "ci") == "sk-ci"
    assert keys.api_key("openai") == "sk-default"
    assert keys.api_key("anthropic") is None          # the ci profile's key is not the default's
    assert keys.api_key("groq", "ci") == "gsk-env"
    assert keys.api_key("ollama") is None
    assert "sk-" not in repr(keys)


def test_an_internal_key_selects_its_provider_key_profile(tmp_path):
    path = _key_file(tmp_path, '[default]\nopenai = "sk-default-000000"\n[ci]\nopenai = "sk-ci-111111"\n')
    store = InternalKeyStore(tmp_path / "keys.json")
    record, _ = store.create("ci-nightly", profile="ci")
    seen: list[str | None] = []

    class KeyCapture(FakeModel):
        def complete(self, request: ModelRequest, api_key: str | None):
            seen.append(api_key)
            return super().complete(request, api_key)

    g = Gateway.scripted(KeyCapture(default="ok"), tmp_path, aliases={"fast": "openai/gpt-4o-mini"}, key=record,
                         provider_keys=ProviderKeys(path, env={}))
    g.complete("fast", ASK)
    assert seen == ["sk-ci-111111"]


def test_cache_entries_expire_after_the_ttl(tmp_path):
    now = [1000.0]
    cache = ResponseCache(tmp_path, ttl_s=60, clock=lambda: now[0])
    cache.put("ab" * 32, {"text": "hi"})
    assert cache.get("ab" * 32) == {"text": "hi"}
    now[0] += 61
    assert cache.get("ab" * 32) is None


def test_cache_key_ignores_whitespace_and_provider_tool_call_ids_but_not_content():
    def convo(call_id: str, text: str) -> list[dict]:
        return [
            {"role": "user", "content": text},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": call_id, "type": "function", "function": {"name": "q", "arguments": '{"a": 1, "b": 2}'}}]},
            {"role": "tool", "tool_call_id": call_id, "content": "42"},
        ]

    base = cache_key(("m",), convo("call_Xy12", "why slow?"), None)
    assert cache_key(("m",), convo("toolu_999", "  why slow?\n"), None) == base
    assert cache_key(("m",), convo("call_Xy12", "why fast?"), None) != base
    assert cache_key(("other",), convo("call_Xy12", "why slow?"), None) != base
    assert cache_key(("m",), convo("call_Xy12", "why slow?"), [{"name": "q"}]) != base


def test_cache_can_be_switched_off(tmp_path):
    fake = FakeModel(default="ok")
    g = Gateway.scripted(fake, tmp_path)
    g.cache = None
    g.complete("fast", ASK)
    g.complete("fast", ASK)
    assert len(fake.requests) == 2


def test_content_safety_hook_vetoes_before_sending(tmp_path):
    fake = FakeModel(default="ok")

    def no_customer_dumps(messages: list[dict]) -> str | None:
        text = " ".join(str(m.get("content", "")) for m in messages)
        return "prompt contains a customer table dump" if "BEGIN CUSTOMER DUMP" in text else None

    g = Gateway.scripted(fake, tmp_path, safety_hooks=[no_customer_dumps])
    g.complete("fast", ASK)
    with pytest.raises(ContentRefused, match="customer table dump.*not sent"):
        g.complete("fast", [{"role": "user", "content": "BEGIN CUSTOMER DUMP ..."}])
    assert len(fake.requests) == 1
    assert g.ledger.rows()[-1]["outcome"] == "refused_safety"


def test_safety_hooks_see_the_redacted_prompt(tmp_path):
    seen: list[str] = []
    g = Gateway.scripted(FakeModel(default="ok"), tmp_path, safety_hooks=[lambda m: seen.append(m[0]["content"])])
    g.complete("fast", [{"role": "user", "content": "token=abcdef123456"}])
    assert seen == ["token=[REDACTED_SECRET_VALUE_1]"]


def test_fake_model_says_when_the_script_runs_out(tmp_path):
    fake = FakeModel("only one")
    g = Gateway.scripted(fake, tmp_path)
    g.complete("fast", ASK)
    with pytest.raises(AssertionError, match="no scripted reply left"):
        g.complete("fast", ASK + [{"role": "user", "content": "again"}])


def test_a_provider_key_from_any_source_is_scrubbed_from_the_prompt(tmp_path):
    class KeyringLike(ProviderKeys):
        def __init__(self) -> None:
            super().__init__(env={})

        def api_key(self, provider: str, profile: str = "default") -> str | None:
            return "opaque-cred-9f8e7d6c"            # no known shape, not in all_values()

    fake = FakeModel(default="ok")
    g = Gateway.scripted(fake, tmp_path, aliases={"fast": "openai/gpt-4o-mini"}, provider_keys=KeyringLike())
    g.complete("fast", [{"role": "user", "content": "I pasted opaque-cred-9f8e7d6c by mistake"}])
    assert "opaque-cred-9f8e7d6c" not in str(fake.requests[0].messages)
