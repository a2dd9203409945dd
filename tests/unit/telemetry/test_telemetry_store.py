"""The query API the diagnosis engine uses: grids, records, spans, events, overview."""

from __future__ import annotations

import numpy as np
import pytest

from aiops.telemetry.bundle import load_bundle

T0 = 1674981000  # 2023-01-29T08:30:00Z, as in conftest.INCIDENT

METRICS = f"""\
timestamp,metric,value,pod,zone
{T0 + 3},cpu_ratio,0.2,cart-7d4f9c8b6-x2k9z,a
{T0 + 17},cpu_ratio,0.4,cart-7d4f9c8b6-x2k9z,a
{T0 + 70},cpu_ratio,0.9,cart-7d4f9c8b6-x2k9z,a
{T0 + 5},cpu_ratio,0.1,db-0,a
{T0 - 10},http_requests_total,90,web-7d4f9c8b6-x2k9z,
{T0},http_requests_total,100,web-7d4f9c8b6-x2k9z,
{T0 + 30},http_requests_total,130,web-7d4f9c8b6-x2k9z,
{T0 + 60},http_requests_total,10,web-7d4f9c8b6-x2k9z,
{T0 + 90},http_requests_total,40,web-7d4f9c8b6-x2k9z,
{T0},errors_seen,1,web-7d4f9c8b6-x2k9z,
{T0 + 30},errors_seen,4,web-7d4f9c8b6-x2k9z,
{T0 + 60},errors_seen,4,web-7d4f9c8b6-x2k9z,
{T0 + 90},errors_seen,10,web-7d4f9c8b6-x2k9z,
"""

LOGS = f"""\
timestamp,service,pod,level,message
{T0 + 61},cart,cart-1,ERROR,b
{T0 + 1},cart,cart-1,INFO,a
{T0 + 62},cart,cart-1,ERROR,c
{T0 + 2},db,db-0,INFO,d
"""

SPANS = f"""\
trace_id,span_id,parent_span_id,service,operation,start,duration_us,http_status
t,a,,web,GET,{T0}000000000,100,200
t,b,a,cart,get,{T0 + 1}000000000,50,
"""


@pytest.fixture
def store(make_bundle):
    loaded = load_bundle(make_bundle({"metrics.csv": METRICS, "logs.csv": LOGS, "spans.csv": SPANS,
                                      "events.jsonl": f'{{"timestamp": {T0 + 50}, "kind": "deploy", "service": "cart"}}\n'}))
    yield loaded.store
    loaded.store.close()


def test_metric_grid_averages_irregular_samples_per_bucket(store):
    grid = store.metric_grid(T0, T0 + 120, 30, metrics="cpu_ratio")
    assert [str(k) for k in grid.keys] == ['cpu_ratio{service="cart",pod="cart-7d4f9c8b6-x2k9z",zone="a"}',
                                           'cpu_ratio{service="db",pod="db-0",zone="a"}']
    np.testing.assert_array_equal(grid.timestamps, [T0, T0 + 30, T0 + 60, T0 + 90])
    np.testing.assert_allclose(grid.values[0], [0.3, np.nan, 0.9, np.nan])
    np.testing.assert_allclose(grid.values[1], [0.1, np.nan, np.nan, np.nan])
    assert grid.keys[0].label("zone") == "a" and not grid.is_rate.any()


def test_metric_grid_filters_by_service(store):
    grid = store.metric_grid(T0, T0 + 120, 60, services=["db"])
    assert [(k.metric, k.service) for k in grid.keys] == [("cpu_ratio", "db")]


