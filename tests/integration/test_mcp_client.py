"""aiops as an MCP client against a real MCP server process (tests/support/mcp_test_server.py,
written with the official SDK) over stdio and streamable HTTP: its read-only tools join the
registry, a writing or unlisted tool is refused and never called, results are fenced and
redacted like every tool output, and a server that fails to start, hangs, dies or talks
garbage becomes missing evidence or an error result — never a hang or a crash."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aiops.agent.events import ToolResultEvent
from aiops.agent.session import Session
from aiops.config import load_settings
from aiops.gateway import FakeModel, Gateway
from aiops.tooling import default_registry, model_name
from inprocess_cli import run_aiops
from live_servers import free_port

SERVER = Path(__file__).resolve().parents[1] / "support" / "mcp_test_server.py"
SECRET = "hunter2-do-not-leak"
ALLOW = ["search_incidents", "deploy_history", "restart_service", "lookup", "hang", "die"]   # not: flood


def stdio_server(calls: Path, *extra: str, **options) -> dict:
    return {"command": sys.executable, "args": [str(SERVER), *extra], "env": {"MCP_TEST_CALLS": str(calls)},
            "allow": ALLOW, "startup_timeout_s": 120.0} | options


def settings_with(tmp: Path, **servers: dict):
    settings = load_settings(env={})
    settings.general.data_dir = str(tmp / "data")
    settings.history.enabled = False
    settings.mcp.servers = servers
    return settings


def called(calls: Path) -> list[str]:
    return [json.loads(line)["tool"] for line in calls.read_text().splitlines()] if calls.exists() else []


@pytest.fixture
def demo_state(demo):
    from aiops.agent.state import RunState

    return RunState.start(demo.incident, demo.store, load_settings(env={}))


@pytest.fixture(scope="module")
def tracker(tmp_path_factory):
    """One registry holding a stdio connection to the test server for the module's tests."""
    tmp = tmp_path_factory.mktemp("mcp-stdio")
    calls = tmp / "calls.jsonl"
    registry = default_registry(settings_with(tmp, tracker=stdio_server(calls)))
    yield registry, calls
    registry.close()


def test_read_only_tools_join_the_registry_and_the_others_are_refused(tracker):
    registry, calls = tracker
    mcp = {s.name: s for s in registry.specs() if s.origin == "mcp:tracker"}
    assert set(mcp) == {f"mcp.tracker.{n}" for n in ("search_incidents", "deploy_history", "lookup", "hang", "die")}
    assert all(s.read_only and not s.http_methods for s in mcp.values())
    assert mcp["mcp.tracker.search_incidents"].parameters == {
        "type": "object", "properties": {"service": {"type": "string"}}, "required": ["service"]}
    refused = {r.name: r.reason for r in registry.refused}
    assert refused == {"mcp.tracker.restart_service": "its annotations say it is destructive",
                       "mcp.tracker.flood": "not on the allow-list (mcp.servers.tracker.allow)"}
    assert registry.missing == [] and "restart_service" not in called(calls)


def test_a_call_returns_the_servers_text_as_a_cited_finding(tracker, demo_state):
    registry, calls = tracker
    tool = registry.get("mcp__tracker__search_incidents")           # the name a model sees resolves too
    result = tool.run(demo_state.context(), {"service": "inventory"})
    assert result.status == "ok" and "INC-4711 inventory" in result.summary
    assert result.query.startswith("mcp tracker tools/call search_incidents")
    (finding,) = result.findings
    assert finding.service == "inventory" and "external" in finding.tags and finding.score == 0.0
    assert finding.ref == 'mcp://tracker/search_incidents {"service": "inventory"}'
    structured = registry.get("mcp.tracker.deploy_history").run(demo_state.context(), {"service": "legacy-billing"})
    assert structured.status == "ok" and '"v2.3.1"' in structured.summary
    assert structured.findings[0].service == ""          # no service of this incident: cited in the notes only
    assert called(calls)[-2:] == ["search_incidents", "deploy_history"]


