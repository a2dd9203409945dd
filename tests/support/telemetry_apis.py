"""Loki, Jaeger and Tempo HTTP APIs replayed from a loaded bundle (a TelemetryStore), in each
API's documented JSON shape, honouring the query parameters the real servers honour
(time range, limit, direction, service, TraceQL service filter).

    loki = ReplayServer(loki_routes(store))        # /loki/api/v1/query_range, /ready, ...
    jaeger = ReplayServer(jaeger_routes(store))    # /api/services, /api/traces, ...
    tempo = ReplayServer(tempo_routes(store))      # /api/search, /api/traces/<id>, ...
"""

from __future__ import annotations

import base64
import re
from collections import defaultdict
from typing import Any

NS = 1_000_000_000
_MATCHER = re.compile(r'([a-zA-Z_][a-zA-Z0-9_.]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')


def selector_matches(selector: str, labels: dict[str, str]) -> bool:
    """A LogQL/TraceQL-style `{k="v", k=~"re"}` matcher set against labels."""
    for key, op, value in _MATCHER.findall(selector):
        have = labels.get(key, "")
        value = value.replace('\\"', '"')
        ok = {"=": have == value, "!=": have != value,
              "=~": re.fullmatch(value, have) is not None, "!~": re.fullmatch(value, have) is None}[op]
        if not ok:
            return False
    return True


# -- Loki ------------------------------------------------------------------------------
def _log_streams(store: Any) -> list[tuple[dict[str, str], list[tuple[int, str]]]]:
    rows = store.log_records()
    streams: dict[tuple, list[tuple[int, str]]] = defaultdict(list)
    for ts, service, pod, level, message in zip(rows["ts"], rows["service"], rows["pod"], rows["level"], rows["message"]):
        labels = {"namespace": "shop", "service_name": str(service), "container": str(service),
                  "job": f"shop/{service}"}
        if pod:
            labels["pod"] = str(pod)
        if level:
            labels["detected_level"] = str(level)
        streams[tuple(sorted(labels.items()))].append((int(round(float(ts) * NS)), str(message)))
    return [(dict(k), sorted(v)) for k, v in streams.items()]


def loki_routes(store: Any) -> dict[str, Any]:
    streams = _log_streams(store)

    def query_range(req) -> Any:
        query = req.arg("query", "")
        start, end = int(req.arg("start", "0")), int(req.arg("end", str(2**62)))
        limit, forward = int(req.arg("limit", "100")), req.arg("direction", "backward") == "forward"
        entries = [(ts, i, line) for i, (labels, values) in enumerate(streams) if selector_matches(query, labels)
                   for ts, line in values if start <= ts < end]
        entries.sort(key=lambda e: (e[0], e[1]), reverse=not forward)
        picked: dict[int, list] = defaultdict(list)
        for ts, i, line in entries[:limit]:
            picked[i].append([str(ts), line])
        result = [{"stream": streams[i][0], "values": values} for i, values in picked.items()]
        return {"status": "success", "data": {"resultType": "streams", "result": result,
                                              "stats": {"summary": {"totalLinesProcessed": len(entries)}}}}

    def labels(req) -> Any:
        return {"status": "success", "data": sorted({k for s, _ in streams for k in s})}

    def label_values(req) -> Any:
        name = req.params["name"]
        return {"status": "success", "data": sorted({s[name] for s, _ in streams if name in s})}

    return {
        "/loki/api/v1/query_range": query_range,
        "/loki/api/v1/labels": labels,
        "/loki/api/v1/label/{name}/values": label_values,
        "/ready": lambda req: (200, "text/plain", b"ready\n"),
        "/loki/api/v1/status/buildinfo": lambda req: {"version": "2.9.4", "revision": "replay", "branch": "HEAD"},
    }


# -- traces ----------------------------------------------------------------------------
def _traces(store: Any) -> dict[str, list[dict[str, Any]]]:
    t = store.span_table()
    traces: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for i in range(len(t["span_id"])):
        http = t["http_status"][i]
        traces[str(t["trace_id"][i])].append({
            "trace_id": str(t["trace_id"][i]), "span_id": str(t["span_id"][i]),
            "parent": str(t["parent_span_id"][i]), "service": str(t["service"][i]), "pod": str(t["pod"][i]),
            "operation": str(t["operation"][i]), "start_ns": int(round(float(t["start"][i]) * NS)),
            "duration_us": float(t["duration_us"][i]), "status": str(t["status"][i]),
            "http": None if http != http else int(http)})
    return traces


def _trace_start(spans: list[dict[str, Any]]) -> int:
    return min(s["start_ns"] for s in spans)


def jaeger_trace(trace_id: str, spans: list[dict[str, Any]]) -> dict[str, Any]:
    processes: dict[tuple, str] = {}
    out = []
    for s in spans:
        pid = processes.setdefault((s["service"], s["pod"]), f"p{len(processes) + 1}")
        tags = [{"key": "span.kind", "type": "string", "value": "server"}]
        if s["http"] is not None:
            tags.append({"key": "http.status_code", "type": "int64", "value": s["http"]})
        if s["status"] in ("OK", "ERROR"):        # the OpenTelemetry status, as Jaeger shows it
            tags.append({"key": "otel.status_code", "type": "string", "value": s["status"]})
        if s["status"] == "ERROR":
            tags.append({"key": "error", "type": "bool", "value": True})
        out.append({"traceID": trace_id, "spanID": s["span_id"], "flags": 1, "operationName": s["operation"],
                    "references": [{"refType": "CHILD_OF", "traceID": trace_id, "spanID": s["parent"]}] if s["parent"] else [],
                    "startTime": s["start_ns"] // 1000, "duration": int(round(s["duration_us"])), "tags": tags,
                    "logs": [], "processID": pid, "warnings": None})
    procs = {pid: {"serviceName": svc, "tags": [{"key": "hostname", "type": "string", "value": pod}] if pod else []}
             for (svc, pod), pid in processes.items()}
    return {"traceID": trace_id, "spans": out, "processes": procs, "warnings": None}


