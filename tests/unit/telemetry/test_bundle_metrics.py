"""metrics.csv / .csv.gz / .parquet / Prometheus matrix JSON all land in one metrics table."""

from __future__ import annotations

import json

import duckdb

from aiops.telemetry.bundle import load_bundle

T0 = 1674981000  # 2023-01-29T08:30:00Z, as in conftest.INCIDENT


def rows(loaded, sql="SELECT ts, metric, value, service, pod, labels FROM metrics ORDER BY ts, metric"):
    return loaded.store.connection.execute(sql).fetchall()


def test_csv_timestamps_in_any_unit_or_rfc3339_become_unix_seconds(make_bundle):
    bundle = make_bundle({"metrics.csv": f"""
        timestamp,metric,value,service
        {T0},cpu,0.5,checkout
        {T0 + 15}000,cpu,0.6,checkout
        {T0 + 30}000000000,cpu,0.7,checkout
        2023-01-29T08:30:45Z,cpu,0.8,checkout
        2023-01-29 08:31:00.500,cpu,0.9,checkout
        2023-01-29T09:31:15+01:00,cpu,1.0,checkout
        """})
    got = [r[0] for r in rows(load_bundle(bundle))]
    assert got == [T0, T0 + 15, T0 + 30, T0 + 45, T0 + 60.5, T0 + 75]


def test_csv_missing_values_are_null_and_labels_are_sorted_json(make_bundle):
    bundle = make_bundle({"metrics.csv": f"""
        timestamp,zone,metric,value,service,instance
        {T0},b,cpu,NaN,checkout,10.0.0.1
        {T0 + 1},b,cpu,,checkout,
        {T0 + 2},b,cpu,+Inf,checkout,10.0.0.1
        {T0 + 3},b,cpu,2.5,checkout,10.0.0.1
        """})
    got = rows(load_bundle(bundle))
    assert [r[2] for r in got] == [None, None, None, 2.5]
    assert json.loads(got[0][5]) == {"instance": "10.0.0.1", "zone": "b"}
    assert got[0][5].index("instance") < got[0][5].index("zone")
    assert got[1][5] == '{"zone":"b"}'          # empty label values are left out


def test_csv_service_is_derived_from_pod_when_absent(make_bundle):
    bundle = make_bundle({"metrics.csv": f"""
        timestamp,metric,value,pod
        {T0},cpu,1,ts-contacts-service-866bd68c97-xcqfx
        {T0},cpu,1,redis-0
        {T0},cpu,1,catalog-sync-28797840-dsc27
        """})
    got = rows(load_bundle(bundle), "SELECT service, pod, labels FROM metrics ORDER BY service")
    assert got == [("catalog-sync", "catalog-sync-28797840-dsc27", "{}"), ("redis", "redis-0", "{}"),
                   ("ts-contacts-service", "ts-contacts-service-866bd68c97-xcqfx", "{}")]


def test_gzip_csv_loads_like_plain(make_bundle):
    bundle = make_bundle({"metrics.csv.gz": f"timestamp,metric,value,service\n{T0},cpu,1,a\n{T0 + 1},cpu,2,a\n"})
    loaded = load_bundle(bundle)
    assert loaded.files == [("metrics.csv.gz", "metrics", 2)]
    assert rows(loaded)[1][:4] == (T0 + 1, "cpu", 2.0, "a")


def test_parquet_with_typed_timestamp_column(make_bundle):
    bundle = make_bundle()
    duckdb.execute(f"""COPY (SELECT to_timestamp({T0} + i * 10) AS timestamp, 'mem' AS metric, i * 1.5 AS value,
                                    'cart-7d4f9c8b6-x2k9z' AS pod, 'shop' AS namespace FROM range(3) t(i))
                       TO '{bundle / "metrics.parquet"}' (FORMAT parquet)""")
    got = rows(load_bundle(bundle))
    assert got == [(T0 + 10.0 * i, "mem", 1.5 * i, "cart", "cart-7d4f9c8b6-x2k9z", '{"namespace":"shop"}')
                   for i in range(3)]


PROM_SERIES = [
    {"metric": {"__name__": "container_cpu_usage_seconds_total", "pod": "web-7d4f9c8b6-x2k9z", "zone": "a"},
     "values": [[T0, "1"], [T0 + 15.5, "NaN"], [T0 + 30, "3"]]},
    {"metric": {"__name__": "up", "job": "db"}, "values": [[T0, "1"]]},
]


def test_prometheus_matrix_response(make_bundle):
    doc = {"status": "success", "data": {"resultType": "matrix", "result": PROM_SERIES}}
    got = rows(load_bundle(make_bundle({"metrics.json": json.dumps(doc)})))
    assert got[0] == (T0, "container_cpu_usage_seconds_total", 1.0, "web", "web-7d4f9c8b6-x2k9z", '{"zone":"a"}')
    assert got[1] == (T0, "up", 1.0, "db", "", '{"job":"db"}')   # service from the job label
    assert got[2][:3] == (T0 + 15.5, "container_cpu_usage_seconds_total", None)
    assert len(got) == 4


def test_bare_matrix_and_vector_and_gzip(make_bundle):
    bare = {"resultType": "matrix", "result": PROM_SERIES}
    vector = {"status": "success", "data": {"resultType": "vector", "result": [
        {"metric": {"__name__": "up", "service": "db"}, "value": [T0, "1"]}]}}
    assert load_bundle(make_bundle({"metrics.json": json.dumps(bare)})).files == [("metrics.json", "metrics", 4)]
    loaded = load_bundle(make_bundle({"metrics.json.gz": json.dumps(vector)}))
    assert rows(loaded) == [(T0, "up", 1.0, "db", "", "{}")]


def test_any_spelling_of_nan_is_a_missing_sample(make_bundle):
    text = "timestamp,metric,value,service\n" + "".join(f"{T0 + i},cpu,{v},a\n" for i, v in enumerate(["nan", "NaN", "-inf"]))
    assert [r[2] for r in rows(load_bundle(make_bundle({"metrics.csv": text})))] == [None, None, None]
