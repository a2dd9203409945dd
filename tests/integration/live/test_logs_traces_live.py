"""Loki, Jaeger and Tempo sources against local servers replaying a simulated incident in each
API's documented format: every line and span of the window arrives, and a diagnosis read
through Prometheus + Loki + Jaeger/Tempo ranks the bundle's top cause."""

from __future__ import annotations

import json

import pytest
from inprocess_cli import run_aiops

from aiops.telemetry.live.base import FetchScope
from aiops.telemetry.live.registry import build_source
from aiops.telemetry.store import TelemetryStore
from aiops.timeutil import to_rfc3339


def undeclared(server, source) -> list[str]:
    """Requests the server saw that the source kind does not declare (or that are not GET)."""
    return [f"{r.method} {r.path}" for r in server.requests
            if not any(e.matches(r.method, r.path) for e in type(source).ENDPOINTS)]


def fetched_store(source, window, scope=FetchScope()):
    from aiops.telemetry.live.collect import load_result

    result = source.fetch(window, scope)
    store = TelemetryStore()
    load_result(store, result)
    return result, store


def test_loki_pages_through_every_line_of_the_window(loki, sim_loaded):
    w = sim_loaded.incident.window
    src = build_source("loki", "t", {"url": loki.url, "page_size": 700})
    loki.reset()
    result, store = fetched_store(src, w, FetchScope(namespace="shop"))
    assert result.status == "ok" and result.problems == []
    want = sim_loaded.store.log_records(w.start, w.end)
    got = store.log_records()
    assert len(got["ts"]) == len(want["ts"]) > 700
    assert sorted(map(str, got["message"])) == sorted(map(str, want["message"]))
    assert set(map(str, got["service"])) == set(map(str, want["service"]))
    pages = [r for r in loki.requests if r.path == "/loki/api/v1/query_range"]
    assert len(pages) >= len(want["ts"]) // 700
    assert all(r.arg("query") == '{namespace="shop"}' and r.arg("direction") == "forward" for r in pages)
    src.check()
    assert undeclared(loki, src) == []
    store.close()


def test_loki_cap_is_reported_as_partial_data(loki, sim_loaded):
    src = build_source("loki", "t", {"url": loki.url, "max_lines": 500, "page_size": 200})
    result, store = fetched_store(src, sim_loaded.incident.window)
    assert result.rows == {"logs": 500}
    assert any("capped at 500" in p and "partial data" in p for p in result.problems)
    store.close()


@pytest.mark.parametrize("kind", ["jaeger", "tempo"])
def test_trace_sources_bring_every_span_of_the_window(kind, request, sim_loaded):
    server = request.getfixturevalue(kind)
    server.reset()
    w = sim_loaded.incident.window
    src = build_source(kind, "t", {"url": server.url, "max_traces": 5000, **({"per_search": 5000} if kind == "jaeger" else {})})
    result, store = fetched_store(src, w, FetchScope(service="frontend"))
    assert result.status == "ok" and result.problems == []
    # Trace APIs search by the start of a trace: the spans of traces that began in the window.
    want = sim_loaded.store.sql(
        "SELECT trace_id, span_id, parent_span_id, service, status FROM spans WHERE start >= $s AND start <= $e "
        "AND trace_id IN (SELECT trace_id FROM spans GROUP BY 1 HAVING min(start) BETWEEN $s AND $e)",
        {"s": w.start, "e": w.end})
    got = store.span_table()
    key = lambda t: sorted(zip(map(str, t["trace_id"]), map(str, t["span_id"]), map(str, t["parent_span_id"]),  # noqa: E731
                               map(str, t["service"]), map(str, t["status"])))
    assert len(got["span_id"]) > 3000
    assert key(got) == key(want), "ids, parent links, services and error status survive the API"
    if kind == "tempo":
        assert any(r.arg("q") == '{ resource.service.name = "frontend" }' for r in server.requests)
    else:
        searches = [r.arg("service") for r in server.requests if r.path == "/api/traces"]
        assert searches[0] == "frontend", "the symptom's service is searched first"
    src.check()
    assert undeclared(server, src) == []
    store.close()


@pytest.mark.live
@pytest.mark.parametrize("traces", ["jaeger", "tempo"])
def test_prometheus_loki_and_traces_rank_the_bundles_top_cause(traces, request, prometheus, loki, sim_bundle,
                                                              sim_loaded, bundle_answer, config, tmp_path):
    trace_server = request.getfixturevalue(traces)
    inc = sim_loaded.incident
    from aiops.telemetry.alerts import Alert, webhook_payload

    payload = tmp_path / "payload.json"
    payload.write_text(json.dumps(webhook_payload(Alert(labels=dict(inc.alert), annotations={"summary": inc.title},
                                                        starts_at=inc.started_at))))
    cfg = config(f'[sources.prometheus.main]\nurl = "{prometheus.url}"\n'
                 f'[sources.loki.main]\nurl = "{loki.url}"\n'
                 f'[sources.{traces}.main]\nurl = "{trace_server.url}"\nmax_traces = 5000\n'
                 f'[sources.files.changes]\npaths = ["{sim_bundle / "events.jsonl"}"]\n')
    result = run_aiops("-c", cfg, "diagnose", "--alert-file", payload, "--start", to_rfc3339(inc.window.start),
                       "--end", to_rfc3339(inc.window.end), "--format", "json")
    assert result.exit_code == 0, result.stderr
    live = json.loads(result.stdout)
    assert live["missing_evidence"] == []
    assert {n.split(":")[0] for n in live["notes"]} >= {"prometheus 'main'", "loki 'main'", f"{traces} 'main'"}
    assert live["root_causes"][0]["service"] == bundle_answer["root_causes"][0]["service"]
