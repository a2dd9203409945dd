"""The pure parts of the live sources: windows, alerts, options, PromQL, Kubernetes object
conversion, error descriptions, file formats, and the atomic bundle writer."""

from __future__ import annotations

import json

import pytest

from aiops.errors import BadInputError, ConfigError
from aiops.telemetry.alerts import api_alerts, pick_alert, webhook_alerts
from aiops.telemetry.live import k8s_records as rec
from aiops.telemetry.live import promql
from aiops.telemetry.live.live_incident import build_incident, resolve_window
from aiops.telemetry.live.registry import build_source
from aiops.timeutil import parse_timestamp

NOW = parse_timestamp("2026-01-10T12:00:00Z")


# -- windows ------------------------------------------------------------------------------
def test_window_rules():
    t = parse_timestamp
    assert resolve_window(now=NOW) == resolve_window("30m", now=NOW)
    w = resolve_window("1h", now=NOW)
    assert (w.start, w.end) == (NOW - 3600, NOW)
    w = resolve_window(start="2026-01-10T10:00:00Z", end="2026-01-10T10:20:00Z", now=NOW)
    assert (w.start, w.end) == (t("2026-01-10T10:00:00Z"), t("2026-01-10T10:20:00Z"))
    w = resolve_window("10m", end="2026-01-10T10:20:00Z", now=NOW)
    assert w.start == t("2026-01-10T10:10:00Z")
    assert resolve_window(start="2026-01-10T11:00:00Z", now=NOW).end == NOW
    # An alert that fired 5 min ago: the window reaches back a full window before it, up to now.
    w = resolve_window("30m", alert_start=NOW - 300, now=NOW)
    assert (w.start, w.end) == (NOW - 300 - 1800, NOW)
    # An old alert: never more than a window past its start.
    w = resolve_window("30m", alert_start=NOW - 86400, now=NOW)
    assert w.end == NOW - 86400 + 1800


@pytest.mark.parametrize("kwargs, message", [
    ({"window": "banana"}, "--window 'banana': not a duration"),
    ({"start": "yesterday"}, "--start 'yesterday': unknown time"),
    ({"start": "2026-01-10T12:00:00Z", "end": "2026-01-10T11:00:00Z"}, "the end must be after the start"),
])
def test_bad_window_flags_are_one_line_bad_input(kwargs, message):
    with pytest.raises(BadInputError, match=message):
        resolve_window(now=NOW, **kwargs)


# -- alerts -------------------------------------------------------------------------------
WEBHOOK = {"version": "4", "status": "firing", "commonLabels": {"namespace": "shop"},
           "alerts": [{"status": "resolved", "labels": {"alertname": "Old"}, "startsAt": "2026-01-10T10:00:00Z"},
                      {"status": "firing", "labels": {"alertname": "HighLatency", "severity": "warning"},
                       "annotations": {"summary": "checkout slow"}, "startsAt": "2026-01-10T11:50:00Z",
                       "endsAt": "0001-01-01T00:00:00Z"},
                      {"status": "firing", "labels": {"alertname": "PodCrashLooping", "severity": "critical"},
                       "startsAt": "2026-01-10T11:55:00Z"}]}


def test_webhook_payload_alerts_and_the_choice_of_one():
    alerts = webhook_alerts(WEBHOOK)
    assert [a.name for a in alerts if a.firing] == ["HighLatency", "PodCrashLooping"]
    assert all(a.labels["namespace"] == "shop" for a in alerts), "common labels are merged in"
    assert pick_alert(alerts).name == "PodCrashLooping", "the most severe wins"
    chosen = pick_alert(alerts, "HighLatency")
    assert chosen.title == "checkout slow" and chosen.ends_at is None
    assert chosen.starts_at == parse_timestamp("2026-01-10T11:50:00Z")
    assert pick_alert(alerts, "Old") is None, "a resolved alert is not diagnosed"
    assert webhook_alerts([1, 2]) is None


def test_v2_api_alerts_parse_their_state():
    doc = [{"labels": {"alertname": "A"}, "annotations": {}, "startsAt": "2026-01-10T11:00:00Z",
            "status": {"state": "active", "silencedBy": [], "inhibitedBy": []}, "fingerprint": "f1"},
           {"labels": {"alertname": "B"}, "status": {"state": "suppressed"}, "startsAt": "2026-01-10T10:00:00Z"},
           {"labels": {"alertname": "C"}, "status": {"state": "unprocessed"}, "startsAt": "2026-01-10T09:00:00Z"}]
    alerts = api_alerts(doc)
    assert [a.firing for a in alerts] == [True, False, True]
    assert pick_alert(alerts).name == "C", "same severity: the earliest"
    assert api_alerts({"alerts": []}) is None


