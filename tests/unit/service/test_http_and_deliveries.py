"""The HTTP face of `aiops serve` (auth, limits, health, metrics) and its deliveries
(Slack-compatible message, retries with backoff, every attempt in the log)."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.error
import urllib.request

import pytest
from webhooks import Receiver, alert, notification

from aiops.config import load_settings
from aiops.domain import Diagnosis, Evidence, Incident, RootCause, RunbookRef, TimeWindow
from aiops.errors import ConfigError
from aiops.service.app import Service
from aiops.service.deliver import Deliveries, Sink, sinks_from_settings
from aiops.service.journal_log import ServiceLog
from aiops.service.messages import Outcome, slack_message
from aiops.service.metrics import ServiceMetrics

TOKEN = "s3cret-token"


def _diagnosis() -> Diagnosis:
    inc = Incident("checkout: p99 latency above SLO", TimeWindow(0, 1800), 900, {"alertname": "HighLatency"})
    ev = (Evidence("metric", "hikaricp_connections_active on payments up", ref='hikaricp_connections_active{service="payments"}'),
          Evidence("log", "new error log in payments: connection is not available", ref="log_template:abc"))
    return Diagnosis(inc, (RootCause(1, "payments", "", "connection_pool_exhaustion", 0.87, "pool", ev),
                           RootCause(2, "checkout", "", "latency", 0.05, "slow")),
                     runbooks=(RunbookRef("Database connection pool exhaustion", "knowledge/db-connection-pool-exhaustion.md", 1.0),),
                     run_id="run123", notes=("incident memory: seen twice before (most similar: run r1, 0.90, \"x\"); "
                                             "twice confirmed: connection pool exhaustion on payments",))


@pytest.fixture
def service(tmp_path):
    settings = load_settings(env={"AIOPS_GENERAL_DATA_DIR": str(tmp_path), "AIOPS_SERVE_PORT": "1",
                                  "AIOPS_SERVE_TOKEN": TOKEN, "AIOPS_SERVE_DEBOUNCE_S": "0.01",
                                  "AIOPS_SERVE_MAX_BODY_KB": "4"})
    settings.serve.port = 0              # any free port (0 is no valid setting, but fine to bind)
    got: list[Outcome] = []
    sink = Sink("files", got.append)
    svc = Service(settings, lambda inc: Outcome(inc.id, "t", [], diagnosis=_diagnosis(), alert_count=1), [sink])
    svc.start()
    yield svc, got
    svc.stop(timeout_s=10)


def call(url: str, body: bytes | None = None, token: str | None = TOKEN) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    req = urllib.request.Request(url, data=body, headers=headers, method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_alerts_need_the_token_and_a_sane_body(service):
    svc, got = service
    body = json.dumps(notification("g1", alert("HighLatency"))).encode()
    assert call(svc.url + "/alerts", body, token=None)[0] == 401
    assert call(svc.url + "/alerts", body, token="wrong")[0] == 401
    code, text = call(svc.url + "/alerts", b"{not json")
    assert code == 400 and b"not JSON" in text
    code, text = call(svc.url + "/alerts", b"x" * 5000)
    assert code == 413 and b"serve.max_body_kb" in text
    code, text = call(svc.url + "/alerts", body)
    assert code == 200 and json.loads(text)["outcome"] == "queued"


def test_health_is_open_and_metrics_are_prometheus_text(service, tmp_path):
    svc, got = service
    code, text = call(svc.url + "/healthz", token=None)
    assert code == 200 and json.loads(text)["status"] == "ok"
    assert call(svc.url + "/metrics", token=None)[0] == 401
    call(svc.url + "/alerts", json.dumps(notification("g1", alert("HighLatency"))).encode())
    code, text = call(svc.url + "/metrics")
    assert code == 200
    metrics = text.decode()
    assert 'aiops_serve_incidents_total{outcome="queued"} 1' in metrics
    assert "# TYPE aiops_serve_diagnosis_duration_seconds histogram" in metrics
    if shutil.which("promtool"):        # the real Prometheus parser agrees (Debian's prometheus package)
        checked = subprocess.run(["promtool", "check", "metrics"], input=metrics, capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_beyond_loopback_a_token_is_required(tmp_path):
    settings = load_settings(env={"AIOPS_GENERAL_DATA_DIR": str(tmp_path), "AIOPS_SERVE_BIND": "0.0.0.0"})
    with pytest.raises(ConfigError, match="serve.bind = '0.0.0.0' is reachable beyond this machine"):
        Service(settings, lambda inc: None, [])


def test_the_slack_message_has_title_causes_evidence_links_and_runbooks():
    msg = slack_message(Outcome("inc1", "checkout: p99 latency above SLO",
                                [{"generatorURL": "http://prom:9090/graph?g0.expr=x"}], _diagnosis(), alert_count=2),
                        link_base="http://prom:9090")
    assert msg["text"] == ("aiops: checkout: p99 latency above SLO — top cause payments "
                           "(connection pool exhaustion, 87%)")
    blocks = json.dumps(msg["blocks"], ensure_ascii=False)
    assert "*payments* — connection pool exhaustion (87%)" in blocks and "checkout" in blocks
    assert "http://prom:9090/graph?g0.expr=hikaricp_connections_active%7Bservice%3D%22payments%22%7D" in blocks
    assert "<http://prom:9090/graph?g0.expr=x|alert source>" in blocks
    assert "Database connection pool exhaustion" in blocks
    assert "twice confirmed: connection pool exhaustion on payments" in blocks
    assert msg["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": "checkout: p99 latency above SLO"}}


def test_a_delivery_is_retried_with_backoff_and_every_attempt_is_logged(tmp_path):
    flaky = Receiver(fail_first=2, code=503)
    refusing = Receiver(fail_first=99, code=400)
    try:
        settings = load_settings(env={"AIOPS_SERVE_WEBHOOK_URL": flaky.url, "AIOPS_SERVE_SLACK_URL_ENV": "HOOK_URL"})
        sinks = sinks_from_settings(settings, env={"HOOK_URL": refusing.url})
        log = ServiceLog(tmp_path / "log.jsonl")
        metrics = ServiceMetrics()
        out = Deliveries(sinks, log, metrics, attempts=4, backoff_s=0.01)
        out.start()
        out.submit(Outcome("inc1", "t", [], diagnosis=_diagnosis(), alert_count=1))
        posts = flaky.wait_for(1)
        out.stop(timeout_s=10)
        assert posts[0]["incident"] == "inc1" and posts[0]["diagnosis"]["root_causes"][0]["service"] == "payments"
        records = log.read()
        final = {r["sink"]: r for r in records if r["event"] == "delivery"}
        assert final["webhook"]["status"] == "delivered" and final["webhook"]["attempts"] == 3
        assert final["slack"]["status"] == "failed" and final["slack"]["error"] == "HTTP 400"
        assert final["slack"]["attempts"] == 1, "a 4xx other than 429 is not retried"
        assert [r["ok"] for r in records if r["event"] == "attempt" and r["sink"] == "webhook"] == [False, False, True]
        assert metrics.value("aiops_serve_deliveries_total", sink="webhook", status="delivered") == 1
    finally:
        flaky.close()
        refusing.close()


def test_an_unset_secret_or_no_sink_is_a_config_error():
    with pytest.raises(ConfigError, match="serve.slack_url_env = 'NOPE_URL': environment variable NOPE_URL is not set"):
        sinks_from_settings(load_settings(env={"AIOPS_SERVE_SLACK_URL_ENV": "NOPE_URL"}), env={})
    with pytest.raises(ConfigError, match="nowhere to deliver"):
        sinks_from_settings(load_settings(env={}), env={})


def test_a_client_that_resets_mid_request_is_one_log_line_not_a_traceback(service, capfd, caplog):
    import logging
    import socket
    import struct
    import time

    svc, got = service
    host, port = svc.http.server_address[:2]
    with caplog.at_level(logging.INFO, logger="aiops.serve"):
        sock = socket.create_connection((host, port), timeout=5)
        sock.sendall(f"POST /alerts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
                     "Content-Length: 4000\r\n\r\n{\"alerts\": [".encode())
        time.sleep(0.2)                                   # the handler is reading the body
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()                                      # a reset, not a clean close
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not any("connection from" in r.getMessage() for r in caplog.records):
            time.sleep(0.05)
    lines = [r.getMessage() for r in caplog.records if "connection from" in r.getMessage()]
    assert len(lines) == 1 and "reset" in lines[0].lower(), caplog.records
    assert "Traceback" not in capfd.readouterr().err
    assert call(svc.url + "/healthz", token=None)[0] == 200   # and the server goes on serving
    assert got == []
