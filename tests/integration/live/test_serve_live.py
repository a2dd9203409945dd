"""`aiops serve` end to end: the real Alertmanager (Debian's package) posts webhooks to a real
`aiops serve` process, which diagnoses from the real Prometheus loaded with the simulated
incident and delivers to a local receiver standing in for Slack (and to files).

Then a storm: 100 alerts in 10 s, each its own group. Every one must reach the service and
end in its log as diagnosed or skipped (said so), every diagnosis must be delivered, and the
service's memory must stay bounded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import live_servers
import pytest
from webhooks import Receiver

from aiops.timeutil import to_rfc3339

pytestmark = pytest.mark.live
REPO = Path(__file__).resolve().parents[3]
TOKEN = "serve-test-token-7f3a"
STORM = 100


def post_alerts(url: str, alerts: list[dict]) -> None:
    req = urllib.request.Request(url + "/api/v2/alerts", data=json.dumps(alerts).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 200


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def read_log(path: Path) -> list[dict]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            pass
    return out


def wait_until(check, timeout_s: float, what: str, proc: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"aiops serve exited with {proc.returncode} while waiting for {what}")
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")


@pytest.fixture(scope="module")
def stack(prometheus, sim_loaded, tmp_path_factory):
    missing = live_servers.missing_binaries("prometheus-alertmanager")
    if missing:
        pytest.skip("prometheus-alertmanager not installed (apt-get install prometheus-alertmanager; .ci/run does it)")
    work = tmp_path_factory.mktemp("serve")
    slack = Receiver()
    inc = sim_loaded.incident
    before = inc.started_at - inc.window.start           # the window around the alert's start covers the data
    port = live_servers.free_port()
    cfg = work / "config.toml"
    cfg.write_text(f'[general]\ndata_dir = "{work / "data"}"\n'
                   f'[sources.prometheus.main]\nurl = "{prometheus.url}"\n'
                   f'[serve]\nport = {port}\ndebounce_s = 1.0\nwindow = "{int(before)}s"\nmax_queue = 5\n'
                   f'concurrency = 1\nslack_url_env = "SLACK_WEBHOOK_URL"\nout_dir = "{work / "out"}"\n'
                   f'delivery_backoff_s = 0.2\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIOPS_")}
    env |= {"PYTHONPATH": str(REPO), "LITELLM_LOCAL_MODEL_COST_MAP": "True", "AIOPS_SERVE_TOKEN": TOKEN,
            "SLACK_WEBHOOK_URL": slack.url}
    serve = subprocess.Popen([sys.executable, "-m", "aiops", "-c", str(cfg), "serve"], env=env,
                             stdout=subprocess.DEVNULL, stderr=open(work / "serve.err", "w"))
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    am = None
    try:
        wait_until(healthy, 60, "aiops serve to listen", serve)
        am = live_servers.start_alertmanager(work / "am", (
            "route:\n  receiver: aiops\n  group_by: ['...']\n  group_wait: 1s\n  group_interval: 1s\n"
            "  repeat_interval: 4h\nreceivers:\n  - name: aiops\n    webhook_configs:\n"
            f"      - url: {url}/alerts\n        send_resolved: false\n        max_alerts: 0\n"
            f"        http_config:\n          authorization:\n            credentials: {TOKEN}\n"))
        yield {"serve": serve, "url": url, "am": am, "slack": slack, "log": work / "data" / "serve" / "deliveries.jsonl",
               "out": work / "out", "err": work / "serve.err", "incident": inc}
    finally:
        if am is not None:
            am.stop()
        serve.terminate()
        serve.wait(timeout=120)
        slack.close()


def test_an_alert_through_alertmanager_is_diagnosed_and_delivered(stack, bundle_answer):
    inc = stack["incident"]
    post_alerts(stack["am"].url, [{"labels": dict(inc.alert), "annotations": {"summary": inc.title,
                                                                               "description": inc.symptom},
                                   "startsAt": to_rfc3339(inc.started_at),
                                   "generatorURL": "http://prometheus.example/graph"}])
    slack = stack["slack"]
    posts = wait_until(lambda: [p for p in slack.posts if inc.title in p["text"]], 240,
                       "the Slack message", stack["serve"])
    msg = posts[0]
    top = bundle_answer["root_causes"][0]
    assert msg["text"].startswith(f"aiops: {inc.title} — top cause {top['service']} (")
    blocks = json.dumps(msg["blocks"], ensure_ascii=False)
    assert f"1. *{top['service']}*" in blocks and "*Evidence*" in blocks
    assert stack["url"] not in blocks and TOKEN not in blocks
    assert msg["blocks"][0]["text"]["text"] == inc.title
    # the same incident, in files, with the whole diagnosis (the sinks deliver side by side:
    # the Slack message can arrive a moment before the file is written)
    def written() -> list[dict]:
        return [doc for doc in (json.loads(p.read_text()) for p in stack["out"].glob("*.json"))
                if doc["title"] == inc.title]

    [doc] = wait_until(written, 30, "the incident file", stack["serve"])
    assert doc["status"] == "diagnosed" and doc["diagnosis"]["root_causes"][0]["service"] == top["service"]
    assert any(n.startswith("alert HighLatency from an Alertmanager webhook") for n in doc["diagnosis"]["notes"])
    # each sink's delivery is logged once it returned: the file may be on disk a moment before
    both = {(doc["incident"], "slack"), (doc["incident"], "files")}

    def delivered() -> bool:
        log = read_log(stack["log"])
        return both <= {(r["incident"], r["sink"]) for r in log if r["event"] == "delivery" and r["status"] == "delivered"}

    assert wait_until(delivered, 30, "both deliveries in the log", stack["serve"])


def test_a_storm_of_100_alerts_is_queued_or_skipped_and_nothing_is_lost(stack):
    inc = stack["incident"]
    serve = stack["serve"]
    base_rss = rss_kb(serve.pid)
    peak = base_rss
    t0 = time.monotonic()
    for batch in range(10):                        # 100 alerts in 10 s
        post_alerts(stack["am"].url, [
            {"labels": {"alertname": "StormAlert", "storm": str(batch * 10 + i), "service": "frontend",
                        "namespace": "shop", "severity": "warning"},
             "annotations": {"summary": f"storm alert {batch * 10 + i}"}, "startsAt": to_rfc3339(inc.started_at)}
            for i in range(10)])
        peak = max(peak, rss_kb(serve.pid))
        time.sleep(max(0.0, t0 + batch + 1 - time.monotonic()))
    assert time.monotonic() - t0 < 12

    def storm_incidents() -> dict[str, dict]:
        out = {}
        for r in read_log(stack["log"]):
            if r["event"] in ("incident", "merged") and any(a["alertname"] == "StormAlert" for a in r["alerts"]):
                out.setdefault(r["incident"], r)
        return out

    def all_arrived():
        nonlocal peak
        peak = max(peak, rss_kb(serve.pid))
        return len(storm_incidents()) >= STORM

    wait_until(all_arrived, 120, "Alertmanager to deliver all 100 alerts", serve)

    def all_ended():
        nonlocal peak
        peak = max(peak, rss_kb(serve.pid))
        log = read_log(stack["log"])
        ended = {r["incident"]: r for r in log if r["event"] in ("diagnosis", "skipped")}
        mine = storm_incidents()
        if not set(mine) <= set(ended):
            return None
        diagnosed = [i for i in mine if ended[i]["event"] == "diagnosis"]
        delivered = {(r["incident"], r["sink"]) for r in log if r["event"] == "delivery"}
        if not all((i, s) in delivered for i in diagnosed for s in ("slack", "files")):
            return None
        return mine, ended, diagnosed, log

    mine, ended, diagnosed, log = wait_until(all_ended, 600, "every storm incident to end in the log", serve)
    assert len(mine) == STORM, "one incident per alert (group_by: ['...'])"
    skipped = [i for i in mine if ended[i]["event"] == "skipped"]
    assert skipped and diagnosed and len(skipped) + len(diagnosed) == STORM
    assert all("serve.max_queue = 5" in ended[i]["reason"] for i in skipped), "a skip says why"
    finals = [r for r in log if r["event"] == "delivery" and r["incident"] in diagnosed]
    assert {r["status"] for r in finals} == {"delivered"}
    with urllib.request.urlopen(urllib.request.Request(stack["url"] + "/metrics",
                                                       headers={"Authorization": f"Bearer {TOKEN}"}), timeout=10) as r:
        metrics = r.read().decode()
    assert f'aiops_serve_incidents_total{{outcome="skipped"}} {len(skipped)}' in metrics
    assert "aiops_serve_queue_depth 0" in metrics
    assert peak - base_rss < 400 * 1024, f"memory grew by {(peak - base_rss) / 1024:.0f} MB during the storm"
    print(f"storm: {len(diagnosed)} diagnosed and delivered, {len(skipped)} skipped; rss {base_rss / 1024:.0f} MB "
          f"-> peak {peak / 1024:.0f} MB; {time.monotonic() - t0:.0f} s until every incident ended")