def test_incident_from_an_alert_and_without_one():
    alert = pick_alert(webhook_alerts(WEBHOOK), "HighLatency")
    window = resolve_window("30m", alert_start=alert.starts_at, now=NOW)
    inc = build_incident(window, alert, sources=["prometheus 'main'"])
    assert inc.title == "checkout slow" and inc.started_at == alert.starts_at
    assert inc.alert == {"alertname": "HighLatency", "severity": "warning", "namespace": "shop"}
    plain = build_incident(resolve_window(now=NOW), service="checkout")
    assert plain.title.startswith("checkout: live diagnosis") and plain.alert == {"service": "checkout"}
    assert plain.started_at is None


def test_alert_file_uses_the_bundle_parser(tmp_path):
    from aiops.telemetry.live.live_incident import alert_from_file

    path = tmp_path / "payload.json"
    path.write_text(json.dumps(WEBHOOK))
    assert alert_from_file(path).name == "HighLatency", "like alert.json: the first firing alert"
    assert alert_from_file(path, "PodCrashLooping").severity_rank == 0
    with pytest.raises(BadInputError, match="no firing alert named 'Nope'"):
        alert_from_file(path, "Nope")
    path.write_text("{not json")
    with pytest.raises(BadInputError, match="payload.json line 1: malformed JSON"):
        alert_from_file(path)


# -- options --------------------------------------------------------------------------------
@pytest.mark.parametrize("kind, table, message", [
    ("prometheus", {"url": "http://x", "bogus": 1}, "unknown key sources.prometheus.t.bogus"),
    ("prometheus", {}, "sources.prometheus.t.url is required"),
    ("loki", {"url": "ftp://x"}, "must start with http:// or https://"),
    ("jaeger", {"url": "http://x", "timeout_s": 0}, "cfg.toml: sources.jaeger.t.timeout_s = 0.0 must be > 0"),
    ("tempo", {"url": "http://x", "headers": {"Authorization": "Bearer x"}}, "would put a secret in the config file"),
    ("prometheus", {"url": "http://x", "matchers": "{job=\"x\"}"}, "without braces"),
    ("prometheus", {"url": "http://x", "max_series": "many"}, "max_series = 'many' is not an integer"),
    ("loki", {"url": "http://x", "query": "rate({a=\"b\"}[1m])"}, "must be a LogQL log query"),
    ("kubernetes", {"in_cluster": True, "context": "prod"}, "excludes kubeconfig and context"),
    ("files", {}, "paths is required"),
    ("files", {"paths": ["/x"], "format": "xml"}, "is not auto or one of"),
])
def test_bad_options_name_the_key(kind, table, message):
    with pytest.raises(ConfigError, match=message):
        build_source(kind, "t", table, where="cfg.toml")


def test_secrets_come_from_named_environment_variables():
    src = build_source("prometheus", "t", {"url": "http://x", "bearer_token_env": "PROM_TOKEN"}, env={})
    with pytest.raises(ConfigError, match="sources.prometheus.t.bearer_token_env = 'PROM_TOKEN': environment "
                                          "variable PROM_TOKEN is not set"):
        src.validate_secrets()
    ok = build_source("prometheus", "t", {"url": "http://x", "bearer_token_env": "PROM_TOKEN", "username": "u",
                                          "password_env": "PW"}, env={"PROM_TOKEN": "abc", "PW": "pw"})
    assert ok.session.headers["Authorization"] == "Bearer abc" and ok.session.auth == ("u", "pw")
    assert "abc" not in ok.target()