def test_aiops_tools_lists_the_mcp_tools_and_the_refused_ones(tmp_path):
    calls = tmp_path / "calls.jsonl"
    config = tmp_path / "config.toml"
    table = stdio_server(calls)
    config.write_text("[mcp.servers.tracker]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in table.items()
                                                          if k != "env")
                      + f'env = {{ MCP_TEST_CALLS = {json.dumps(str(calls))} }}\n')
    out = run_aiops("--config", config, "tools", "--format", "json")
    assert out.exit_code == 0, out.stderr
    doc = json.loads(out.stdout)
    names = {t["name"]: t for t in doc["tools"]}
    assert names["mcp.tracker.lookup"]["origin"] == "mcp:tracker" and names["mcp.tracker.lookup"]["read_only"]
    assert {r["name"] for r in doc["refused"]} == {"mcp.tracker.restart_service", "mcp.tracker.flood"}
    text = run_aiops("--config", config, "tools")
    assert "refused: mcp.tracker.restart_service" in " ".join(text.stdout.split())
    assert called(calls) == []                                   # listing never calls a tool


def test_a_streamable_http_server_works_the_same(tmp_path, demo_state):
    calls = tmp_path / "calls.jsonl"
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(SERVER), "--http", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env={**__import__("os").environ, "MCP_TEST_CALLS": str(calls)})
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert proc.poll() is None, "the HTTP server died"
            time.sleep(0.2)
        registry = default_registry(settings_with(tmp_path, web={"url": f"http://127.0.0.1:{port}/mcp",
                                                                 "allow": ["search_*", "restart_service"]}))
        try:
            assert {s.name for s in registry.specs() if s.origin == "mcp:web"} == {"mcp.web.search_incidents"}
            assert "mcp.web.restart_service" in {r.name for r in registry.refused}
            result = registry.get("mcp.web.search_incidents").run(demo_state.context(), {"service": "cart"})
            assert result.status == "ok" and "INC-4711 cart" in result.summary
        finally:
            registry.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert called(calls) == ["search_incidents"]


def test_an_investigation_cites_the_external_tool_and_never_calls_a_writing_one(tmp_path, demo):
    calls = tmp_path / "calls.jsonl"
    settings = settings_with(tmp_path, tracker=stdio_server(calls))
    settings.diagnose.reasoner = "llm"
    fake = FakeModel()
    verdict = lambda decision, conf: json.dumps({"decision": decision, "hypotheses": [          # noqa: E731
        {"service": "inventory", "fault": "connection_pool_exhaustion", "confidence": conf, "reasoning": "pool"}]})
    fake.enqueue(verdict("investigate", 0.5),
                 [FakeModel.tool_call("mcp__tracker__search_incidents", service="inventory"),
                  FakeModel.tool_call("mcp__tracker__restart_service", service="inventory"),
                  FakeModel.tool_call("mcp__tracker__deploy_history", service="legacy-billing")],
                 verdict("answer", 0.9))
    session = Session(settings, gateway=Gateway.scripted(fake, tmp_path / "gw"))
    events = list(session.investigate(demo.incident, demo.store))
    d = events[-1].diagnosis
    results = {e.step.tool: e for e in events if isinstance(e, ToolResultEvent) and e.step.tool.startswith("mcp")}
    assert results["mcp.tracker.search_incidents"].status == "ok"
    assert results["mcp__tracker__restart_service"].status == "denied"          # not in the registry at all
    assert sorted(called(calls)) == ["deploy_history", "search_incidents"]      # the writing tool never ran
    offered = {t["function"]["name"] for t in fake.requests[1].tools}
    assert "mcp__tracker__search_incidents" in offered and "mcp__tracker__restart_service" not in offered
    top = d.root_causes[0]
    assert top.service == "inventory"
    cited = [e for e in top.evidence if e.ref.startswith("mcp://tracker/search_incidents")]
    assert cited and "INC-4711 inventory" in cited[0].summary
    assert any(n.startswith("external evidence: tracker/deploy_history (MCP)") and "legacy-billing" in n
               for n in d.notes)                                # about no service of this incident: a note
    # fenced and redacted like every tool output: on the wire to the model and in the report
    sent = fake.requests[2].messages[-1]["content"]
    assert '<tool_result step="r2-1" tool="mcp.tracker.search_incidents" status="ok">' in sent
    assert sent.count("</tool_result>") == sent.count("<tool_result ")
    assert SECRET not in json.dumps([r.messages for r in fake.requests])
    assert SECRET not in json.dumps([e.summary for rc in d.root_causes for e in rc.evidence] + list(d.notes))
    assert "[REDACTED_" in cited[0].summary


