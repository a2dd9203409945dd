"""Every source kind, failing every way a live source fails — down, slow beyond its timeout,
answering 5xx, or cutting its answer short — still ends in a diagnosis that names the
missing evidence (and keeps what a healthy source brought)."""

from __future__ import annotations

import json
import time

import pytest
from http_replay import ReplayServer
from inprocess_cli import run_aiops
from k8s_emulator import KubeEmulator, crashloop_cluster
from live_servers import free_port
from telemetry_apis import jaeger_routes, loki_routes, tempo_routes

KINDS = ["prometheus", "loki", "jaeger", "tempo", "kubernetes"]
# Long enough that a truncated or garbled answer arrives on a loaded 2-core machine (at 0.5 s
# it sometimes did not, and the fault read as a timeout), short enough for the slow cases.
TIMEOUT_S = 2.0
FAULTS = {
    "down": "cannot connect to",
    "slow": f"timed out after {TIMEOUT_S:g} s",
    "5xx": "HTTP 503",
    "truncated": "",                     # checked per kind below
    "garbled": "malformed or truncated",  # a 200 whose JSON body is cut
}


def prometheus_routes() -> dict:
    """Enough of the Prometheus HTTP API for a fetch (a tiny matrix), to be broken by faults."""
    now = time.time()
    values = [[now - 1800 + 60 * i, "1"] for i in range(31)]
    series = [{"metric": {"__name__": "up", "service": f"svc{i}", "pod": f"svc{i}-0"}, "values": values}
              for i in range(40)]
    matrix = {"status": "success", "data": {"resultType": "matrix", "result": series}}
    return {"/api/v1/query_range": lambda req: matrix,
            "/api/v1/query": lambda req: {"status": "success", "data": {"resultType": "vector", "result": []}},
            "/api/v1/metadata": lambda req: {"status": "success", "data": {}}}


@pytest.fixture(scope="module")
def servers(sim_loaded):
    made = {"prometheus": ReplayServer(prometheus_routes()), "loki": ReplayServer(loki_routes(sim_loaded.store)),
            "jaeger": ReplayServer(jaeger_routes(sim_loaded.store)), "tempo": ReplayServer(tempo_routes(sim_loaded.store)),
            "kubernetes": KubeEmulator(crashloop_cluster(time.time()))}
    yield made
    for server in made.values():
        server.close()


def source_table(kind: str, url: str, tmp_path) -> str:
    if kind == "kubernetes":
        doc = {"apiVersion": "v1", "kind": "Config", "current-context": "c",
               "clusters": [{"name": "c", "cluster": {"server": url}}], "users": [{"name": "u", "user": {}}],
               "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}]}
        path = tmp_path / "kubeconfig"
        path.write_text(json.dumps(doc))
        return f'[sources.kubernetes.main]\nkubeconfig = "{path}"\ntimeout_s = {TIMEOUT_S}\nretries = 1\nnamespace = "shop"\n'
    return f'[sources.{kind}.main]\nurl = "{url}"\ntimeout_s = {TIMEOUT_S}\nretries = 1\nbackoff_s = 0.0\n'


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("kind", KINDS)
def test_a_failing_source_is_named_as_missing_evidence(kind, fault, servers, sim_bundle, config, tmp_path):
    server = servers[kind]
    server.reset(None if fault == "down" else {"slow": "slow", "5xx": "status", "truncated": "truncate",
                                                       "garbled": "garbage"}[fault])
    url = f"http://127.0.0.1:{free_port()}" if fault == "down" else server.url
    cfg = config(source_table(kind, url, tmp_path) +
                 f'[sources.files.changes]\npaths = ["{sim_bundle / "events.jsonl"}"]\n')
    w = ["--start", "2024-04-23T00:24:00Z", "--end", "2024-04-23T00:54:00Z"]
    result = run_aiops("-c", cfg, "diagnose", "--live", *w, "--format", "json")
    assert result.exit_code == 0, result.stderr
    d = json.loads(result.stdout)
    mine = [m for m in d["missing_evidence"] if m.startswith(f"{kind} 'main': ")]
    assert mine, d["missing_evidence"]
    text = " ".join(mine)
    if fault == "truncated":
        assert "broke off mid-response" in text, text
    else:
        assert FAULTS[fault] in text, text
    if fault in ("down", "truncated"):
        assert url in text, "the message names the server"
    assert d["root_causes"], "the healthy source still yields candidates"
    assert any(n.startswith("files 'changes': ") for n in d["notes"])


def test_the_deadline_bounds_a_source_that_keeps_answering_slowly(servers, sim_bundle, config):
    loki = servers["loki"]
    loki.reset("slow")
    cfg = config(f'[sources]\ndeadline_s = 1.0\n[sources.loki.main]\nurl = "{loki.url}"\ntimeout_s = 30.0\n'
                 f'[sources.files.changes]\npaths = ["{sim_bundle / "events.jsonl"}"]\n')
    result = run_aiops("-c", cfg, "diagnose", "--live", "--start", "2024-04-23T00:24:00Z", "--end",
                       "2024-04-23T00:54:00Z", "--format", "json")
    assert result.exit_code == 0, result.stderr
    d = json.loads(result.stdout)
    assert "loki 'main': no answer within 1 s (sources.deadline_s)" in d["missing_evidence"]
    assert loki.arrived.is_set(), "the request was really in flight"
    loki.reset()


def test_kubernetes_events_failing_leaves_a_named_gap_but_keeps_the_pods(servers, config, tmp_path):
    api = servers["kubernetes"]
    api.reset("status", status=500, paths=r"/events$")
    cfg = config(source_table("kubernetes", api.url, tmp_path))
    result = run_aiops("-c", cfg, "diagnose", "--live", "--window", "30m", "--format", "json")
    d = json.loads(result.stdout)
    assert any(m.startswith("kubernetes 'main': events not read (HTTP 500") for m in d["missing_evidence"])
    assert d["root_causes"][0]["service"] == "payment", "restarts and logs still point at the culprit"


def test_some_unreadable_traces_are_a_partial_gap(servers, sim_loaded):
    from aiops.telemetry.live.base import FetchScope
    from aiops.telemetry.live.registry import build_source

    tempo = servers["tempo"]
    tempo.reset("status", status=500, paths=r"/api/traces/[0-7]")
    src = build_source("tempo", "t", {"url": tempo.url, "retries": 0})
    result = src.fetch(sim_loaded.incident.window, FetchScope())
    assert result.status == "ok" and result.batch.spans
    assert any("traces could not be read (HTTP 500" in p for p in result.problems)


def test_alertmanager_down_still_diagnoses_the_window(sim_bundle, config):
    cfg = config(f'[sources.files.changes]\npaths = ["{sim_bundle / "events.jsonl"}"]\n')
    dead = f"http://127.0.0.1:{free_port()}"
    result = run_aiops("-c", cfg, "diagnose", "--alertmanager", dead, "--end", "2024-04-23T00:54:00Z",
                       "--format", "json")
    assert result.exit_code == 0, result.stderr
    d = json.loads(result.stdout)
    assert any(m.startswith("alertmanager 'cli': cannot connect to") and "the alert could not be read" in m
               for m in d["missing_evidence"])
    assert "live diagnosis" in d["incident"]["title"]