# -- PromQL -----------------------------------------------------------------------------------
def test_pushed_down_queries():
    m = promql.matchers('cluster="prod", job=~"a,b"', namespace="shop")
    assert m == ['cluster="prod"', 'job=~"a,b"', 'namespace="shop"']
    assert promql.aggregate_query("http_requests_total", "counter", m, ["service", "pod"], 60) == \
        'sum by (service, pod) (rate(http_requests_total{cluster="prod", job=~"a,b", namespace="shop"}[1m]))'
    assert promql.aggregate_query("lat_bucket", "histogram", [], ["service"], 120, 0.99, k=5) == \
        "topk(5, histogram_quantile(0.99, sum by (service, le) (rate(lat_bucket[2m]))))"
    capped = promql.aggregate_query("mem", "gauge", [], ["pod"], 60, k=3, window=(NOW - 1800, NOW), step_s=10)
    assert capped == (f"avg by (pod, quantile) (mem) and on (pod, quantile) topk(3, max_over_time((avg by (pod, "
                      f"quantile) (mem))[30m:10s] @ {NOW:.3f}))"), "the same k series at every step"
    assert promql.stored_name("http_requests_total", "counter", 60) == "http_requests_total:rate1m"
    assert promql.stored_name("lat_bucket", "histogram", 60, 0.99) == "lat:p99"
    assert promql.metric_kind("x_total") == "counter" and promql.metric_kind("x", "counter") == "counter"
    assert promql.metric_kind("mem_bytes") == "gauge"
    assert promql.step_for(1800) == 10 and promql.step_for(60) == 5


def test_series_budget_is_shared_small_metrics_first():
    caps = promql.allocate({"a": 10, "b": 5000, "c": 3000, "d": 20}, 1000)
    assert caps["a"] is None and caps["d"] is None, "small metrics are fetched whole"
    assert caps["b"] + caps["c"] <= 1000 - 30 and caps["b"] > 0 and caps["c"] > 0


# -- Kubernetes objects -----------------------------------------------------------------------
def test_pod_restarts_and_waiting_states_become_events():
    pod = {"metadata": {"name": "payment-84f6c9b7d5-b6v9x", "namespace": "shop"},
           "status": {"phase": "Running", "containerStatuses": [{
               "name": "payment", "restartCount": 3, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
               "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137,
                                            "finishedAt": "2026-01-10T11:58:00Z"}}}]}}
    events = rec.pod_events([pod])
    assert [(e["kind"], e["service"], e["reason"]) for e in events] == [
        ("restart", "payment", "OOMKilled"), ("k8s_event", "payment", "CrashLoopBackOff")]
    assert "exit code 137" in events[0]["message"] and events[0]["timestamp"] == "2026-01-10T11:58:00Z"


def test_repeated_events_count_from_their_first_time_inside_the_lookback():
    ev = {"involvedObject": {"kind": "Pod", "name": "cart-5c8d7b9f4d-h7j2m", "namespace": "shop"},
          "reason": "BackOff", "message": "Back-off restarting", "type": "Warning", "count": 7,
          "firstTimestamp": "2026-01-10T11:40:00Z", "lastTimestamp": "2026-01-10T11:59:00Z"}
    inside = rec.cluster_events([ev], since=NOW - 3600)
    assert inside[0]["timestamp"] == "2026-01-10T11:40:00Z" and inside[0]["service"] == "cart"
    assert "(x7)" in inside[0]["message"]
    old = rec.cluster_events([ev], since=NOW - 600)
    assert old[0]["timestamp"] == "2026-01-10T11:59:00Z", "a long-running event counts from its latest time"


def test_rollouts_name_the_image_change():
    dep = {"metadata": {"name": "cart", "namespace": "shop"}, "status": {"conditions": [
        {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded", "message": "timed out",
         "lastTransitionTime": "2026-01-10T11:50:00Z"}]}}

    def rs(rev, hash_, image, created):
        return {"metadata": {"name": f"cart-{hash_}", "namespace": "shop", "creationTimestamp": created,
                             "annotations": {rec.REVISION: str(rev)},
                             "ownerReferences": [{"kind": "Deployment", "name": "cart"}]},
                "spec": {"template": {"spec": {"containers": [{"name": "cart", "image": image}]}}}}

    events = rec.rollout_events([dep], [rs(2, "b2", "cart:v2", "2026-01-10T11:30:00Z"),
                                        rs(1, "a1", "cart:v1", "2025-12-01T00:00:00Z")])
    deploys = [e for e in events if e["kind"] == "deploy"]
    assert [e["message"] for e in deploys] == ["deployment/cart rolled out revision 1: image cart:v1",
                                               "deployment/cart rolled out revision 2: image cart:v2 (was cart:v1)"]
    assert any("not progressing: ProgressDeadlineExceeded" in e["message"] for e in events)


