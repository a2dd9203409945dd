"""Fetched batches into the store through the bundle formats' own loaders.

Sources hand over records shaped like the spec's files (logs.jsonl, spans.jsonl,
events.jsonl rows; Prometheus matrix series; or files a bundle format claims); they are
written to a temporary file and loaded by the same code that loads bundles, so a live
diagnosis and a bundle diagnosis see the same columns, service names, levels and
unwrapped messages. One batch loads in one transaction: all of it or none.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, Iterable

from aiops.domain import TimeWindow
import duckdb

from aiops.errors import BundleError, SourceError, one_line
from aiops.sqlbind import bind_named
from aiops.telemetry.live.result import Batch

EVENTS_LOOKBACK_S = 3600.0     # change events up to an hour before the window are evidence
_JSONL_LOADERS = {
    "logs": "aiops.telemetry.formats.logs:load_logs_jsonl",
    "spans": "aiops.telemetry.formats.spans:load_spans_jsonl",
    "events": "aiops.telemetry.formats.events:load_events_jsonl",
}


def _function(target: str):
    import importlib

    module, _, func = target.partition(":")
    return getattr(importlib.import_module(module), func)


def uniform(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records with the same keys in the same order (the JSONL loader learns columns from a sample)."""
    records = list(records)
    keys: dict[str, None] = {}
    for r in records:
        for k in r:
            keys.setdefault(k, None)
    return [{k: r.get(k, "") for k in keys} for r in records]


def write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> int:
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        for rec in uniform(records):
            fh.write(json.dumps(rec, separators=(",", ":"), default=str, ensure_ascii=False))
            fh.write("\n")
            n += 1
    return n


def matrix_document(series: list[dict[str, Any]]) -> dict[str, Any]:
    return {"status": "success", "data": {"resultType": "matrix", "result": series}}


def load_matrix(con: Any, series: list[dict[str, Any]], tmp: Path) -> int:
    """Append Prometheus matrix series; rows loaded.

    The same column rules as the metrics.json loader (its SQL expressions: service from the
    `service` label, else the pod, else a fallback label; labels as a sorted JSON object),
    but the samples travel as CSV next to a small series table: JSON for a million samples
    costs seconds that CSV does not.
    """
    from aiops.telemetry.formats.metrics import SERVICE_FALLBACK_LABELS
    from aiops.telemetry.formats.sqlexpr import ident, literal, service_sql, text_sql

    with open(tmp / "series.jsonl", "w", encoding="utf-8") as fh:
        for i, s in enumerate(series):
            metric = {str(k): str(v) for k, v in (s.get("metric") or {}).items()}
            fh.write(json.dumps({"sid": i, "m": metric}, separators=(",", ":")) + "\n")
    with open(tmp / "samples.csv", "w", encoding="utf-8") as fh:
        for i, s in enumerate(series):
            fh.write("".join(f"{i},{t},{v}\n" for t, v in s.get("values") or []))
    claimed = "'__name__', 'service', 'pod'"
    fallbacks = ", ".join(f"m[{literal(f)}] AS {ident('fb_' + f)}" for f in SERVICE_FALLBACK_LABELS)
    service = service_sql("m['service']", "m['pod']", [ident("fb_" + f) for f in SERVICE_FALLBACK_LABELS])
    sql = f"""
        INSERT INTO metrics (ts, metric, value, service, pod, labels)
        WITH ser AS (
            SELECT sid, m, {fallbacks},
                   CAST(to_json(map_from_entries(list_sort(list_filter(map_entries(m),
                        e -> e.key NOT IN ({claimed}) AND e.value <> '')))) AS VARCHAR) AS labels
            FROM read_json({literal(str(tmp / "series.jsonl"))}, format = 'newline_delimited',
                           columns = {{'sid': 'BIGINT', 'm': 'MAP(VARCHAR, VARCHAR)'}}))
        SELECT p.ts, {text_sql("ser.m['__name__']")}, aiops_number(p.v), {service}, {text_sql("ser.m['pod']")},
               coalesce(ser.labels, '{{}}')
        FROM read_csv({literal(str(tmp / "samples.csv"))}, header = false,
                      columns = {{'sid': 'BIGINT', 'ts': 'DOUBLE', 'v': 'VARCHAR'}}) p
        JOIN ser USING (sid)
        WHERE {text_sql("ser.m['__name__']")} <> ''"""
    return int(con.execute(sql).fetchone()[0])


def load_batch(store: Any, batch: Batch, name: str) -> dict[str, int]:
    """Append a batch to `store` in one transaction; rows loaded per table.

    Data the loaders reject is a SourceError naming `name` (the store is left as it was).
    """
    from aiops.telemetry.formats import get_formats

    rows: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="aiops-live-") as tmp:
        work = []
        for table in ("logs", "spans", "events"):
            records = getattr(batch, table)
            if records:
                path = Path(tmp) / f"{table}.jsonl"
                write_jsonl(path, records)
                work.append((table, _function(_JSONL_LOADERS[table]), path, f"{name} {table}"))
        formats = {f.name: f for f in get_formats()}
        for file, fmt_name in batch.files:
            fmt = formats[fmt_name]
            work.append((fmt.table, fmt.load_function(), Path(file), file))
        try:
            with store.transaction() as con:
                if batch.metrics:
                    rows["metrics"] = load_matrix(con, batch.metrics, Path(tmp))
                for table, loader, path, label in work:
                    rows[table] = rows.get(table, 0) + int(loader(con, path, label).rows)
        except BundleError as exc:
            raise SourceError(f"unusable data: {exc.message}") from None
        except duckdb.Error as exc:
            raise SourceError(f"unusable data: {one_line(exc)[:200]}") from None
    return rows


def prune_to_window(store: Any, window: TimeWindow) -> dict[str, int]:
    """Drop rows outside the window (events: keep the hour before it); rows dropped per table."""
    params = {"start": window.start, "end": window.end, "lookback": window.start - EVENTS_LOOKBACK_S}
    dropped = {}
    with store.transaction() as con:
        for table, col, start in (("metrics", "ts", "$start"), ("logs", "ts", "$start"),
                                  ("spans", "start", "$start"), ("events", "ts", "$lookback")):
            sql = bind_named(f"DELETE FROM {table} WHERE {col} < {start} OR {col} > $end", params)
            dropped[table] = int(con.execute(sql).fetchone()[0])
    return dropped
