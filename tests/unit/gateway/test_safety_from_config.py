"""The content-safety veto set from the config: a command or a Python entry point."""

from __future__ import annotations

import sys
import textwrap

import pytest

from aiops.config import load_settings
from aiops.errors import ConfigError
from aiops.gateway import FakeModel, Gateway
from aiops.gateway.errors import ContentRefused

ASK = [{"role": "user", "content": "why is checkout slow?"}]
DUMP = [{"role": "user", "content": "BEGIN CUSTOMER DUMP alice,bob"}]


def _settings(tmp_path, **gateway):
    lines = ["[general]", f'data_dir = "{tmp_path / "data"}"', "[models]", 'fast = "fake/scripted"', "[gateway]"]
    for key, value in gateway.items():
        lines.append(f"{key} = {value!r}".replace("'", '"'))
    cfg = tmp_path / "config.toml"
    cfg.write_text("\n".join(lines) + "\n")
    return load_settings(cfg, env={})


def test_a_safety_command_vetoes_from_the_config(tmp_path):
    guard = tmp_path / "guard.py"
    guard.write_text(textwrap.dedent("""
        import json, sys
        doc = json.load(sys.stdin)
        text = " ".join(m.get("content", "") for m in doc["messages"])
        if "CUSTOMER DUMP" in text:
            print("customer data must not leave the company")
            sys.exit(1)
    """))
    fake = FakeModel(default="ok")
    g = Gateway.from_settings(_settings(tmp_path, safety_command=[sys.executable, str(guard)]), backend=fake,
                              sleep=lambda s: None)
    assert g.complete("fast", ASK).text == "ok"
    with pytest.raises(ContentRefused, match="customer data must not leave the company.*not sent"):
        g.complete("fast", DUMP)
    assert len(fake.requests) == 1, "the vetoed prompt never reached the model"
    assert g.ledger.rows()[-1]["outcome"] == "refused_safety"


def test_a_command_that_cannot_answer_vetoes(tmp_path):
    fake = FakeModel(default="ok")
    g = Gateway.from_settings(_settings(tmp_path, safety_command=[str(tmp_path / "no-such-guard")]), backend=fake,
                              sleep=lambda s: None)
    with pytest.raises(ContentRefused, match="no-such-guard not found"):
        g.complete("fast", ASK)
    assert fake.requests == []


def test_a_python_entry_point_vetoes_from_the_config(tmp_path, monkeypatch):
    (tmp_path / "site_guards.py").write_text(textwrap.dedent("""
        def check(messages):
            text = " ".join(m.get("content", "") for m in messages)
            return "looks like a customer dump" if "CUSTOMER DUMP" in text else None
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    fake = FakeModel(default="ok")
    g = Gateway.from_settings(_settings(tmp_path, safety_hook="site_guards:check"), backend=fake, sleep=lambda s: None)
    g.complete("fast", ASK)
    with pytest.raises(ContentRefused, match="looks like a customer dump"):
        g.complete("fast", DUMP)
    assert len(fake.requests) == 1


def test_a_bad_entry_point_is_a_config_error_naming_the_key(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ConfigError, match=r"gateway.safety_hook = 'nowhere_module:check': cannot import"):
        Gateway.from_settings(_settings(tmp_path, safety_hook="nowhere_module:check"), backend=FakeModel())
    with pytest.raises(ConfigError, match=r"gateway.safety_hook = 'not a spec'"):
        _settings(tmp_path, safety_hook="not a spec")