@pytest.mark.parametrize("mode,expect", [("die", "fatal: cannot reach the incident database"),
                                         ("hang", "no answer within 3 s"),
                                         ("garbage", "does not speak MCP"),
                                         ("missing-command", "No such file"),
                                         ("nobody-listening", "(http) and its tools: could not connect: ")])
def test_a_server_that_fails_to_start_is_named_as_missing_evidence(tmp_path, demo, mode, expect):
    calls = tmp_path / "calls.jsonl"
    table = {"missing-command": {"command": str(tmp_path / "no-such-server"), "allow": ["x"]},
             "nobody-listening": {"url": f"http://127.0.0.1:{free_port()}/mcp", "allow": ["x"],
                                  "startup_timeout_s": 20.0},
             }.get(mode) or stdio_server(calls, "--mode", mode, startup_timeout_s=3.0 if mode == "hang" else 60.0)
    settings = settings_with(tmp_path, broken=table)
    settings.diagnose.reasoner = "offline"
    t0 = time.monotonic()
    d = list(Session(settings).investigate(demo.incident, demo.store))[-1].diagnosis
    assert time.monotonic() - t0 < 60
    (missing,) = [m for m in d.missing_evidence if "MCP server broken" in m]
    assert "could not connect" in missing and expect in missing
    assert len(d.root_causes) >= 5                             # the diagnosis goes on without it


def test_a_server_that_hangs_or_dies_mid_call_gives_error_results(tmp_path, demo_state):
    calls = tmp_path / "calls.jsonl"
    registry = default_registry(settings_with(tmp_path, tracker=stdio_server(calls, timeout_s=5.0)))
    try:
        ctx = demo_state.context()
        t0 = time.monotonic()
        hung = registry.get("mcp.tracker.hang").run(ctx, {})
        assert hung.status == "error" and "no answer within 5 s" in hung.summary and time.monotonic() - t0 < 30
        died = registry.get("mcp.tracker.die").run(ctx, {})
        assert died.status == "error" and "dying on purpose" in died.summary
        after = registry.get("mcp.tracker.lookup")
        assert after.available(ctx) is not None                 # the executor reports it unavailable
        assert after.run(ctx, {"query": "x"}).status == "error"
    finally:
        registry.close()
    assert called(calls) == ["hang", "die"]


def test_a_flood_is_cut_for_the_reasoner(tmp_path, demo_state):
    calls = tmp_path / "calls.jsonl"
    registry = default_registry(settings_with(tmp_path, tracker=stdio_server(calls, allow=["flood"])))
    try:
        result = registry.get("mcp.tracker.flood").run(demo_state.context(), {})
    finally:
        registry.close()
    assert result.status == "ok" and result.truncated and len(result.summary) < 7000
    assert "more characters]" in result.summary


def test_model_facing_names_stay_within_provider_limits(tracker):
    registry, _ = tracker
    assert all(len(model_name(s.name)) <= 64 for s in registry.specs())


def test_an_offline_playbook_can_call_an_mcp_tool_and_the_report_cites_it(tmp_path, demo):
    calls = tmp_path / "calls.jsonl"
    books = tmp_path / "playbooks"
    books.mkdir()
    (books / "incident-tracker.yaml").write_text("""
name: aa-incident-tracker
title: Known incident (the incident tracker remembers it)
fault: known_incident
description: Past incidents of the alerting service, from the operator's incident tracker (MCP).
match:
  symptoms: [latency, p99, slo]
checks:
  - tool: mcp.tracker.search_incidents
    args: {service: "{service}"}
    reason: past incidents of the alerting service
""")
    settings = settings_with(tmp_path, tracker=stdio_server(calls))
    settings.playbooks.paths = [str(books)]
    settings.diagnose.reasoner = "offline"
    d = list(Session(settings).investigate(demo.incident, demo.store))[-1].diagnosis
    assert called(calls) == ["search_incidents"]
    cited = [e for rc in d.root_causes if rc.service == "frontend" for e in rc.evidence
             if e.ref.startswith("mcp://tracker/search_incidents")]
    assert cited and "INC-4711 frontend" in cited[0].summary and SECRET not in cited[0].summary
