"""`aiops snapshot`'s writer: a spec bundle that loads back as written, put in place atomically."""

from __future__ import annotations

import os

import pytest

from aiops.domain import Incident, TimeWindow
from aiops.errors import BadInputError
from aiops.telemetry.alerts import Alert
from aiops.telemetry.bundle import load_bundle
from aiops.telemetry.live.bundle_writer import write_bundle
from aiops.telemetry.live.collect import load_result
from aiops.telemetry.live.result import Batch, FetchResult
from aiops.telemetry.store import TelemetryStore
from aiops.timeutil import parse_timestamp

T0 = parse_timestamp("2026-01-10T11:00:00Z")
INCIDENT = Incident(title='checkout "slow" — p99 über SLO', window=TimeWindow(T0, T0 + 600), started_at=T0 + 300,
                    alert={"alertname": "HighLatency", "service": "checkout", "weird key": "x"}, symptom="p99 2 s",
                    extra={"live": {"sources": ["prometheus 'main'"]}})


@pytest.fixture(params=["csv", "json"])
def store(request):
    """A store as live sources fill it; with "json", a label is named like a metrics.csv column."""
    s = TelemetryStore()
    clash = {"value": "clash"} if request.param == "json" else {}
    series = [{"metric": {"__name__": "latency_p99_seconds", "service": "checkout", "pod": "checkout-0",
                          "instance": "10.0.0.1:8080", **clash}, "values": [[T0 + 15 * i, str(0.1 + i)] for i in range(20)]}]
    logs = [{"timestamp": T0 + i, "service": "checkout", "pod": "checkout-0", "level": "", "message": f"line {i} ERROR",
             "container": "app"} for i in range(5)]
    spans = [{"trace_id": "ab" * 16, "span_id": "cd" * 8, "parent_span_id": "", "service": "checkout", "pod": "",
              "operation": "GET /", "start": int((T0 + 1.25) * 1e9), "duration_us": 1500.5, "status": "ERROR",
              "http_status": 503}]
    events = [{"timestamp": "2026-01-10T11:01:00Z", "kind": "deploy", "service": "checkout", "message": "v2",
               "reason": "ScalingReplicaSet", "timestamp_note": "x"}]
    load_result(s, FetchResult("test", batch=Batch(metrics=series, logs=logs, spans=spans, events=events)))
    yield s
    s.close()


def test_snapshot_loads_back_with_the_same_rows(store, request, tmp_path):
    out = tmp_path / "snap"
    counts = write_bundle(store, INCIDENT, out, alert=Alert(labels=dict(INCIDENT.alert), starts_at=T0 + 300),
                          missing=["loki 'main': timed out after 5 s"], notes=["prometheus 'main': 20 metrics"])
    assert counts == {"metrics": 20, "logs": 5, "spans": 1, "events": 1}
    loaded = load_bundle(out)
    try:
        assert loaded.warnings == []
        assert loaded.incident.title == INCIDENT.title and loaded.incident.alert == INCIDENT.alert
        assert loaded.incident.started_at == INCIDENT.started_at and loaded.incident.window == INCIDENT.window
        assert loaded.incident.extra["snapshot"]["missing"] == ["loki 'main': timed out after 5 s"]
        assert loaded.store.counts() == store.counts()
        for table, cols in (("metrics", "ts, metric, value, service, pod, labels"),
                            ("logs", "ts, service, pod, level, message, trace_id, span_id, attrs"),
                            ("spans", "trace_id, span_id, parent_span_id, service, operation, start, duration_us, "
                                      "status, http_status"),
                            ("events", "ts, kind, service, message")):
            q = f"SELECT {cols} FROM {table} ORDER BY ALL"
            assert loaded.store.connection.execute(q).fetchall() == store.connection.execute(q).fetchall(), table
    finally:
        loaded.store.close()
    assert "timed out after 5 s" in (out / "SNAPSHOT.md").read_text()
    assert (out / f"metrics.{request.node.callspec.params['store']}").is_file()


def test_a_failure_mid_write_leaves_nothing_behind(store, tmp_path):
    out = tmp_path / "snap"
    store.connection.execute("DROP TABLE events")          # the last table cannot be written
    with pytest.raises(Exception):
        write_bundle(store, INCIDENT, out)
    assert not out.exists()
    assert os.listdir(tmp_path) == [], "no temporary directory is left either"


def test_a_non_empty_directory_needs_force(store, tmp_path):
    out = tmp_path / "snap"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(BadInputError, match="directory is not empty .use --force"):
        write_bundle(store, INCIDENT, out)
    assert (out / "notes.txt").read_text() == "mine"
    write_bundle(store, INCIDENT, out, force=True)
    assert not (out / "notes.txt").exists() and (out / "incident.toml").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snap"]