def jaeger_routes(store: Any) -> dict[str, Any]:
    traces = _traces(store)
    services = sorted({s["service"] for spans in traces.values() for s in spans})
    by_service = {svc: [tid for tid, spans in traces.items() if any(s["service"] == svc for s in spans)] for svc in services}
    starts = {tid: _trace_start(spans) for tid, spans in traces.items()}
    rendered: dict[str, dict] = {}

    def render(tid: str) -> dict:
        if tid not in rendered:
            rendered[tid] = jaeger_trace(tid, traces[tid])
        return rendered[tid]

    def envelope(data: Any) -> dict[str, Any]:
        return {"data": data, "total": len(data) if isinstance(data, list) else 0, "limit": 0, "offset": 0, "errors": None}

    def search(req) -> Any:
        service = req.arg("service")
        if not service:
            return 400, "application/json", b'{"data":null,"errors":[{"code":400,"msg":"parameter \'service\' is required"}]}'
        start, end = int(req.arg("start", "0")) * 1000, int(req.arg("end", str(2**53))) * 1000
        limit = int(req.arg("limit", "20"))
        hits = [tid for tid in by_service.get(service, []) if start <= starts[tid] <= end]
        hits.sort(key=lambda tid: -starts[tid])                     # most recent first, as Jaeger does
        return envelope([render(tid) for tid in hits[:limit]])

    def one(req) -> Any:
        tid = req.params["trace_id"]
        if tid not in traces:
            return 404, "application/json", b'{"data":null,"errors":[{"code":404,"msg":"trace not found"}]}'
        return envelope([render(tid)])

    def operations(req) -> Any:
        svc = req.params["service"]
        return envelope(sorted({s["operation"] for spans in traces.values() for s in spans if s["service"] == svc}))

    return {"/api/services": lambda req: envelope(services), "/api/services/{service}/operations": operations,
            "/api/traces": search, "/api/traces/{trace_id}": one}


def _b64(hex_id: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_id)).decode() if hex_id else ""


def tempo_trace(spans: list[dict[str, Any]]) -> dict[str, Any]:
    """Tempo's /api/traces/<id> JSON: OTLP `batches`, ids base64 (protobuf JSON mapping)."""
    by_resource: dict[tuple, list] = defaultdict(list)
    for s in spans:
        attrs = [{"key": "http.status_code", "value": {"intValue": str(s["http"])}}] if s["http"] is not None else []
        status = {"code": f"STATUS_CODE_{s['status']}"} if s["status"] in ("OK", "ERROR") else {}
        end_ns = s["start_ns"] + int(round(s["duration_us"] * 1000))
        by_resource[(s["service"], s["pod"])].append({
            "traceId": _b64(s["trace_id"]), "spanId": _b64(s["span_id"]), "parentSpanId": _b64(s["parent"]),
            "name": s["operation"], "kind": "SPAN_KIND_SERVER", "startTimeUnixNano": str(s["start_ns"]),
            "endTimeUnixNano": str(end_ns), "attributes": attrs, "status": status})
    batches = []
    for (svc, pod), items in by_resource.items():
        res = [{"key": "service.name", "value": {"stringValue": svc}}]
        if pod:
            res.append({"key": "k8s.pod.name", "value": {"stringValue": pod}})
        batches.append({"resource": {"attributes": res}, "scopeSpans": [{"scope": {"name": "replay"}, "spans": items}]})
    return {"batches": batches}


def tempo_routes(store: Any) -> dict[str, Any]:
    traces = _traces(store)

    def search(req) -> Any:
        q = req.arg("q", "{}")
        start, end = int(req.arg("start", "0")) * NS, int(req.arg("end", str(2**32))) * NS
        limit = int(req.arg("limit", "20"))
        want = dict((k.replace("resource.", ""), v) for k, _, v in _MATCHER.findall(q))
        hits = []
        for tid, spans in traces.items():
            t0 = _trace_start(spans)
            if not start <= t0 <= end:
                continue
            if want.get("service.name") and not any(s["service"] == want["service.name"] for s in spans):
                continue
            root = min(spans, key=lambda s: (bool(s["parent"]), s["start_ns"]))
            dur = max(s["start_ns"] + s["duration_us"] * 1000 for s in spans) - t0
            hits.append({"traceID": tid, "rootServiceName": root["service"], "rootTraceName": root["operation"],
                         "startTimeUnixNano": str(t0), "durationMs": int(dur / 1e6)})
        hits.sort(key=lambda h: -int(h["startTimeUnixNano"]))
        return {"traces": hits[:limit], "metrics": {"inspectedTraces": len(traces), "inspectedBytes": "0"}}

    def one(req) -> Any:
        tid = req.params["trace_id"]
        if tid not in traces:
            return 404, "text/plain", b"trace not found"
        return tempo_trace(traces[tid])

    return {"/api/search": search, "/api/traces/{trace_id}": one,
            "/api/search/tags": lambda req: {"tagNames": ["service.name", "http.status_code"]},
            "/ready": lambda req: (200, "text/plain", b"ready\n"),
            "/api/status/buildinfo": lambda req: {"version": "2.4.1", "revision": "replay"}}
