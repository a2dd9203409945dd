"""Fetched records into the store through the bundle formats' own loaders.

Sources hand over records shaped like the spec's files (logs.jsonl, spans.jsonl,
events.jsonl rows; Prometheus matrix series); they are written to a temporary file and
loaded by the same code that loads bundles, so a live diagnosis and a bundle diagnosis see
the same columns, service names, levels and unwrapped messages.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, Iterable

from aiops.domain import TimeWindow
from aiops.errors import BundleError, SourceError

EVENTS_LOOKBACK_S = 3600.0     # change events up to an hour before the window are evidence
_SPAN_COLUMNS = ("trace_id", "span_id", "parent_span_id", "service", "pod", "operation", "start",
                 "duration_us", "status", "http_status", "attrs")


def _loader(table: str):
    if table == "logs":
        from aiops.telemetry.formats.logs import load_logs_jsonl as f
    elif table == "spans":
        from aiops.telemetry.formats.spans import load_spans_jsonl as f
    elif table == "events":
        from aiops.telemetry.formats.events import load_events_jsonl as f
    else:
        raise ValueError(f"no JSONL loader for table {table!r}")
    return f


def load_records(store: Any, table: str, records: Iterable[dict[str, Any]], name: str) -> int:
    """Append spec-shaped records (logs/spans/events) to `store`; rows loaded.

    Every record should carry the same keys (the loader learns the columns from the first
    lines). A record the loader rejects is a SourceError naming `name`.
    """
    with tempfile.TemporaryDirectory(prefix="aiops-live-") as tmp:
        path = Path(tmp) / f"{table}.jsonl"
        n = 0
        with open(path, "w", encoding="utf-8") as fh:
            for rec in records:
                fh.write(json.dumps(rec, separators=(",", ":"), default=str))
                fh.write("\n")
                n += 1
        if n == 0:
            return 0
        return _run(store, _loader(table), path, name)


def load_matrix(store: Any, series: list[dict[str, Any]], name: str) -> int:
    """Append Prometheus matrix series ({"metric": {...,"__name__"}, "values": [[t, "v"]...]})."""
    if not series:
        return 0
    from aiops.telemetry.formats.metrics import load_metrics_prometheus_json

    doc = {"status": "success", "data": {"resultType": "matrix", "result": series}}
    with tempfile.TemporaryDirectory(prefix="aiops-live-") as tmp:
        path = Path(tmp) / "metrics.json"
        path.write_text(json.dumps(doc, separators=(",", ":")), encoding="utf-8")
        return _run(store, load_metrics_prometheus_json, path, name)


def load_span_columns(store: Any, cols: dict[str, list]) -> int:
    """Append spans given as columns (the shape `formats.otlp.parse_otlp` returns)."""
    rows = len(cols.get("span_id", []))
    if rows:
        select = ", ".join(f"unnest(${c}) AS {c}" for c in _SPAN_COLUMNS)
        with store.transaction() as con:
            con.execute(f"INSERT INTO spans ({', '.join(_SPAN_COLUMNS)}) SELECT {select}",
                        {c: cols[c] for c in _SPAN_COLUMNS})
    return rows


def _run(store: Any, loader, path: Path, name: str) -> int:
    try:
        with store.transaction() as con:
            return int(loader(con, path, name).rows)
    except BundleError as exc:
        raise SourceError(f"unusable data: {exc.message}") from None


def prune_to_window(store: Any, window: TimeWindow) -> dict[str, int]:
    """Drop rows outside the window (events: keep the hour before it); rows dropped per table."""
    params = {"start": window.start, "end": window.end}
    dropped = {}
    with store.transaction() as con:
        for table, col, start in (("metrics", "ts", "$start"), ("logs", "ts", "$start"),
                                  ("spans", "start", "$start"), ("events", "ts", f"$start - {EVENTS_LOOKBACK_S}")):
            n = con.execute(f"DELETE FROM {table} WHERE {col} < {start} OR {col} > $end", params).fetchone()[0]
            dropped[table] = int(n)
    return dropped
