"""Every fault kind writes a bundle whose files follow the incident-bundle spec."""

from __future__ import annotations

import math
import re

import pytest

from aiops.simulator import FAULT_KINDS
from aiops.timeutil import parse_timestamp

K8S_POD = re.compile(r"^[a-z0-9-]+-([bcdfghjklmnpqrstvwxz2456789]{9,10}-[bcdfghjklmnpqrstvwxz2456789]{5}|\d+)$")


def duration_us(span: dict) -> float:
    if span.get("duration_us") not in (None, ""):
        return float(span["duration_us"])
    return (float(span["end"]) - float(span["start"])) / 1e3


@pytest.mark.parametrize("kind", list(FAULT_KINDS))
def test_bundle_files_follow_the_spec(kind, fault_bundles, rd):
    bundle = fault_bundles[kind]
    inc = rd.read_toml(bundle / "incident.toml")
    start, end = parse_timestamp(inc["window"]["start"]), parse_timestamp(inc["window"]["end"])
    assert end - start == pytest.approx(1800)
    assert start <= parse_timestamp(inc["started_at"]) <= end
    assert inc["title"] and inc["alert"]["alertname"] and inc["alert"]["service"]

    metrics = rd.read_metrics(bundle)
    assert len(metrics) > 20_000
    assert all(start - 5 <= m["ts"] <= end + 5 for m in metrics)
    assert sum(math.isnan(m["value"]) for m in metrics) < 0.05 * len(metrics)  # 0/0 ratios, lost samples
    pods = {m["pod"] for m in metrics if not m["pod"].startswith("catalog-sync")}
    assert pods and all(K8S_POD.match(p) for p in pods), sorted(p for p in pods if not K8S_POD.match(p))
    per_pod = {}
    for m in metrics:
        per_pod.setdefault(m["pod"], set()).add(m["metric"])
    assert min(len(v) for p, v in per_pod.items() if p in pods) >= 8

    logs = rd.read_logs(bundle)
    assert len(logs) > 1000 and all(r["message"] and r["service"] for r in logs)
    assert all(start - 15 <= r["ts"] <= end + 15 for r in logs)

    spans = rd.read_spans(bundle)
    ids = {s["span_id"] for s in spans}
    assert len(ids) == len(spans) > 500
    assert all(s["parent_span_id"] in ("", "root") or s["parent_span_id"] in ids for s in spans)
    assert {s["status"] for s in spans} <= {"OK", "ERROR", "UNSET"}
    for s in spans[:200]:
        assert parse_timestamp(s["start"]) == pytest.approx(float(s["start"]) / 1e9)
        assert duration_us(s) > 0

    events = rd.read_jsonl(rd.data_file(bundle, "events.jsonl"))
    assert events and all({"timestamp", "kind", "service", "message"} <= e.keys() for e in events)

    truth = rd.truth_of(bundle)
    assert truth["kind"] == kind and truth["service"]


def test_incident_description_does_not_name_the_culprit(fault_bundles, rd):
    for kind, bundle in fault_bundles.items():
        truth = rd.truth_of(bundle)
        inc = rd.read_toml(bundle / "incident.toml")
        assert truth["service"] not in inc["alert"].values(), kind
        assert truth["service"] not in inc["title"].split(), kind


def test_child_spans_nest_inside_parents_unless_the_caller_gave_up(fault_bundles, rd):
    spans = rd.read_spans(fault_bundles["latency_injection"])
    by_id = {s["span_id"]: s for s in spans}
    longer = 0
    for s in spans:
        parent = by_id.get(s["parent_span_id"])
        if parent is not None and duration_us(s) > duration_us(parent) + 1:
            longer += 1
    # Only calls the caller abandoned at its timeout outlive their parent.
    assert longer < 0.05 * len(spans)
    roots = [s for s in spans if not s["parent_span_id"]]
    assert {s["service"] for s in roots} == {"frontend"}
    client_to_store = [s for s in spans if s["kind"] == "client" and s["peer_service"] == "postgres"]
    assert client_to_store and all(s["service"] in ("inventory", "order") for s in client_to_store)