def test_node_trouble_lands_on_the_services_running_there():
    node = {"metadata": {"name": "n1"}, "status": {"conditions": [
        {"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z"},
        {"type": "MemoryPressure", "status": "True", "reason": "KubeletHasInsufficientMemory", "message": "low",
         "lastTransitionTime": "2026-01-10T11:45:00Z"}]}}
    pods = [{"metadata": {"name": "cart-5c8d7b9f4d-h7j2m"}, "spec": {"nodeName": "n1"}},
            {"metadata": {"name": "redis-0"}, "spec": {"nodeName": "n2"}}]
    events = rec.node_events([node], pods)
    assert [(e["service"], e["kind"]) for e in events] == [("cart", "node")]
    assert "node n1 has MemoryPressure since 2026-01-10T11:45:00Z" in events[0]["message"]


def test_container_log_lines_keep_their_times_and_continuations():
    text = ("2026-01-10T11:58:00.123456789Z panic: out of memory\n\tgoroutine 1 [running]\n"
            "2026-01-10T11:58:01Z exiting\n")
    lines = rec.log_records(text, "payment-84f6c9b7d5-b6v9x", "shop", "payment", previous=True)
    assert [r["message"] for r in lines] == ["panic: out of memory\n\tgoroutine 1 [running]", "exiting"]
    assert lines[0]["service"] == "payment" and lines[0]["previous"] is True


# -- errors, files ------------------------------------------------------------------------------
def test_error_descriptions_are_one_line_and_say_what_happened():
    import requests

    from aiops.telemetry.live.http import describe_error

    assert describe_error(requests.ReadTimeout("read timed out"), 2.5) == "timed out after 2.5 s"
    refused = requests.ConnectionError("HTTPConnectionPool: Max retries exceeded (Caused by NewConnectionError("
                                       "'[Errno 111] Connection refused'))")
    assert describe_error(refused, 1, "http://p:9090") == "cannot connect to http://p:9090 (connection refused)"
    retry = requests.exceptions.RetryError("Max retries exceeded (Caused by ResponseError('too many 503 error "
                                           "responses'))")
    assert describe_error(retry, 1) == "HTTP 503 (still failing after retries)"
    from prometheus_api_client import PrometheusApiClientException

    assert describe_error(PrometheusApiClientException("HTTP Status Code 422 (b'{\"error\":\"bad query\"}')"), 1) \
        .startswith("HTTP 422")


def test_files_pick_the_bundle_format_from_the_name(tmp_path):
    from pathlib import Path

    from aiops.telemetry.live.files import format_for

    assert format_for(Path("/var/log/app/checkout.log")) == "logs/*.log"
    assert format_for(Path("/x/checkout.log.gz")) == "logs/*.log"
    assert format_for(Path("/x/logs.jsonl")) == "logs.jsonl"
    assert format_for(Path("/x/spans.csv")) == "spans.csv"
    assert format_for(Path("/x/traces/batch1.json")) == "traces/*.json"
    assert format_for(Path("/x/other.json")) is None
    (tmp_path / "a.log").write_text("2026-01-10T11:00:00Z hello\n")
    src = build_source("files", "t", {"paths": [str(tmp_path / "*.log"), str(tmp_path / "none-*.jsonl")]})
    result = src.fetch(resolve_window(now=NOW))
    assert result.batch.files == [(str(tmp_path / "a.log"), "logs/*.log")]
    assert result.problems == [f"no file matches {tmp_path / 'none-*.jsonl'}"]


def test_collect_fills_the_store_with_the_window_only_and_names_what_failed(tmp_path):
    from aiops.telemetry.live.base import FetchScope
    from aiops.telemetry.live.collect import collect
    from aiops.telemetry.store import TelemetryStore

    log = tmp_path / "checkout.log"
    log.write_text("2026-01-10T11:00:00Z before the window\n2026-01-10T11:45:00Z ERROR pool exhausted\n"
                   "2026-01-10T11:50:00Z ERROR pool exhausted\n2026-01-10T12:30:00Z after the window\n")
    files = build_source("files", "app", {"paths": [str(tmp_path / "*.log")]})
    down = build_source("loki", "main", {"url": "http://127.0.0.1:9", "retries": 0, "timeout_s": 1.0})
    window = resolve_window("30m", now=NOW)
    with TelemetryStore() as store:
        got = collect([files, down], window, FetchScope(), store, deadline_s=10)
        assert store.counts()["logs"] == 2
        assert {r.source: r.status for r in got.results} == {"files 'app'": "ok", "loki 'main'": "error"}
        assert got.missing == ["loki 'main': cannot connect to http://127.0.0.1:9 (connection refused)"]
        assert got.notes[0].startswith("files 'app': 2 logs in ")
