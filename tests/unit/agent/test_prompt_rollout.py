"""Managed prompts: versioned files, a deterministic gray rollout, edits picked up live."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from aiops.agent.prompt_rollout import assign_prompts, prompt_store
from aiops.agent.prompts import PromptStore
from aiops.agent.session import investigate
from aiops.errors import ConfigError
from aiops.gateway import FakeModel, Gateway


def _write(root: Path, name: str, version: str, text: str) -> Path:
    path = root / name / f"{version}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def prompt_dir(tmp_path, settings):
    """Operator prompts: planner v2, v3 and reflector v2 (the shipped v1s stay below them)."""
    root = tmp_path / "prompts"
    _write(root, "planner", "v2", "PLANNER TWO")
    _write(root, "planner", "v3", "PLANNER THREE")
    _write(root, "reflector", "v2", "REFLECTOR TWO")
    settings.prompts.paths = [str(root)]
    return root


def _run_ids(n: int) -> list[str]:
    rng = random.Random(20240611)
    return [uuid.UUID(int=rng.getrandbits(128)).hex[:12] for _ in range(n)]   # the loop's run-id shape


@pytest.mark.parametrize("percent", [10.0, 37.0])
def test_the_canary_gets_its_share_of_1000_runs_within_3_points(settings, prompt_dir, percent):
    settings.prompts.canary = {"version": "v3", "percent": percent, "by": "run"}
    store = prompt_store(settings)
    arms = [assign_prompts(settings, store, run_id, None) for run_id in _run_ids(1000)]
    canary = [a for a in arms if a.arm == "canary"]
    assert abs(100 * len(canary) / 1000 - percent) <= 3
    # canary runs get v3 where it exists, the newest <= v3 elsewhere; the others stay below the canary
    # (followup: the shipped v2, the newest <= the arm's version)
    assert {tuple(sorted(a.versions.items())) for a in canary} == \
        {(("followup", "v2"), ("planner", "v3"), ("reflector", "v2"))}
    assert {tuple(sorted(a.versions.items())) for a in arms if a.arm == "stable"} == \
        {(("followup", "v2"), ("planner", "v2"), ("reflector", "v2"))}


def test_the_split_is_deterministic_per_run_or_per_incident(settings, prompt_dir, demo):
    settings.prompts.canary = {"version": "v3", "percent": 50.0, "by": "run"}
    store = prompt_store(settings)
    ids = _run_ids(50)
    first = [assign_prompts(settings, store, i, demo.incident).arm for i in ids]
    assert first == [assign_prompts(settings, store, i, demo.incident).arm for i in ids]
    assert set(first) == {"canary", "stable"}
    settings.prompts.canary["by"] = "incident"          # the same incident always gets the same prompts
    assert len({assign_prompts(settings, store, i, demo.incident).arm for i in ids}) == 1


def test_pins_and_bad_versions(settings, prompt_dir):
    store = prompt_store(settings)
    assert assign_prompts(settings, store, "r", None).versions == {"followup": "v2", "planner": "v3", "reflector": "v2"}
    settings.prompts.version = "v2"
    assert assign_prompts(settings, store, "r", None).versions == {"followup": "v2", "planner": "v2", "reflector": "v2"}
    settings.prompts.version = "v9"
    with pytest.raises(ConfigError, match=r"prompts.version = 'v9': no prompt has a v9.md file \(followup: v1, v2; planner: v1, v2, v3"):
        assign_prompts(settings, store, "r", None)


def test_a_bad_canary_table_is_refused_naming_the_key(tmp_path):
    from aiops.config import load_settings

    cfg = tmp_path / "c.toml"
    cfg.write_text('[prompts.canary]\nversion = "v3"\npercent = 140\n')
    with pytest.raises(ConfigError, match=r"c.toml: prompts.canary.percent = 140 must be a number from 0 to 100"):
        load_settings(cfg, env={})
    cfg.write_text('[prompts.canary]\nversoin = "v3"\n')
    with pytest.raises(ConfigError, match=r"unknown key prompts.canary.versoin"):
        load_settings(cfg, env={})


def test_an_edited_prompt_file_is_seen_by_the_same_store_without_a_restart(tmp_path):
    root = tmp_path / "p"
    path = _write(root, "planner", "v2", "first text")
    store = PromptStore([root])
    assert store.get("planner").text == "first text"
    path.write_text("second")                                   # edited in place
    assert store.get("planner").text == "second"
    tmp = path.with_suffix(".tmp")
    tmp.write_text("third, saved by an editor that renames")   # same size as nothing before; new inode
    os.replace(tmp, path)
    assert store.get("planner").text == "third, saved by an editor that renames"
    _write(root, "planner", "v3", "a new version")              # a new version file appears
    assert store.get("planner").version == "v3"


def test_a_live_process_picks_up_a_prompt_edit(tmp_path):
    """A separate, long-running process keeps one PromptStore; it answers one request per
    input line. Between two requests the file is edited; the second answer has the new text."""
    root = tmp_path / "p"
    path = _write(root, "reflector", "v2", "judge the evidence, version A")
    program = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from aiops.agent.prompts import PromptStore
        store = PromptStore([Path({str(root)!r})])
        for line in sys.stdin:
            p = store.get("reflector")
            print(p.version, p.text, flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", program], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        proc.stdin.write("get\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "v2 judge the evidence, version A"
        path.write_text("judge the evidence, version B (edited while running)")
        proc.stdin.write("get\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "v2 judge the evidence, version B (edited while running)"
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
    assert proc.returncode == 0


def _verdict(service):
    return json.dumps({"hypotheses": [{"service": service, "fault": "f", "confidence": 0.8}], "decision": "answer"})


def test_a_canary_run_sends_the_canary_prompt_and_records_its_versions(demo, settings, prompt_dir, tmp_path):
    fake = FakeModel(default=lambda request: _verdict("inventory"))
    gateway = Gateway.scripted(fake, tmp_path / "gw")
    settings.diagnose.reasoner = "llm"
    settings.prompts.canary = {"version": "v3", "percent": 100.0, "by": "run"}
    events = list(investigate(demo.incident, demo.store, settings, gateway=gateway))
    d = events[-1].diagnosis
    assert d.prompt_versions == {"followup": "v2", "planner": "v3", "reflector": "v2"} == events[0].prompt_versions
    assert fake.requests[0].messages[0]["content"] == "REFLECTOR TWO"
    settings.prompts.canary = {"version": "v3", "percent": 0.0, "by": "run"}
    settings.prompts.version = ""
    d = list(investigate(demo.incident, demo.store, settings, gateway=gateway))[-1].diagnosis
    assert d.prompt_versions == {"followup": "v2", "planner": "v3", "reflector": "v2"}      # no canary: the newest


def test_a_running_process_uses_an_edited_prompt_on_its_next_run(demo, settings, prompt_dir, tmp_path):
    fake = FakeModel(default=lambda request: _verdict("inventory"))
    gateway = Gateway.scripted(fake, tmp_path / "gw")
    settings.diagnose.reasoner = "llm"
    list(investigate(demo.incident, demo.store, settings, gateway=gateway))
    assert fake.requests[-1].messages[0]["content"] == "REFLECTOR TWO"
    (prompt_dir / "reflector" / "v2.md").write_text("REFLECTOR TWO, EDITED")
    list(investigate(demo.incident, demo.store, settings, gateway=gateway))
    assert fake.requests[-1].messages[0]["content"] == "REFLECTOR TWO, EDITED"
