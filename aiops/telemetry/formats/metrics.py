"""Metric samples: metrics.csv (long format), metrics.parquet, metrics.json (Prometheus matrix).

Every column other than timestamp, metric, value, service and pod is a label and goes to
`labels` (JSON, sorted keys, empty values left out). `service` is the service column,
else derived from `pod`, else the first of the labels in SERVICE_FALLBACK_LABELS.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

from aiops.errors import BundleError
from aiops.telemetry.formats.sources import (
    READ_ERRORS, Check, LoadResult, QuerySource, Source, StagedInsert, duckdb_error, insert_staged, open_csv, open_parquet, pick,
)
from aiops.telemetry.formats.sqlexpr import (
    epoch_ok_sql, epoch_sql, ident, literal, number_ok_sql, number_sql, service_sql, text_sql,
)

TIMESTAMP = ("timestamp", "time", "ts")
METRIC = ("metric", "__name__", "name", "metric_name")
VALUE = ("value",)
SERVICE = ("service",)
POD = ("pod", "pod_name")
SERVICE_FALLBACK_LABELS = ("service_name", "app_kubernetes_io_name", "app", "container", "job")


def load_metrics_csv(con, path: Path, name: str) -> LoadResult:
    return _load_table(con, open_csv(con, path, name))


def load_metrics_parquet(con, path: Path, name: str) -> LoadResult:
    return _load_table(con, open_parquet(con, path, name))


def _load_table(con, src: Source) -> LoadResult:
    cols = src.columns
    ts, metric, value = pick(cols, *TIMESTAMP), pick(cols, *METRIC), pick(cols, *VALUE)
    for role, col in (("timestamp", ts), ("metric", metric), ("value", value)):
        if col is None:
            raise BundleError(f"{src.name}: missing required column {role!r} (columns: {', '.join(cols)})")
    service, pod = pick(cols, *SERVICE), pick(cols, *POD)
    claimed = {ts, metric, value, service, pod}
    labels = [c for c in cols if c not in claimed]
    fallbacks = [ident(c) for c in (pick(cols, f) for f in SERVICE_FALLBACK_LABELS) if c]
    plan = StagedInsert(
        table="metrics",
        exprs={
            "ts": epoch_sql(ident(ts), cols[ts]),
            "metric": text_sql(ident(metric)),
            "value": number_sql(ident(value), cols[value]),
            "service": service_sql(service and ident(service), pod and ident(pod), fallbacks),
            "pod": text_sql(pod and ident(pod)),
            "labels": src.attrs_sql(labels),
        },
        checks=[Check(ts, epoch_ok_sql(ident(ts), cols[ts])),
                Check(value, number_ok_sql(ident(value), cols[value]), "not a number")],
        keep="ts IS NOT NULL AND metric <> ''",
        dropped_reason="rows without a timestamp or metric name",
    )
    return insert_staged(con, src, plan, list(cols))


def _json_object_limit(path: Path) -> int:
    """A maximum_object_size big enough for the whole document (gzip: from its trailer)."""
    size = path.stat().st_size
    if path.name.endswith(".gz") and size >= 4:
        with open(path, "rb") as fh:
            fh.seek(-4, 2)
            size = max(size * 20, struct.unpack("<I", fh.read(4))[0])
    return max(16 * 1024 * 1024, size + 1024)


def load_metrics_prometheus_json(con, path: Path, name: str) -> LoadResult:
    """A Prometheus range-query response (resultType matrix; vector accepted too).

    Accepts the full `{"status": ..., "data": {"resultType": ..., "result": [...]}}` and the
    bare `{"resultType": ..., "result": [...]}`. `__name__` is the metric name.
    """
    if path.stat().st_size == 0:
        raise BundleError(f"{name}: empty file (0 bytes)")
    if path.name.endswith(".gz"):
        try:
            with gzip.open(path, "rb") as fh:
                fh.read(1)
        except (OSError, EOFError, zlib.error) as exc:
            raise BundleError(f"{name}: not a valid gzip file: {exc}") from None
    src = literal(str(path))
    limit = _json_object_limit(path)
    try:
        docs = con.execute(
            f"""SELECT json_type(json), json->>'$.status', json->>'$.error',
                       coalesce(json->>'$.data.resultType', json->>'$.resultType'),
                       json_type(coalesce(json->'$.data.result', json->'$.result'))
                FROM read_json_objects({src}, format = 'auto', maximum_object_size = {limit})""").fetchall()
    except READ_ERRORS as exc:
        raise duckdb_error(name, exc) from None
    if not docs:
        return LoadResult(rows=0)
    for jtype, status, error, rtype, result_type in docs:
        if jtype != "OBJECT":
            raise BundleError(f"{name}: expected a Prometheus query response object, got {jtype}")
        if status == "error":
            raise BundleError(f"{name}: Prometheus response has status 'error': {error or 'no reason given'}")
        if rtype not in ("matrix", "vector") or result_type != "ARRAY":
            raise BundleError(f"{name}: resultType = {rtype!r}: expected a Prometheus 'matrix' response "
                              "with data.result as an array")
    spec = literal('[{"metric": "MAP(VARCHAR, VARCHAR)", "values": "JSON[]", "value": "JSON"}]')
    claimed = "'__name__', 'service', 'pod'"
    series = f"""
        WITH doc AS (SELECT coalesce(json->'$.data.result', json->'$.result') AS result,
                            coalesce(json->>'$.data.resultType', json->>'$.resultType') AS rtype
                     FROM read_json_objects({src}, format = 'auto', maximum_object_size = {limit})),
        ser AS (SELECT unnest(from_json(result, {spec})) AS s, rtype FROM doc),
        smp AS (SELECT s.metric AS m,
                       unnest(CASE WHEN rtype = 'vector' THEN [s.value] ELSE s."values" END) AS p
                FROM ser)
        SELECT m['__name__'] AS metric, m['service'] AS service, m['pod'] AS pod, p->>0 AS "timestamp", p->>1 AS "value",
               CAST(to_json(map_from_entries(list_sort(list_filter(map_entries(m),
                    e -> e.key NOT IN ({claimed}) AND e.value <> '')))) AS VARCHAR) AS labels,
               {" , ".join(f"m[{literal(f)}] AS {ident('fb_' + f)}" for f in SERVICE_FALLBACK_LABELS)}
        FROM smp"""
    fallbacks = [ident("fb_" + f) for f in SERVICE_FALLBACK_LABELS]
    stage = QuerySource(name=name, path=path, columns={}, first_line=1, row_word="sample", query=series)
    plan = StagedInsert(
        table="metrics",
        exprs={
            "ts": "aiops_epoch_text(\"timestamp\")",
            "metric": text_sql("metric"),
            "value": "aiops_number(\"value\")",
            "service": service_sql("service", "pod", fallbacks),
            "pod": text_sql("pod"),
            "labels": "coalesce(labels, '{}')",
        },
        checks=[Check("timestamp", epoch_ok_sql(ident("timestamp"))),
                Check("value", "aiops_is_number(\"value\")", "not a number")],
        keep="ts IS NOT NULL AND metric <> ''",
        dropped_reason="samples without a timestamp or __name__",
    )
    return insert_staged(con, stage, plan, [])
