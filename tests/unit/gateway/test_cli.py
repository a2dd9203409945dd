"""`aiops gateway keys create|list|revoke`, `aiops gateway usage`, `aiops gateway models`."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from aiops.cli import app
from aiops.config import load_settings
from aiops.gateway import FakeModel, Gateway, InvalidInternalKey

runner = CliRunner()


def _run(*args: str, env: dict | None = None):
    return runner.invoke(app, ["gateway", *args], env=env or {})


def test_create_prints_the_key_once_and_list_never_shows_it(tmp_path):
    created = _run("keys", "create", "ci-nightly", "--tokens-per-day", "50000", "--requests-per-min", "20")
    assert created.exit_code == 0, created.output
    plain = created.stdout.strip()
    assert plain.startswith("aiops-ik-")
    listed = _run("keys", "list")
    assert "ci-nightly" in listed.stdout and "50000 tokens/day" in listed.stdout and "20 req/min" in listed.stdout
    assert plain not in listed.stdout
    as_json = json.loads(_run("keys", "list", "--format", "json").stdout)
    assert as_json[0]["name"] == "ci-nightly" and "key_hash" not in as_json[0] and plain not in json.dumps(as_json)


def test_revoked_keys_disappear_from_the_list_and_are_refused(tmp_path):
    plain = _run("keys", "create", "old").stdout.strip()
    assert _run("keys", "revoke", "old").exit_code == 0
    assert "old" not in _run("keys", "list").stdout
    assert json.loads(_run("keys", "list", "--all", "--format", "json").stdout)[0]["active"] is False
    settings = load_settings(env={})
    with pytest.raises(InvalidInternalKey, match="revoked"):
        Gateway.from_settings(settings, internal_key=plain, backend=FakeModel())


def test_revoking_an_unknown_key_is_a_bad_input_error():
    result = _run("keys", "revoke", "k-nothere")
    assert isinstance(result.exception, Exception) and getattr(result.exception, "exit_code", None) == 2
    assert "k-nothere" in str(result.exception)


def test_usage_by_model_and_key_reports_the_ledger(tmp_path):
    settings = load_settings(env={"AIOPS_MODELS_FAST": "openai/gpt-4o-mini"})
    plain = _run("keys", "create", "agent").stdout.strip()
    g = Gateway.from_settings(settings, internal_key=plain, backend=FakeModel(default="ok"))
    for q in ("a", "b", "a"):
        g.complete("fast", [{"role": "user", "content": q}])
    g.close()
    rows = json.loads(_run("usage", "--by", "model", "--format", "json").stdout)
    assert rows == [dict(rows[0], model="openai/gpt-4o-mini", requests=2, cache_hits=1, failures=0)]
    text = _run("usage", "--by", "key").stdout
    assert "agent" in text and "REQUESTS" in text
    assert _run("usage", "--by", "week").exit_code != 0


def test_models_shows_each_alias_and_its_fallbacks(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text('[models]\nplanner = "anthropic/claude-sonnet-4-5"\nfast = "openai/gpt-4o-mini"\n'
                   '[models.fallbacks]\nplanner = ["fast"]\n')
    result = runner.invoke(app, ["--config", str(cfg), "gateway", "models"])
    assert result.exit_code == 0, result.output
    assert "planner: anthropic/claude-sonnet-4-5 -> openai/gpt-4o-mini" in result.stdout
