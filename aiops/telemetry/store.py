"""TelemetryStore: the DuckDB database of one incident's telemetry, and its query API.

In memory by default, or a file. Every query is vectorised SQL; results come back as numpy
arrays (`fetchnumpy`) or small grids (see `aiops.telemetry.grids`). All times are float
unix seconds. Ranges are half-open: start <= ts < end. A lock serialises access, so a
store may be shared with a worker thread.

The last span table and the last log records read are kept: the scans and the drill-downs of
one run ask for the same window several times (the trace scan and `traces.paths` read the
same 60k spans in the same round). Each caller gets its own copies of the arrays, as from a
fresh query; any write (a transaction, `clear`, the raw connection) forgets them.
"""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

import duckdb
import numpy as np

from aiops.sqlbind import bind_named

from aiops.telemetry.formats.sqlexpr import install_macros
from aiops.telemetry.grids import (
    LogCountGrid, MetricGrid, SeriesKey, bucket_count, grid_from_rows,
)
from aiops.telemetry.schema import TABLES

COUNTER_NAME = r"(_total|_count|_sum|_bucket)$"
LOG_COLUMNS = ("ts", "service", "pod", "level", "message", "trace_id", "span_id")
SPAN_COLUMNS = ("trace_id", "span_id", "parent_span_id", "service", "pod", "operation", "start",
                "duration_us", "status", "http_status", "attrs")
_GROUPABLE = ("service", "pod", "level")
_TIME_COL = {"metrics": "ts", "logs": "ts", "spans": "start", "events": "ts"}


def _bound(query: str, params: dict[str, Any] | Sequence[Any] | None) -> str:
    """Values inlined as literals: DuckDB would import pandas (~1 s) for a parameterised query."""
    if params is None or isinstance(params, dict):
        return bind_named(query, params)
    raise TypeError("store queries take named parameters ($name)")


def _names(value: str | Sequence[str] | None) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


