"""The LLM reasoner against a real model server: llama.cpp's OpenAI-compatible server with a
real (tiny) model, Gemma 3 270M, reached through `[models] api_bases` like any local model.

What is tested is the protocol, not the model's wisdom. A recording proxy sits between
aiops and the server so each test sees what went over the wire. A run must show: real
requests reaching the server, the server's token counts in the ledger, the diagnosis and
the trace's gen_ai spans, a repeat answered by the cache with no request at all, and either
(a) the model's verdict used, or (b) a schema-invalid reply retried once and then the
offline reasoner taking over, with a note. Any other way of failing — a request the server
refuses, an unreadable answer, a model that cannot be reached — is a broken protocol and
fails the test; `test_a_wrong_api_base_path_is_a_broken_protocol` shows that it does.

The server is started once per session (loading the model takes a while). Slow: these tests
carry the `live_llm` marker, are left out of the default run and are run by `.ci/run`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from llama_server import MODEL_ALIAS, missing_packages, model_file, start_llama_server
from llm_proxy import Exchange, RecordingProxy

pytestmark = pytest.mark.live_llm

MODEL = f"openai/{MODEL_ALIAS}"
CONTEXT_WINDOW = 2560       # what aiops may send: keeps prompts (and the CPU's time) small
POOR = "the model's answer was poor: a schema-invalid verdict, retried once, then the offline reasoner took over"
USED = "the model's verdict was used"


@pytest.fixture(scope="session")
def llama(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config):
    missing = missing_packages()
    if missing:
        why = f"live-model tests need {', '.join(missing)} (.ci/run installs them)"
        if os.environ.get("AIOPS_TEST_REQUIRE_LIVE_LLM"):
            pytest.fail(why)
        pytest.skip(why)
    model = model_file(Path(pytestconfig.cache.mkdir("gemma3-270m")))
    server = start_llama_server(tmp_path_factory.mktemp("llama"), model)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def proxy(llama):
    recording = RecordingProxy(llama.url).start()
    yield recording
    recording.stop()


def write_config(path: Path, api_base: str, data_dir: Path) -> Path:
    path.write_text(f"""
[general]
data_dir = "{data_dir}"

[models]
planner = "{MODEL}"
api_bases = {{ planner = "{api_base}" }}
context_windows = {{ planner = {CONTEXT_WINDOW} }}

[gateway]
timeout_s = 900.0
backoff_s = 0.1

