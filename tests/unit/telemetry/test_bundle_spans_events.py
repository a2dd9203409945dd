"""spans.csv / spans.jsonl, OTLP JSON under traces/, and events.jsonl."""

from __future__ import annotations

import json

from aiops.telemetry.bundle import load_bundle

T0 = 1674981000  # 2023-01-29T08:30:00Z, as in conftest.INCIDENT

NS = T0 * 1_000_000_000


def spans(loaded):
    return loaded.store.connection.execute(
        "SELECT trace_id, span_id, parent_span_id, service, pod, operation, start, duration_us, status, "
        "http_status, attrs FROM spans ORDER BY start, span_id").fetchall()


def test_spans_csv_root_parents_ns_start_and_status(make_bundle):
    bundle = make_bundle({"spans.csv": f"""
        trace_id,span_id,parent_span_id,service,operation,start,duration_us,status,http_status,peer
        t1,a,root,frontend,GET /cart,{NS},1500,,503,
        t1,b,a,,GET /items,{NS + 100_000},700.5,STATUS_CODE_OK,200,db
        t1,c,,cart,lookup,{NS + 200_000},10,error,,
        """.replace(",,GET /items", ",,GET /items").replace("t1,b,a,,", "t1,b,a,cart,")})
    got = spans(load_bundle(bundle))
    assert got[0][:4] == ("t1", "a", "", "frontend")
    assert got[0][6:10] == (T0, 1500.0, "ERROR", 503)      # no status + HTTP 5xx -> ERROR
    assert got[1][2] == "a" and got[1][7:10] == (700.5, "OK", 200) and got[1][10] == '{"peer":"db"}'
    assert got[2][2] == "" and got[2][8] == "ERROR" and got[2][9] is None


def test_spans_jsonl_with_rfc3339_start_end_and_pod(make_bundle):
    line = {"trace_id": "t", "span_id": "s", "pod": "cart-7d4f9c8b6-x2k9z", "operation": "get",
            "start": "2023-01-29T08:30:00Z", "end": NS + 2_500_000}
    got = spans(load_bundle(make_bundle({"spans.jsonl": json.dumps(line) + "\n"})))
    assert got[0][:8] == ("t", "s", "", "cart", "cart-7d4f9c8b6-x2k9z", "get", T0, 2500.0)
    assert got[0][8] == "UNSET"


def otlp_doc(service: str, span_id: str, code, parent: str = "") -> dict:
    return {"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}},
                                    {"key": "k8s.pod.name", "value": {"stringValue": f"{service}-7d4f9c8b6-x2k9z"}}]},
        "scopeSpans": [{"scope": {"name": "x"}, "spans": [{
            "traceId": "5b8efff798038103d269b633813fc60c", "spanId": span_id, "parentSpanId": parent,
            "name": f"{service} op", "kind": 2, "startTimeUnixNano": str(NS), "endTimeUnixNano": str(NS + 250_000_000),
            "status": {"code": code},
            "attributes": [{"key": "http.status_code", "value": {"intValue": "500"}},
                           {"key": "retry", "value": {"boolValue": True}}]}]}]}]}


def test_otlp_pretty_printed_document(make_bundle):
    doc = json.dumps(otlp_doc("shipping", "eee19b7ec3c1b174", 2), indent=2)
    got = spans(load_bundle(make_bundle({"traces/export.json": doc})))
    assert got == [("5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174", "", "shipping",
                    "shipping-7d4f9c8b6-x2k9z", "shipping op", T0, 250_000.0, "ERROR", 500,
                    '{"http.status_code":500,"retry":true,"span.kind":"SERVER"}')]


def test_otlp_one_document_per_line_gzipped_with_string_status(make_bundle):
    text = "\n".join(json.dumps(d) for d in (otlp_doc("a", "0000000000000001", "STATUS_CODE_OK"),
                                              otlp_doc("b", "0000000000000002", 0, parent="0000000000000001")))
    loaded = load_bundle(make_bundle({"traces/otel.jsonl.gz": text + "\n"}))
    got = spans(loaded)
    assert loaded.files == [("traces/otel.jsonl.gz", "spans", 2)]
    assert [(r[3], r[2], r[8]) for r in got] == [("a", "", "OK"), ("b", "0000000000000001", "ERROR")]


def test_events_jsonl_keeps_extra_fields(make_bundle):
    lines = [{"timestamp": "2023-01-29T08:40:00Z", "kind": "Deploy", "service": "cart", "message": "v2",
              "version": "2.0.1"},
             {"timestamp": T0, "pod": "redis-0", "message": "OOMKilled"}]
    loaded = load_bundle(make_bundle({"events.jsonl": "\n".join(json.dumps(x) for x in lines)}))
    got = loaded.store.events()
    assert [(e["ts"], e["kind"], e["service"], e["message"]) for e in got] == [
        (T0, "event", "redis", "OOMKilled"), (T0 + 600, "deploy", "cart", "v2")]
    assert got[1]["attrs"] == {"version": "2.0.1"} and got[0]["attrs"] == {"pod": "redis-0"}
