"""`aiops eval --reasoner llm`: every case offline and with the model, side by side — accuracy,
wall time, model calls, tokens and cost per case, and how often the offline reasoner took over."""

from __future__ import annotations

import json
import shutil

import pytest

from aiops.config import load_settings
from aiops.evaluation.versus import run_versus, versus_dict
from aiops.gateway import FakeModel, Gateway
from aiops.resources import demo_bundle
from inprocess_cli import run_aiops
from openai_stub import OpenAIStub, completion


@pytest.fixture
def corpus(tmp_path):
    root = tmp_path / "suite"
    for name in ("case-a", "case-b"):
        shutil.copytree(demo_bundle(), root / name)
        (root / name / "truth.toml").write_text('[[root_cause]]\nservice = "inventory"\nkind = "pool"\n')
    return root


def verdict(service: str) -> str:
    return json.dumps({"decision": "answer", "hypotheses": [
        {"service": service, "fault": "x", "confidence": 0.9, "reasoning": "r"}]})


def test_each_case_is_diagnosed_offline_and_by_the_model(corpus, tmp_path):
    settings = load_settings(env={})
    settings.general.data_dir = str(tmp_path / "data")
    settings.history.enabled = False
    fake = FakeModel().enqueue(verdict("frontend"), "not json", "still not json")
    gateway = Gateway.scripted(fake, tmp_path / "gw")
    gateway.cache = None
    pairs = list(run_versus(corpus, settings, gateway=gateway))
    assert [p.name for p in pairs] == ["case-a", "case-b"]
    assert all(p.offline.reasoner == "offline" and p.offline.rank == 1 and p.offline.tokens == 0 for p in pairs)
    a, b = pairs
    assert a.llm.reasoner.startswith("llm:") and a.llm.rank == 2 and a.llm.llm_calls == 1 and a.llm.tokens > 0
    assert b.took_over and b.llm.rank == 1 and b.llm.llm_calls == 2       # retried once, then offline finished
    doc = versus_dict(pairs)
    assert doc["offline"]["top1"] == 1.0 and doc["llm"]["top1"] == 0.5 and doc["llm_took_over"] == 1
    assert doc["cases"][0]["llm"]["tokens"] == a.llm.tokens and doc["cases"][1]["offline"]["rank"] == 1


def test_the_cli_measures_a_model_behind_an_openai_compatible_endpoint(corpus, tmp_path):
    with OpenAIStub(lambda body: completion(verdict("inventory"), prompt_tokens=1000, completion_tokens=50)) as stub:
        config = tmp_path / "config.toml"
        config.write_text(f'[general]\ndata_dir = "{tmp_path / "data"}"\n[gateway]\ncache_enabled = false\n'
                          f'[models]\nplanner = "openai/tiny"\napi_bases = {{ planner = "{stub.base}" }}\n')
        out = run_aiops("--config", config, "eval", "--corpus", corpus, "--reasoner", "llm", "--json")
        text = run_aiops("--config", config, "eval", "--corpus", corpus, "--reasoner", "llm", env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["offline"]["cases"] == doc["llm"]["cases"] == 2 and doc["llm"]["top1"] == 1.0
    assert [c["llm"]["tokens"] for c in doc["cases"]] == [1050, 1050] and doc["llm_took_over"] == 0
    assert all(c["llm"]["llm_calls"] == 1 and c["offline"]["llm_calls"] == 0 for c in doc["cases"])
    assert len(stub.seen) == 4                                   # one reflection a case, two runs
    assert text.exit_code == 0 and "offline reasoner vs openai/tiny" in text.stdout
    assert "llm (openai/tiny)" in text.stdout and "case-b" in text.stdout
    # the trivial rankings of the same cases, beside both reasoners
    assert set(doc["offline"]["baselines"]) == {"random", "metric_shift", "span_latency", "error_logs"}
    assert "the agent beside trivial rankings" in text.stdout and "metric shift" in text.stdout


def test_the_cli_says_a_model_is_needed(corpus, tmp_path):
    out = run_aiops("eval", "--corpus", corpus, "--reasoner", "llm", env={"AIOPS_GENERAL_DATA_DIR": str(tmp_path)})
    assert out.exit_code == 2 and "needs a model" in out.stderr