class TelemetryStore:
    """Metrics, logs, spans and events of one incident (schema: aiops.telemetry.schema)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else None
        self._con = duckdb.connect(str(self.path) if self.path else ":memory:")
        self._lock = threading.RLock()
        self._kept: dict[str, tuple[tuple, dict[str, np.ndarray]]] = {}
        self._con.execute("SET TimeZone = 'UTC'")
        for ddl in TABLES.values():
            self._con.execute(ddl)
        install_macros(self._con)

    # -- plumbing ---------------------------------------------------------------------
    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The raw connection, for loaders in aiops.telemetry (hold `lock` while using it)."""
        self._kept.clear()           # whoever takes it may write
        return self._con

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All or nothing: commit on success, roll back on any exception."""
        with self._lock:
            self._kept.clear()
            self._con.execute("BEGIN TRANSACTION")
            try:
                yield self._con
            except BaseException:
                self._con.execute("ROLLBACK")
                raise
            self._con.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._con.close()

    def __enter__(self) -> "TelemetryStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def sql(self, query: str, params: dict[str, Any] | Sequence[Any] | None = None) -> dict[str, np.ndarray]:
        """Run a read query; columns as numpy arrays (masked where NULLs occur)."""
        with self._lock:
            return self._con.execute(_bound(query, params)).fetchnumpy()

    def _kept_table(self, kind: str, key: tuple, query: str, params: dict[str, Any]) -> dict[str, np.ndarray]:
        """`sql(query, params)`, or copies of the arrays the same (kind, key) read last."""
        with self._lock:
            kept = self._kept.get(kind)
            if kept is None or kept[0] != key:
                kept = (key, self.sql(query, params))
                self._kept[kind] = kept
            return {name: column.copy() for name, column in kept[1].items()}

    def _rows(self, query: str, params: dict[str, Any] | None = None) -> list[tuple]:
        with self._lock:
            return self._con.execute(_bound(query, params)).fetchall()

    def clear(self) -> None:
        """Empty every table (a live re-run reads its sources again)."""
        with self.transaction() as con:
            for table in TABLES:
                con.execute(f"DELETE FROM {table}")

    # -- overview ---------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        return {t: self._rows(f"SELECT count(*) FROM {t}")[0][0] for t in TABLES}

    def time_range(self) -> tuple[float, float] | None:
        """Earliest and latest time in any table (span ends included), or None if empty."""
        (lo, hi), = self._rows("""
            SELECT min(lo), max(hi) FROM (
                SELECT min(ts) lo, max(ts) hi FROM metrics UNION ALL
                SELECT min(ts), max(ts) FROM logs UNION ALL
                SELECT min(start), max(start + duration_us / 1e6) FROM spans UNION ALL
                SELECT min(ts), max(ts) FROM events)""")
        return None if lo is None else (float(lo), float(hi))

    def services(self) -> list[str]:
        """Every non-empty service name in any table, sorted."""
        rows = self._rows("""
            SELECT service FROM metrics UNION SELECT service FROM logs UNION
            SELECT service FROM spans UNION SELECT service FROM events""")
        return sorted(r[0] for r in rows if r[0])

    def services_by_table(self) -> dict[str, list[str]]:
        return {t: [r[0] for r in self._rows(f"SELECT DISTINCT service FROM {t} WHERE service <> '' ORDER BY 1")]
                for t in TABLES}

    def metric_span(self, start: float, end: float) -> tuple[float, float, float] | None:
        """(first, last sample time, median sampling interval) of the metrics in [start, end), or
        None without samples; the interval is 60 s when no series has two samples."""
        (lo, hi, step), = self._rows("""
            WITH d AS (SELECT ts, ts - lag(ts) OVER (PARTITION BY metric, service, pod, labels ORDER BY ts) AS dt
                       FROM metrics WHERE ts >= $start AND ts < $end)
            SELECT min(ts), max(ts), median(dt) FILTER (WHERE dt > 0) FROM d""", {"start": float(start), "end": float(end)})
        if lo is None:
            return None
        return float(lo), float(hi), float(step) if step is not None and step > 0 else 60.0

    def metric_names(self) -> list[str]:
        return [r[0] for r in self._rows("SELECT DISTINCT metric FROM metrics ORDER BY 1")]

    # -- metrics ----------------------------------------------------------------------
    def metric_grid(self, start: float, end: float, step: float,
                    metrics: str | Sequence[str] | None = None,
                    services: str | Sequence[str] | None = None,
                    counter_rates: bool = False) -> MetricGrid:
        """Bucketed means of every series on [start, end) in buckets of `step` seconds.

        With counter_rates, counters become per-second rates before bucketing: series
        named *_total/*_count/*_sum/*_bucket, and series that never decrease and rise at
        least once, integer-valued or rising at nine steps in ten (a cumulative time in
        seconds). A drop in a named counter is a reset (the increase is the new value), as in
        Prometheus' rate() — but a series so named that falls more often than resets happen
        (in more than 10 % of its steps, and more than twice) is a per-period total exported
        under a counter's name, and stays a gauge.
        Whether a metric is a counter is decided for the metric, by the majority of its
        samples: a new pod's counter that starts at a fractional value is one as its older
        siblings are, and one pod's gauge that only rose (a leak) stays a gauge as its
        siblings' are.
        """
        n_buckets = bucket_count(start, end, step)
        params: dict[str, Any] = {"start": float(start), "end": float(end), "step": float(step)}
        where = ""
        if (names := _names(metrics)) is not None:
            where += " AND list_contains($metrics, metric)"
            params["metrics"] = names
        if (svcs := _names(services)) is not None:
            where += " AND list_contains($services, service)"
            params["services"] = svcs
        bucket = "CAST(floor((ts - $start) / $step) AS BIGINT)"
        key = "metric, service, pod, labels"
        if not counter_rates:
            query = f"""
                SELECT {key}, {bucket} AS b, avg(value) AS v, false AS is_rate
                FROM metrics WHERE ts >= $start AND ts < $end {where}
                GROUP BY ALL"""
        else:
            query = f"""
                WITH d AS (
                    SELECT {key}, ts, value, value - lag(value) OVER w AS dv, ts - lag(ts) OVER w AS dt
                    FROM metrics WHERE ts < $end AND value IS NOT NULL {where}
                    WINDOW w AS (PARTITION BY {key} ORDER BY ts)),
                c AS (
                    SELECT *, (regexp_matches(metric, '{COUNTER_NAME}')
                               AND count(dv) FILTER (WHERE dv < 0) OVER p <= greatest(2, 0.1 * count(dv) OVER p)) OR (
                        count(dv) OVER p >= 2 AND min(dv) OVER p >= 0 AND max(dv) OVER p > 0
                        AND (bool_and(value = floor(value)) OVER p
                             OR (count(dv) OVER p >= 4
                                 AND count(dv) FILTER (WHERE dv > 0) OVER p >= 0.9 * count(dv) OVER p))
                        ) AS counter_like
                    FROM d WINDOW p AS (PARTITION BY {key})),
                r AS (
                    SELECT *, avg(CASE WHEN counter_like THEN 1.0 ELSE 0.0 END) OVER (PARTITION BY metric) > 0.5
                              AS is_rate
                    FROM c)
                SELECT {key}, {bucket} AS b,
                       avg(CASE WHEN NOT is_rate THEN value
                                WHEN dt > 0 THEN (CASE WHEN dv < 0 THEN value ELSE dv END) / dt END) AS v,
                       bool_or(is_rate) AS is_rate
                FROM r WHERE ts >= $start
                GROUP BY ALL"""
        keys, cells = self._grid_cells(query, params, key)
        values = np.full((len(keys), n_buckets), np.nan)
        is_rate = np.zeros(len(keys), dtype=bool)
        if len(keys):
            sid = np.asarray(cells["sid"], dtype=np.int64)
            b = np.clip(np.asarray(cells["b"], dtype=np.int64), 0, n_buckets - 1)
            values[sid, b] = np.ma.filled(np.ma.asarray(cells["v"]).astype(np.float64), np.nan)
            is_rate[sid] = np.ma.filled(np.ma.asarray(cells["is_rate"]), False).astype(bool)
        return MetricGrid(
            timestamps=float(start) + step * np.arange(n_buckets, dtype=np.float64),
            keys=[SeriesKey.from_row(*k) for k in keys],
            values=values, is_rate=is_rate, step=float(step))

    def _grid_cells(self, query: str, params: dict[str, Any], key: str) -> tuple[list[tuple], dict[str, np.ndarray]]:
        """The series keys of an aggregation (sorted) and its cells as numbers (series index,
        bucket, value, is_rate): each key's text is fetched once, not once per bucket (10^5
        series x 180 buckets of repeated strings cost gigabytes)."""
        with self._lock:
            try:
                self._con.execute(f"CREATE OR REPLACE TEMP TABLE _aiops_grid AS {_bound(query, params)}")
                self._con.execute(f"CREATE OR REPLACE TEMP TABLE _aiops_grid_keys AS SELECT {key}, "
                                  f"row_number() OVER (ORDER BY {key}) - 1 AS sid "
                                  f"FROM (SELECT DISTINCT {key} FROM _aiops_grid)")
                keys = self._con.execute(f"SELECT {key} FROM _aiops_grid_keys ORDER BY sid").fetchall()
                cells = self._con.execute(
                    "SELECT k.sid, g.b, g.v, g.is_rate FROM _aiops_grid g "
                    "JOIN _aiops_grid_keys k USING (metric, service, pod, labels)").fetchnumpy()
            finally:
                self._con.execute("DROP TABLE IF EXISTS _aiops_grid")
                self._con.execute("DROP TABLE IF EXISTS _aiops_grid_keys")
        return keys, cells

    # -- logs -------------------------------------------------------------------------
    def _window(self, col: str, start: float | None, end: float | None,
                params: dict[str, Any]) -> str:
        where = ""
        if start is not None:
            where += f" AND {col} >= $start"
            params["start"] = float(start)
        if end is not None:
            where += f" AND {col} < $end"
            params["end"] = float(end)
        return where

    def log_records(self, start: float | None = None, end: float | None = None,
                    service: str | Sequence[str] | None = None,
                    limit: int | None = None, levels: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        """Log records ordered by time: ts, service, pod, level, message, trace_id, span_id."""
        params: dict[str, Any] = {}
        where = self._window("ts", start, end, params)
        if (svcs := _names(service)) is not None:
            where += " AND list_contains($services, service)"
            params["services"] = svcs
        if levels is not None:
            where += " AND list_contains($levels, level)"
            params["levels"] = list(levels)
        lim = f" LIMIT {int(limit)}" if limit is not None else ""
        query = f"SELECT {', '.join(LOG_COLUMNS)} FROM logs WHERE true {where} ORDER BY ts, service, pod{lim}"
        return self._kept_table("logs", (query, tuple(sorted(params.items(), key=str))), query, params)

    def log_count_grid(self, start: float, end: float, step: float,
                       by: Sequence[str] = ("service", "level")) -> LogCountGrid:
        """Log records per bucket for each combination of the `by` columns."""
        by = tuple(by)
        if not by or any(c not in _GROUPABLE for c in by):
            raise ValueError(f"by must be a non-empty subset of {_GROUPABLE}, got {by!r}")
        n_buckets = bucket_count(start, end, step)
        cols = ", ".join(by)
        rows = self.sql(
            f"""SELECT {cols}, CAST(floor((ts - $start) / $step) AS BIGINT) AS b, count(*) AS n
                FROM logs WHERE ts >= $start AND ts < $end GROUP BY ALL ORDER BY {cols}, b""",
            {"start": float(start), "end": float(end), "step": float(step)})
        keys, counts, _ = grid_from_rows(rows, by, n_buckets, "n", 0)
        return LogCountGrid(timestamps=float(start) + step * np.arange(n_buckets, dtype=np.float64),
                            by=by, keys=keys, counts=counts.astype(np.int64), step=float(step))

    # -- spans and events -------------------------------------------------------------
    def span_table(self, start: float | None = None, end: float | None = None,
                   service: str | Sequence[str] | None = None) -> dict[str, np.ndarray]:
        """Spans starting in [start, end), ordered by start; every span column.

        http_status is float64 with NaN where unknown."""
        params: dict[str, Any] = {}
        where = self._window("start", start, end, params)
        if (svcs := _names(service)) is not None:
            where += " AND list_contains($services, service)"
            params["services"] = svcs
        cols = ", ".join(c if c != "http_status" else "CAST(http_status AS DOUBLE) AS http_status"
                         for c in SPAN_COLUMNS)
        query = f"SELECT {cols} FROM spans WHERE true {where} ORDER BY start, trace_id, span_id"
        out = self._kept_table("spans", (query, tuple(sorted(params.items(), key=str))), query, params)
        out["http_status"] = np.ma.filled(np.ma.asarray(out["http_status"]).astype(np.float64), np.nan)
        return out

    def events(self, start: float | None = None, end: float | None = None) -> list[dict[str, Any]]:
        """Events ordered by time, as dicts (ts, kind, service, message, attrs: dict)."""
        params: dict[str, Any] = {}
        where = self._window("ts", start, end, params)
        rows = self._rows(f"SELECT ts, kind, service, message, attrs FROM events WHERE true {where} "
                          "ORDER BY ts, kind, service", params)
        return [{"ts": ts, "kind": kind, "service": svc, "message": msg, "attrs": json.loads(attrs or "{}")}
                for ts, kind, svc, msg, attrs in rows]
