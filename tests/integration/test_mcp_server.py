"""`aiops mcp serve` driven by the official SDK's own client, over stdio and streamable HTTP:
tools/list with JSON schemas and read-only annotations, a diagnosis equal to `aiops diagnose
--demo --format json` (run ids aside) with progress, the other tools, and bad calls answered
as tool errors while the server stays up."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest

from live_servers import free_port

OWN = {"diagnose", "kb_search", "detect", "logs_templates", "runs_list", "runs_show"}
PER_RUN = ("run_id", "duration_s", "trace_id")


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k in ("HOME", "XDG_DATA_HOME", "PATH", "LANG")} | {
        "LITELLM_LOCAL_MODEL_COST_MAP": "True"}


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("mcp-serve")
    path = tmp / "config.toml"
    path.write_text(f'[general]\ndata_dir = "{tmp / "data"}"\n')
    return path


def stdio(config: Path):
    from mcp import Client, StdioServerParameters

    return Client(StdioServerParameters(command=sys.executable, args=["-m", "aiops", "--config", str(config), "mcp",
                                                                      "serve"], env=_env()),
                  read_timeout_seconds=600)


def per_run_fields_removed(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k not in PER_RUN}


@pytest.fixture(scope="module")
def served(config):
    """One stdio session: the tool list, a demo diagnosis with its progress, the history tools."""
    cli = subprocess.run([sys.executable, "-m", "aiops", "--config", str(config), "diagnose", "--demo", "--format",
                          "json"], capture_output=True, text=True, env=_env(), timeout=600)
    assert cli.returncode == 0, cli.stderr

    async def session() -> dict:
        out: dict = {"progress": []}
        async with stdio(config) as client:
            out["tools"] = (await client.list_tools()).tools

            async def progress(done: float, total: float | None, message: str | None) -> None:
                out["progress"].append((done, message))

            out["diagnose"] = await client.call_tool("diagnose", {"demo": True}, progress_callback=progress)
            run_id = json.loads(out["diagnose"].content[0].text)["run_id"]
            out["runs_list"] = await client.call_tool("runs_list", {"limit": 5})
            out["runs_show"] = await client.call_tool("runs_show", {"run": run_id})
            out["metrics"] = await client.call_tool("metrics__scan", {"demo": True})
            out["unknown"] = await client.call_tool("delete_everything", {})
            out["bad_args"] = await client.call_tool("runs_list", {"limit": "many"})
            out["no_bundle"] = await client.call_tool("traces__paths", {"service": "checkout"})
            out["missing_bundle"] = await client.call_tool("diagnose", {"bundle": "/nonexistent/bundle"})
            out["after_errors"] = await client.call_tool("kb_search", {"query": "connection pool exhausted"})
        return out

    return anyio.run(session), json.loads(cli.stdout)


def test_tools_list_offers_read_only_tools_with_schemas(served):
    tools = {t.name: t for t in served[0]["tools"]}
    assert OWN <= set(tools)
    assert {"metrics__scan", "logs__search", "traces__paths", "knowledge__search"} <= set(tools)
    for t in tools.values():
        assert t.input_schema["type"] == "object" and isinstance(t.input_schema["properties"], dict), t.name
        assert t.annotations.read_only_hint is True and t.annotations.destructive_hint is False, t.name
        assert t.description
    assert tools["runs_show"].input_schema["required"] == ["run"]
    assert {"bundle", "demo", "service"} <= set(tools["traces__paths"].input_schema["properties"])


def test_the_demo_diagnosis_through_mcp_equals_the_cli_json(served):
    out, cli = served
    result = out["diagnose"]
    assert not result.is_error
    doc = json.loads(result.content[0].text)
    assert per_run_fields_removed(doc) == per_run_fields_removed(cli)
    assert result.structured_content == doc and doc["run_id"] != cli["run_id"]
    steps = [m for _, m in out["progress"] if m and ": ok" in m]
    assert len(steps) >= 4 and any(m.startswith("metrics.scan") for m in steps)
    assert [d for d, _ in out["progress"]] == sorted(d for d, _ in out["progress"])


def test_the_run_history_tools_see_the_mcp_run(served):
    out, _ = served
    run_id = json.loads(out["diagnose"].content[0].text)["run_id"]
    runs = out["runs_list"].structured_content["runs"]
    assert run_id in [r["run_id"] for r in runs] and len(runs) == 2       # the CLI's run and this one
    shown = out["runs_show"].structured_content
    assert shown["run_id"] == run_id and shown["incident_title"] == "frontend: p99 latency above SLO"


def test_an_agent_tool_runs_over_a_bundle(served):
    result = served[0]["metrics"].structured_content
    assert result["tool"] == "metrics.scan" and result["status"] == "ok" and result["findings"]


def test_bad_calls_are_tool_errors_and_the_server_stays_up(served):
    out, _ = served
    assert out["unknown"].is_error and "no tool named 'delete_everything'" in out["unknown"].content[0].text
    assert out["bad_args"].is_error and "argument limit" in out["bad_args"].content[0].text
    assert out["no_bundle"].is_error and "give bundle" in out["no_bundle"].content[0].text
    assert out["missing_bundle"].is_error and "/nonexistent/bundle" in out["missing_bundle"].content[0].text
    hits = out["after_errors"].structured_content["hits"]
    assert not out["after_errors"].is_error and hits and "title" in hits[0]


def test_streamable_http_on_a_loopback_port(config, tmp_path):
    from mcp import Client

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "aiops", "--config", str(config), "mcp", "serve", "--http",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env=_env())
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.2)
        logs = tmp_path / "app.log"
        logs.write_text("".join(f"2024-05-01 10:00:{i:02d} ERROR pool exhausted after {i} ms\n" for i in range(30))
                        + "2024-05-01 10:01:00 INFO started\n")

        async def session() -> tuple:
            async with Client(f"http://127.0.0.1:{port}/mcp") as client:
                names = {t.name for t in (await client.list_tools()).tools}
                points = [[i * 60.0, 10.0 + (i % 3)] for i in range(120)] + [[120 * 60.0, 400.0]]
                detect = await client.call_tool("detect", {"points": points, "warmup": 60})
                logs_result = await client.call_tool("logs_templates", {"path": str(logs)})
                return names, detect, logs_result

        names, detect, templates = anyio.run(session)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert OWN <= names
    d = detect.structured_content
    assert d["rows"] == 121 and d["points"][-1]["anomaly"] == 1 and d["anomalies"] >= 1
    t = templates.structured_content
    assert t["lines"] == 31 and t["templates"][0]["count"] == 30 and "<*>" in t["templates"][0]["template"]
