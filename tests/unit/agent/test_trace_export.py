"""Where traces go: an OTLP/HTTP collector named by the OTEL_* variables (a real HTTP
receiver on loopback decoding the protobuf), `--trace FILE.jsonl`, `--trace console`."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from aiops.agent.session import investigate
from aiops.agent.trace_export import tracing_setup
from aiops.config import load_settings
from aiops.errors import BadInputError, ConfigError


class Collector:
    """A minimal OTLP/HTTP trace receiver: POST /v1/traces with an ExportTraceServiceRequest."""

    def __init__(self) -> None:
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
            ExportTraceServiceRequest, ExportTraceServiceResponse,
        )

        self.requests: list[tuple[str, dict, object]] = []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers.get("Content-Encoding") == "gzip":
                    import gzip

                    body = gzip.decompress(body)
                req = ExportTraceServiceRequest()
                req.ParseFromString(body)
                collector.requests.append((self.path, dict(self.headers), req))
                reply = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def spans(self) -> list[tuple[str, object]]:
        out = []
        for _, _, req in self.requests:
            for rs in req.resource_spans:
                service = next(a.value.string_value for a in rs.resource.attributes if a.key == "service.name")
                out += [(service, s) for ss in rs.scope_spans for s in ss.spans]
        return out

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def collector():
    c = Collector()
    yield c
    c.close()


def test_otlp_export_follows_the_otel_variables(demo, collector):
    settings = load_settings(env={"OTEL_EXPORTER_OTLP_ENDPOINT": collector.url,
                                  "OTEL_EXPORTER_OTLP_HEADERS": "x-tenant=ops-team",
                                  "OTEL_SERVICE_NAME": "aiops-staging"})
    setup = tracing_setup(settings)
    assert setup.exporters == [f"otlp {collector.url}/v1/traces"]
    d = list(investigate(demo.incident, demo.store, settings, tracer_provider=setup.provider))[-1].diagnosis
    assert setup.shutdown() == ""
    assert {path for path, _, _ in collector.requests} == {"/v1/traces"}
    assert all(h.get("x-tenant") == "ops-team" for _, h, _ in collector.requests)
    spans = collector.spans()
    assert {svc for svc, _ in spans} == {"aiops-staging"}
    assert {s.trace_id.hex() for _, s in spans} == {d.trace_id}
    names = [s.name for _, s in spans]
    assert names.count("invoke_agent aiops") == 1 and "aiops.round" in names and "execute_tool metrics.scan" in names


def test_without_otel_variables_nothing_is_exported():
    assert tracing_setup(load_settings(env={})).exporters == []
    assert tracing_setup(load_settings(env={"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1",
                                            "OTEL_TRACES_EXPORTER": "none"})).exporters == []


def test_grpc_is_refused_with_a_message_naming_the_variable():
    settings = load_settings(env={"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317",
                                  "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"})
    with pytest.raises(ConfigError, match="OTEL_EXPORTER_OTLP_PROTOCOL = 'grpc'.*HTTP only"):
        tracing_setup(settings)


def test_a_collector_that_is_down_costs_a_bounded_wait_and_a_note(demo):
    import socket

    with socket.socket() as s:          # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = load_settings(env={"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}"})
    settings.tracing.flush_timeout_s = 0.5
    setup = tracing_setup(settings)
    list(investigate(demo.incident, demo.store, settings, tracer_provider=setup.provider))
    note = setup.shutdown()
    assert note.startswith(f"traces not delivered: otlp http://127.0.0.1:{port}/v1/traces did not accept them")


def test_jsonl_file_holds_one_span_a_line_in_bundle_span_columns(demo, tmp_path):
    path = tmp_path / "trace.jsonl"
    settings = load_settings(env={})
    setup = tracing_setup(settings, str(path))
    d = list(investigate(demo.incident, demo.store, settings, tracer_provider=setup.provider))[-1].diagnosis
    setup.shutdown()
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert rows and {r["trace_id"] for r in rows} == {d.trace_id}
    for r in rows:
        assert {"trace_id", "span_id", "parent_span_id", "service", "operation", "start", "duration_us", "status",
                "attributes"} <= set(r)
    ids = {r["span_id"] for r in rows}
    [root] = [r for r in rows if not r["parent_span_id"]]
    assert root["operation"] == "invoke_agent aiops" and root["attributes"]["aiops.run_id"] == d.run_id
    assert all(r["parent_span_id"] in ids for r in rows if r is not root)       # a whole tree


def test_bad_trace_file_is_bad_input(tmp_path):
    with pytest.raises(BadInputError, match="does not exist"):
        tracing_setup(load_settings(env={}), str(tmp_path / "no" / "dir" / "t.jsonl"))


def test_console_prints_the_span_tree(demo):
    out = io.StringIO()
    settings = load_settings(env={})
    setup = tracing_setup(settings, "console", console=out)
    d = list(investigate(demo.incident, demo.store, settings, tracer_provider=setup.provider))[-1].diagnosis
    setup.shutdown()
    lines = out.getvalue().splitlines()
    assert lines[0] == f"trace {d.trace_id}"
    assert lines[1].startswith("invoke_agent aiops") and f"run_id={d.run_id}" in lines[1]
    assert any(line.startswith("├─ aiops.round") for line in lines)
    assert any(line.startswith("│  ├─ execute_tool metrics.scan") for line in lines)
    assert any("retrieval" in line and "sources=knowledge/" in line for line in lines)


def test_the_cli_exports_to_a_collector_and_a_file_and_reports_the_trace_id(collector, tmp_path):
    path = tmp_path / "spans.jsonl"
    env = {**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": collector.url}
    proc = subprocess.run([sys.executable, "-m", "aiops", "diagnose", "--demo", "--format", "json", "--trace", str(path)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)                       # stdout is still exactly one JSON document
    assert len(report["trace_id"]) == 32 and report["run_id"]
    assert {s.trace_id.hex() for _, s in collector.spans()} == {report["trace_id"]}
    assert {json.loads(line)["trace_id"] for line in path.read_text().splitlines()} == {report["trace_id"]}
