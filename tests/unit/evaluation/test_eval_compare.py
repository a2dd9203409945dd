"""`aiops eval --compare v2 v3` and the by-prompt-version report, with a scripted model whose
answers depend on the prompt it is sent (so the version really is what changes)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid

import pytest

from aiops.config import load_settings
from aiops.errors import BadInputError
from aiops.evaluation.compare import compare_versions
from aiops.evaluation.runner import EvalReport, run_eval
from aiops.gateway import FakeModel, Gateway
from aiops.resources import demo_bundle

GOOD = "Name the service whose own signals moved first. [careful]"
HASTY = "Name the loudest service. [hasty]"


@pytest.fixture
def settings(tmp_path):
    s = load_settings(env={})
    s.general.data_dir = str(tmp_path / "data")
    root = tmp_path / "prompts"
    for version, text in (("v2", HASTY), ("v3", GOOD)):
        (root / "reflector").mkdir(parents=True, exist_ok=True)
        (root / "reflector" / f"{version}.md").write_text(text)
    s.prompts.paths = [str(root)]
    return s


@pytest.fixture
def corpus(tmp_path):
    root = tmp_path / "suite"
    for name, tags in (("pool-a", '["regression"]'), ("pool-b", '["feedback"]')):
        case = root / name
        shutil.copytree(demo_bundle(), case)
        (case / "truth.toml").write_text(f'tags = {tags}\n[[root_cause]]\nservice = "inventory"\nkind = "pool"\n')
    return root


def _model() -> FakeModel:
    def reply(request):
        system = request.messages[0]["content"]
        service = "inventory" if "[careful]" in system else "frontend"
        return json.dumps({"hypotheses": [{"service": service, "fault": "x", "confidence": 0.8}], "decision": "answer"})

    return FakeModel(default=reply)


def test_compare_runs_the_suite_per_version_and_names_the_better_one(settings, corpus, tmp_path):
    fake = _model()
    gateway = Gateway.scripted(fake, tmp_path / "gw")
    gateway.cache = None              # as --compare does for a configured model: every case really calls it
    result = compare_versions(corpus, settings, ["v2", "v3"], gateway=gateway)
    v2, v3 = result.reports["v2"].stats(), result.reports["v3"].stats()
    assert (v2["cases"], v3["cases"]) == (2, 2)
    assert (v2["top1"], v3["top1"]) == (0.0, 1.0)
    assert result.better == "v3" and result.reason == "top-1 accuracy: 100% vs 0%"
    assert result.only_right == {"v2": [], "v3": ["pool-a", "pool-b"]}
    assert {c.prompts for c in result.reports["v2"].cases} == {"v2"}          # each version forced on every case
    assert {c.prompts for c in result.reports["v3"].cases} == {"v3"}
    assert all(c.tokens > 0 and c.llm_calls >= 1 for r in result.reports.values() for c in r.cases)
    sent = [r.messages[0]["content"] for r in fake.requests]
    assert sent.count(HASTY) >= 2 and sent.count(GOOD) >= 2
    doc = result.as_dict()
    assert doc["better"] == "v3" and doc["reports"]["v3"]["by_prompt"]["v3"]["top1"] == 1.0


def test_compare_needs_the_llm_reasoner_and_existing_versions(settings, corpus):
    settings.diagnose.reasoner = "offline"
    with pytest.raises(BadInputError, match="needs the LLM reasoner"):
        compare_versions(corpus, settings, ["v2", "v3"])
    settings.diagnose.reasoner = "auto"
    settings.models.planner = "openai/gpt-4o-mini"
    with pytest.raises(BadInputError, match=r"--compare v7: no prompt has a v7.md file \(followup: v1, v2; planner: v1, v2; reflector: v1, v2, v3"):
        compare_versions(corpus, settings, ["v2", "v7"])


def test_eval_reports_accuracy_by_tag_and_by_the_prompt_version_each_run_drew(settings, corpus, tmp_path,
                                                                             monkeypatch):
    # run ids are random; a canary by run then sends all 8 runs to one arm about once in 128
    # suites. Fixed ids whose buckets fall on both sides of 50 % keep the test deterministic.
    ids = iter(range(1, 100))
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=next(ids) << 80))
    gateway = Gateway.scripted(_model(), tmp_path / "gw")
    settings.diagnose.reasoner = "llm"
    settings.prompts.version = "v2"
    settings.prompts.canary = {"version": "v3", "percent": 50.0, "by": "run"}
    report = EvalReport()
    for _ in range(4):
        report.cases.extend(run_eval(corpus, settings, gateway=gateway))
    by_prompt = report.groups("prompt")
    assert set(by_prompt) == {"v2", "v3"}                 # 8 runs split between the arms
    assert report.stats(by_prompt["v3"])["top1"] == 1.0 and report.stats(by_prompt["v2"])["top1"] == 0.0
    by_tag = report.as_dict()["by_tag"]
    assert set(by_tag) == {"regression", "feedback"} and by_tag["feedback"]["cases"] == 4


def test_cli_compare_without_a_model_is_exit_2(corpus, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "aiops", "eval", "--corpus", str(corpus), "--compare", "v1", "v2"],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "AIOPS_GENERAL_DATA_DIR": str(tmp_path / "d")})
    assert proc.returncode == 2 and "needs the LLM reasoner" in proc.stderr and proc.stdout == ""
