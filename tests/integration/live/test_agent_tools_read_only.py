"""No write verb is reachable from any tool: every registered tool declares only read verbs,
and the tools that talk HTTP, run against a configured source, send nothing but GETs to the
endpoints its source declares."""

from __future__ import annotations

from http_replay import ReplayServer

from aiops.agent.state import RunState
from aiops.telemetry.live.registry import build_source
from aiops.tooling import default_registry, validate_args


def _prometheus_answer(req):  # noqa: ANN001
    return {"status": "success", "data": {"resultType": "vector", "result": [
        {"metric": {"job": "checkout"}, "value": [1731960000, "3"]}]}}


def test_every_tool_reading_a_live_source_sends_only_declared_gets(demo, settings):
    server = ReplayServer({"/api/v1/query": _prometheus_answer})
    try:
        source = build_source("prometheus", "main", {"url": server.url})
        state = RunState.start(demo.incident, demo.store, settings, sources={"prometheus": {"main": source}})
        registry = default_registry(settings)
        http_tools = [t for t in registry.tools() if t.spec.http_methods]
        assert {t.spec.name for t in http_tools} >= {"prometheus.instant_query", "prometheus.series_count"}
        sample = {"query": 'sum by (job) (rate(http_requests_total{code=~"5.."}[5m]))', "metric": "up"}
        for tool in http_tools:
            assert tool.available(state.context()) is None, tool.spec.name
            props = tool.spec.parameters["properties"]
            args = validate_args(tool.spec.parameters, {k: sample[k] for k in props if k in sample})
            result = tool.run(state.context(), args)
            assert result.status == "ok", (tool.spec.name, result.summary)
        assert server.requests, "the tools never reached the source"
        declared = {(e.method, e.path) for e in type(source).ENDPOINTS}
        for req in server.requests:
            assert req.method == "GET" and (req.method, req.path) in declared, (req.method, req.path)
    finally:
        server.close()


def test_no_registered_tool_declares_a_write(settings):
    for spec in default_registry(settings).specs():
        assert spec.read_only and set(spec.http_methods) <= {"GET", "HEAD"}, spec.name