[diagnose]
reasoner = "llm"
max_wall_s = 3600.0
""")
    return path


@dataclass
class Run:
    diagnosis: dict
    exchanges: list[Exchange]
    ledger: list[dict]
    spans: list[dict]
    stderr: str


def diagnose(tmp: Path, config: Path, proxy: RecordingProxy, *target: str) -> Run:
    """`aiops diagnose TARGET --reasoner llm --format json` as a real process."""
    trace = tmp / f"trace-{proxy.mark()}-{len(list(tmp.glob('trace-*')))}.jsonl"
    mark = proxy.mark()
    before = len(_ledger(config))
    proc = subprocess.run([sys.executable, "-m", "aiops", "--config", str(config), "diagnose", *target,
                           "--reasoner", "llm", "--format", "json", "--trace", str(trace)],
                          capture_output=True, text=True, timeout=3600, env=os.environ | {"LITELLM_LOCAL_MODEL_COST_MAP": "True"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    spans = [json.loads(line) for line in trace.read_text().splitlines()] if trace.exists() else []
    return Run(json.loads(proc.stdout), proxy.since(mark), _ledger(config)[before:], spans, proc.stderr)


def _ledger(config: Path) -> list[dict]:
    from aiops.config import load_settings
    from aiops.gateway import Ledger, gateway_paths

    ledger = Ledger(gateway_paths(load_settings(config))[0])
    if not ledger.path.exists() and not ledger.wal_path.exists():
        return []
    return ledger.rows()


def protocol_outcome(run: Run) -> str:
    """USED or POOR when the protocol held; AssertionError saying what broke otherwise."""
    d, sent = run.diagnosis, run.exchanges
    notes = " | ".join(d["notes"])
    failed = next((n for n in d["notes"] if n.startswith("the model failed")), "")
    assert sent, f"protocol broken: no request reached the server ({failed or notes})"
    for ex in sent:
        assert ex.method == "POST" and ex.path.endswith("/chat/completions"), f"protocol broken: {ex.method} {ex.path}"
        assert ex.status == 200, f"protocol broken: the server answered {ex.status}: {str(ex.response)[:300]}"
        assert ex.request["model"] == MODEL_ALIAS and ex.request["messages"], "protocol broken: request body"
        assert isinstance(ex.response, dict) and ex.response["choices"][0]["message"]["role"] == "assistant", \
            f"protocol broken: not a chat completion: {str(ex.response)[:300]}"
        assert ex.usage.get("prompt_tokens", 0) > 0, "protocol broken: the server reported no token counts"
        if ex.request.get("tools"):
            assert ex.request.get("tool_choice") == "auto", "tools sent without tool_choice: llama.cpp ignores them"
    # the tokens the server counted are the ones recorded: ledger, diagnosis usage, trace spans
    served = [(ex.usage["prompt_tokens"], ex.usage["completion_tokens"]) for ex in sent]
    paid = [(r["prompt_tokens"], r["completion_tokens"]) for r in run.ledger
            if r["operation"] == "chat" and r["outcome"] == "ok" and not r["cache_hit"]]
    assert Counter(paid) == Counter(served), f"ledger {paid} != server {served}"
    usage = d["usage"]
    assert usage["llm_calls"] == len(sent)
    assert (usage["prompt_tokens"], usage["completion_tokens"]) == tuple(map(sum, zip(*served)))
    chat = [s for s in run.spans if s["attributes"].get("gen_ai.operation.name") == "chat"]
    traced = [(s["attributes"]["gen_ai.usage.input_tokens"], s["attributes"]["gen_ai.usage.output_tokens"])
              for s in chat if not s["attributes"].get("aiops.cache_hit")]
    assert Counter(traced) == Counter(served), f"gen_ai spans {traced} != server {served}"
    assert all(s["attributes"]["gen_ai.request.model"] == MODEL for s in chat)
    # what the model's answers led to
    if d["reasoner"].startswith("llm:"):
        assert not failed
        return USED
    assert d["reasoner"].startswith("offline (took over from llm:"), d["reasoner"]
    assert "invalid verdict twice" in failed, f"protocol broken: the model failed for another reason: {failed}"
    retries = [ex for ex in sent if "Your reply was not valid" in ex.request["messages"][-1]["content"]]
    assert len(retries) == 1, "a schema-invalid verdict is retried exactly once"
    first = sent[sent.index(retries[0]) - 1]
    assert retries[0].request["messages"][:len(first.request["messages"])] == first.request["messages"]
    bad = first.response["choices"][0]["message"]["content"] or ""
    assert retries[0].request["messages"][-2] == {"role": "assistant", "content": bad[:2000]}
    return POOR


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, proxy):
    tmp = tmp_path_factory.mktemp("live-llm")
    return tmp, write_config(tmp / "config.toml", proxy.url + "/v1", tmp / "data")


def test_the_demo_over_a_real_model_server(workspace, proxy, record_property):
    tmp, config = workspace
    run = diagnose(tmp, config, proxy, "--demo")
    outcome = protocol_outcome(run)
    record_property("outcome", outcome)
    print(f"\ndemo: {outcome}; {len(run.exchanges)} request(s), {run.diagnosis['usage']}")
    assert [rc["service"] for rc in run.diagnosis["root_causes"]][:1] and len(run.diagnosis["root_causes"]) >= 5

    again = diagnose(tmp, config, proxy, "--demo")       # the same prompts: the cache answers
    assert again.exchanges == [], "a repeat must not reach the server"
    hits = [r for r in again.ledger if r["operation"] == "chat"]
    assert hits and all(r["cache_hit"] and r["prompt_tokens"] == 0 for r in hits)
    assert len(hits) == len(run.exchanges)
    chat = [s for s in again.spans if s["attributes"].get("gen_ai.operation.name") == "chat"]
    assert chat and all(s["attributes"]["aiops.cache_hit"] for s in chat)
    assert again.diagnosis["reasoner"] == run.diagnosis["reasoner"]
    assert [rc["service"] for rc in again.diagnosis["root_causes"]] == \
        [rc["service"] for rc in run.diagnosis["root_causes"]]


def test_a_simulated_incident_over_a_real_model_server(workspace, proxy, record_property):
    tmp, config = workspace
    bundle = tmp / "sim"
    made = subprocess.run([sys.executable, "-m", "aiops", "simulate", "--scenario", "memory_leak", "--seed", "3",
                           "--out", str(bundle)], capture_output=True, text=True, timeout=600)
    assert made.returncode == 0, made.stderr
    run = diagnose(tmp, config, proxy, "--bundle", str(bundle))
    outcome = protocol_outcome(run)
    record_property("outcome", outcome)
    print(f"\nsimulated: {outcome}; {len(run.exchanges)} request(s), {run.diagnosis['usage']}")
    assert len(run.diagnosis["root_causes"]) >= 5


def test_a_wrong_api_base_path_is_a_broken_protocol(tmp_path, llama, proxy):
    """The check above fails when the wire breaks: here the base URL lacks its /v1."""
    config = write_config(tmp_path / "config.toml", proxy.url, tmp_path / "data")
    run = diagnose(tmp_path, config, proxy, "--demo")
    assert run.exchanges and all(ex.status == 404 for ex in run.exchanges)
    with pytest.raises(AssertionError, match="protocol broken"):
        protocol_outcome(run)


def test_the_planner_s_tool_calls_are_parsed_or_refused_with_a_note(workspace, proxy, record_property):
    """Round 2 planned by the model over the real server: the tools go out as OpenAI
    functions, each tool call that comes back becomes a step, and each step runs or is
    refused with a note. When the model calls no tool (a poor answer: the run would just
    answer), the request is repeated with one tool forced through the backend's request hook,
    so a real tool-call reply is parsed either way. (The registry is cut to the second-look
    tools to keep the prompt small for a CPU; the tool list and schemas are the real ones.)"""
    from aiops.agent.executor import execute
    from aiops.agent.playbooks import default_playbooks
    from aiops.agent.reasoners.llm import LlmReasoner
    from aiops.agent.reasoners.offline import OfflineReasoner
    from aiops.agent.state import RunState
    from aiops.config import load_settings
    from aiops.gateway import Gateway, LiteLLMBackend
    from aiops.resources import demo_bundle
    from aiops.telemetry.bundle import load_bundle
    from aiops.tooling import ToolRegistry, default_registry, model_name

    _, config = workspace
    settings = load_settings(config)
    settings.gateway.cache_enabled = False
    loaded = load_bundle(demo_bundle())
    full = default_registry(settings)
    state = RunState.start(loaded.incident, loaded.store, settings, run_id="live-plan")
    offline = OfflineReasoner(full, default_playbooks(settings)[0])
    survey = {f.index: f.record for f in execute(full, state, offline.plan(state, 1, None, 24).steps, 1, 60)}
    for i in sorted(survey):
        state.merge(survey[i])
    verdict = offline.reflect(state, 1, must_answer=False)
    names = ("traces.explain", "metrics.datastores", "traces.paths")
    tools = ToolRegistry()
    for name in names:
        tools.register(full.get(name))

    def plan(force: str = ""):
        def hook(kwargs: dict) -> dict:
            if force and kwargs.get("tools"):
                kwargs["tool_choice"] = {"type": "function", "function": {"name": force}}
            return kwargs

        gateway = Gateway.from_settings(settings, backend=LiteLLMBackend(request_hook=hook))
        llm = LlmReasoner(settings, tools, OfflineReasoner(tools, []), gateway=gateway)
        mark = proxy.mark()
        steps = llm.plan(state, 2, verdict, 4).steps
        (ex,) = proxy.since(mark)
        assert llm.failed == "", f"protocol broken: {llm.failed}"
        assert ex.status == 200, f"protocol broken: the server answered {ex.status}: {str(ex.response)[:300]}"
        assert sorted(t["function"]["name"] for t in ex.request["tools"]) == sorted(map(model_name, names))
        return steps, ex, ex.response["choices"][0]["message"].get("tool_calls") or []

    try:
        steps, ex, calls = plan()
        assert ex.request["tool_choice"] == "auto"
        chose = f"the model called {len(calls)} tool(s)"
        if not calls:
            chose = "the model called no tool (a poor answer: the run would answer); one tool forced"
            steps, ex, calls = plan(model_name("traces.paths"))
            assert calls, "protocol broken: a forced tool call came back without tool_calls"
        assert [s.tool for s in steps] == [tools.resolve(c["function"]["name"]).spec.name
                                           if tools.resolve(c["function"]["name"]) else c["function"]["name"]
                                           for c in calls][:4]
        for step, call in zip(steps, calls):
            try:
                sent_args = json.loads(call["function"]["arguments"])
            except ValueError:
                sent_args = None
            assert step.args == sent_args if isinstance(sent_args, dict) else "_unparsable_arguments" in step.args
        results = [f.record for f in execute(tools, state, steps, 2, 60)]
    finally:
        loaded.store.close()
    assert len(results) == len(steps)
    for r in results:
        assert r.result.status in ("ok", "no_data", "error", "denied")
        assert r.result.summary, "a refused or empty step says why"
    outcome = f"{chose}: " + ", ".join(f"{r.step.tool}({json.dumps(r.step.args)}) -> {r.result.status}: "
                                       f"{r.result.summary.splitlines()[0][:80]}" for r in results)
    record_property("outcome", outcome)
    print(f"\nplanner: {outcome}")
