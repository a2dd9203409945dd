"""The run history, the incident memory and the gateway ledger stay readable while a real
`aiops serve` process (and a ledger writer) write them: `aiops runs list`, `aiops runs
similar`, `aiops feedback` and `aiops gateway usage` succeed 100 times out of 100.

The service diagnoses from a `files` source (the demo incident's exports), so no server
binary is needed; an alert is posted to it every few tenths of a second while the readers
run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from inprocess_cli import run_aiops

REPO = Path(__file__).resolve().parents[2]
RUNS = 100
LEDGER_WRITER = """
import sys, time
from aiops.gateway.ledger import Ledger, LedgerRow
ledger = Ledger(sys.argv[1])
for i in range(100000):
    ledger.record(LedgerRow(alias="fast", model="fake/scripted", outcome="ok", prompt_tokens=10, completion_tokens=2))
    if i % 20 == 0:
        ledger.fold()
    if i == 0:
        print("writing", flush=True)
    time.sleep(0.005)
"""


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def serving(tmp_path_factory):
    from aiops.resources import demo_bundle

    work = tmp_path_factory.mktemp("serving")
    demo = demo_bundle()
    files = [str(p) for p in sorted(demo.glob("*.gz")) if not p.name.startswith("metrics")]
    port = _free_port()
    cfg = work / "config.toml"
    cfg.write_text(f'[general]\ndata_dir = "{work / "data"}"\n'
                   f'[sources.files.demo]\npaths = {json.dumps(files + [str(demo / "metrics.csv.gz")])}\n'
                   f'[sources]\ndefault_window = "2h"\n'
                   f'[serve]\nport = {port}\ndebounce_s = 0.0\nconcurrency = 2\nmax_queue = 50\n'
                   f'out_dir = "{work / "out"}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIOPS_")}
    env |= {"PYTHONPATH": str(REPO), "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    serve = subprocess.Popen([sys.executable, "-m", "aiops", "-c", str(cfg), "serve"], env=env,
                             stdout=subprocess.DEVNULL, stderr=open(work / "serve.err", "w"))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                break
        except OSError:
            assert serve.poll() is None, (work / "serve.err").read_text()
            assert time.monotonic() < deadline, "aiops serve did not start"
            time.sleep(0.2)
    stop = threading.Event()
    posted = []

    def post() -> None:
        from webhooks import alert, notification

        i = 0
        while not stop.is_set() and i < 400:
            i += 1
            doc = notification(f"group-{i}", alert("HighLatency", service="frontend", shard=str(i)))
            doc["alerts"][0]["startsAt"] = "2024-11-18T20:10:00Z"      # inside the demo's data
            req = urllib.request.Request(url + "/alerts", data=json.dumps(doc).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=10) as r:
                posted.append(json.loads(r.read())["outcome"])
            stop.wait(0.3)

    poster = threading.Thread(target=post, daemon=True)
    poster.start()
    yield {"env": {"AIOPS_GENERAL_DATA_DIR": str(work / "data")}, "posted": posted, "work": work, "serve": serve}
    stop.set()
    poster.join(timeout=30)
    serve.terminate()
    serve.wait(timeout=120)


def _wait_for_runs(env: dict, n: int) -> list[dict]:
    deadline = time.monotonic() + 180
    while True:
        result = run_aiops("runs", "list", "--json", "--limit", "500", env=env)
        assert result.exit_code == 0, result.stderr
        runs = [r for r in json.loads(result.stdout) if r["state"] == "ok"]
        if len(runs) >= n:
            return runs
        assert time.monotonic() < deadline, f"only {len(runs)} runs recorded by aiops serve"
        time.sleep(0.5)


def test_history_and_memory_readers_succeed_every_time_under_a_running_serve(serving):
    env = serving["env"]
    first = _wait_for_runs(env, 1)
    judged = run_aiops("feedback", first[-1]["run_id"], "--verdict", "correct", env=env)
    assert judged.exit_code == 0, judged.stderr
    failures = []
    seen = 0
    for i in range(RUNS):
        listed = run_aiops("runs", "list", "--json", "--limit", "500", env=env)
        if listed.exit_code != 0:
            failures.append(listed.stderr)
            continue
        seen = max(seen, len(json.loads(listed.stdout)))
        if i % 4 == 0:
            similar = run_aiops("runs", "similar", first[-1]["run_id"], "--json", env=env)
            if similar.exit_code != 0:
                failures.append(similar.stderr)
    assert failures == [], f"{len(failures)} reads failed: {failures[:2]}"
    runs = _wait_for_runs(env, seen)
    assert len(runs) >= 3, "the service kept recording while the readers ran"
    assert serving["serve"].poll() is None
    found = json.loads(run_aiops("runs", "similar", runs[0]["run_id"], "--json", "--limit", "500",
                                 env=env).stdout)["similar"]
    assert any(r["confirmed"] for r in found), "the verdict reached the memory the service reads"


def test_the_ledger_reads_every_time_while_another_process_writes_it(serving, tmp_path):
    env = serving["env"] | {"AIOPS_GATEWAY_LEDGER_PATH": str(tmp_path / "gateway.duckdb")}
    writer = subprocess.Popen([sys.executable, "-c", LEDGER_WRITER, str(tmp_path / "gateway.duckdb")],
                              env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "writing"
        counts, failures = [], []
        for _ in range(RUNS):
            result = run_aiops("gateway", "usage", "--format", "json", env=env)
            if result.exit_code != 0:
                failures.append(result.stderr)
                continue
            counts.append(sum(r.get("requests", 0) for r in json.loads(result.stdout)))
        assert failures == [], f"{len(failures)} of {RUNS} usage reads failed: {failures[:2]}"
        assert counts[-1] > counts[0], "the writer kept writing while the readers read"
    finally:
        writer.kill()
        writer.wait(timeout=30)