def test_counter_rates_are_reset_aware_and_detect_monotonic_series(store):
    grid = store.metric_grid(T0, T0 + 120, 30, metrics=["http_requests_total", "errors_seen", "cpu_ratio"],
                             counter_rates=True)
    rows = {k.metric: i for i, k in enumerate(grid.keys) if k.service != "db"}
    # 90 -> 100 over 10 s = 1/s; +30 over 30 s = 1/s; reset to 10 counts as +10; +30 over 30 s
    np.testing.assert_allclose(grid.values[rows["http_requests_total"]], [1.0, 1.0, 10 / 30, 1.0])
    np.testing.assert_allclose(grid.values[rows["errors_seen"]], [np.nan, 0.1, 0.0, 0.2])
    assert grid.is_rate[rows["http_requests_total"]] and grid.is_rate[rows["errors_seen"]]
    assert not grid.is_rate[rows["cpu_ratio"]]
    np.testing.assert_allclose(grid.values[rows["cpu_ratio"]], [0.3, np.nan, 0.9, np.nan])


def test_log_records_are_time_ordered_and_filterable(store):
    recs = store.log_records()
    assert list(recs["message"]) == ["a", "d", "b", "c"]
    assert recs["ts"].dtype == np.float64 and list(recs["level"]) == ["info", "info", "error", "error"]
    recs = store.log_records(start=T0 + 2, end=T0 + 62, service="cart", limit=5)
    assert list(recs["message"]) == ["b"]
    assert list(store.log_records(limit=1)["message"]) == ["a"]


def test_log_count_grid(store):
    grid = store.log_count_grid(T0, T0 + 120, 60)
    assert grid.keys == [("cart", "error"), ("cart", "info"), ("db", "info")]
    np.testing.assert_array_equal(grid.counts, [[0, 2], [1, 0], [1, 0]])
    assert store.log_count_grid(T0, T0 + 120, 60, by=["level"]).keys == [("error",), ("info",)]
    with pytest.raises(ValueError):
        store.log_count_grid(T0, T0 + 120, 60, by=["message"])


def test_span_table_and_events(store):
    spans = store.span_table(start=T0, end=T0 + 10)
    assert list(spans["span_id"]) == ["a", "b"] and list(spans["parent_span_id"]) == ["", "a"]
    np.testing.assert_array_equal(spans["http_status"], [200, np.nan])
    assert list(store.span_table(start=T0 + 1)["service"]) == ["cart"]
    assert [e["kind"] for e in store.events(start=T0, end=T0 + 60)] == ["deploy"]
    assert store.events(start=T0 + 51) == []


def test_a_repeated_read_is_a_fresh_table_and_a_write_is_seen(store):
    first = store.span_table(start=T0, end=T0 + 10)
    first["service"][0] = "changed by a caller"
    first["duration_us"][:] = 0
    again = store.span_table(start=T0, end=T0 + 10)
    assert list(again["service"]) == ["web", "cart"] and list(again["duration_us"]) == [100, 50]
    logs = store.log_records(start=T0, end=T0 + 120)
    logs["message"][0] = "x"
    assert list(store.log_records(start=T0, end=T0 + 120)["message"]) == ["a", "d", "b", "c"]
    assert list(store.log_records(start=T0 + 60, end=T0 + 120)["message"]) == ["b", "c"]

    with store.transaction() as con:
        con.execute(f"INSERT INTO spans (trace_id, span_id, parent_span_id, service, pod, operation, start, "
                    f"duration_us, status, http_status, attrs) VALUES ('u', 'c', '', 'db', '', 'q', {T0 + 2}, 7, "
                    f"'OK', NULL, '{{}}')")
        con.execute("DELETE FROM logs WHERE message = 'a'")
    assert list(store.span_table(start=T0, end=T0 + 10)["span_id"]) == ["a", "b", "c"]
    assert list(store.log_records(start=T0, end=T0 + 120)["message"]) == ["d", "b", "c"]
    store.clear()
    assert len(store.span_table(start=T0, end=T0 + 10)["span_id"]) == 0


def test_overview(store):
    assert store.counts() == {"metrics": 13, "logs": 4, "spans": 2, "events": 1}
    assert store.services() == ["cart", "db", "web"]
    assert store.time_range() == (T0 - 10, T0 + 90)
