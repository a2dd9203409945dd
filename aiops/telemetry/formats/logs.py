"""Log records: logs.csv, logs.jsonl (columns per the spec) and plain logs/<service>.log files.

The message of a JSON-encoded container log line (`{"log": ..., "stream": ..., "time": ...}`)
or a CRI line (`<time> stdout F <msg>`) is unwrapped. Levels are normalised (see sqlexpr)
and inferred from the message text when the record has none.
"""

from __future__ import annotations

import gzip
from pathlib import Path

from aiops.errors import BundleError
from aiops.telemetry.formats.sources import (
    Check, LoadResult, QuerySource, Source, StagedInsert, insert_staged, open_csv, open_jsonl, open_text, pick,
)
from aiops.telemetry.formats.sqlexpr import (
    epoch_ok_sql, epoch_sql, given_level_sql, ident, level_from_parts_sql, level_parts_sql, level_sql, literal,
    service_sql, text_sql, untrimmed_text_sql,
)
from aiops.telemetry.services import service_from_pod

TIMESTAMP = ("timestamp", "time", "ts", "@timestamp")
MESSAGE = ("message", "msg", "log", "body")
SERVICE = ("service", "service_name")
POD = ("pod", "pod_name")
LEVEL = ("level", "severity", "lvl", "severity_text")
TRACE_ID = ("trace_id", "traceid", "traceId")
SPAN_ID = ("span_id", "spanid", "spanId")

# A plain line starts with an RFC 3339 / 'YYYY-MM-DD HH:MM:SS[.fff]' time (optionally in
# brackets) or a unix time in s (10 digits, optional fraction), ms, us or ns.
_ISO = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|z|[+-]\d{2}:?\d{2})?"
_UNIX = r"\d{10}(?:\.\d+)?|\d{13}|\d{16}|\d{19}"
_PLAIN_TS = rf"^(?P<prefix>\[?(?P<ts>{_ISO}|{_UNIX})(?:\]|\b))"


def load_logs_csv(con, path: Path, name: str) -> LoadResult:
    return _load_table(con, open_csv(con, path, name))


def load_logs_jsonl(con, path: Path, name: str) -> LoadResult:
    return _load_table(con, open_jsonl(con, path, name))


def _load_table(con, src: Source) -> LoadResult:
    cols = src.columns
    ts, message = pick(cols, *TIMESTAMP), pick(cols, *MESSAGE)
    service, pod = pick(cols, *SERVICE), pick(cols, *POD)
    if ts is None:
        raise BundleError(f"{src.name}: missing required column 'timestamp' (columns: {', '.join(cols)})")
    if message is None:
        raise BundleError(f"{src.name}: missing required column 'message' (columns: {', '.join(cols)})")
    if service is None and pod is None:
        raise BundleError(f"{src.name}: missing required column 'service' (or 'pod') (columns: {', '.join(cols)})")
    level, trace_id, span_id = pick(cols, *LEVEL), pick(cols, *TRACE_ID), pick(cols, *SPAN_ID)
    claimed = [c for c in (ts, message, service, pod, level, trace_id, span_id) if c]
    extra = [c for c in cols if c not in claimed]
    msg = "__message"   # unwrapped once, then searched for level hints where no level is given
    hints = level_parts_sql(msg)
    if level is not None:
        hints = f"CASE WHEN {given_level_sql(ident(level))} = '' THEN {hints} END"
    plan = StagedInsert(
        table="logs",
        exprs={
            "ts": epoch_sql(ident(ts), cols[ts]),
            "service": service_sql(service and ident(service), pod and ident(pod)),
            "pod": text_sql(pod and ident(pod)),
            "level": level_sql(level and ident(level), "__level_parts"),
            "message": msg,
            "trace_id": text_sql(trace_id and ident(trace_id)),
            "span_id": text_sql(span_id and ident(span_id)),
            "attrs": src.attrs_sql(extra),
        },
        checks=[Check(ts, epoch_ok_sql(ident(ts), cols[ts]))],
        keep="ts IS NOT NULL",
        pre={msg: f"aiops_unwrap_log({untrimmed_text_sql(ident(message))})", "__level_parts": hints},
    )
    return insert_staged(con, src, plan, claimed)


def load_plain_log(con, path: Path, name: str) -> LoadResult:
    """One record a line, timestamp first; lines without one continue the record above
    (stack traces). The service (or pod) is the file name without .log/.log.gz."""
    try:
        with open_text(path) as fh:
            text = fh.read()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise BundleError(f"{name}: cannot read: {exc}") from None
    if not text:
        raise BundleError(f"{name}: empty file (0 bytes)")
    stem = path.name.removesuffix(".gz").removesuffix(".log")
    service = service_from_pod(stem)
    pod = stem if service != stem else ""
    # One regex pass splits each line into its time prefix and the rest (lines table). Lines
    # without a time continue the record above; only when there are any is the (sorting)
    # window and ordered GROUP BY that joins them needed, and only for those records.
    lines = f"""
        WITH raw AS (SELECT generate_subscripts(l, 1) AS n, rtrim(unnest(l), chr(13)) AS line
                     FROM (SELECT string_split($text, chr(10)) AS l)),
        parts AS (SELECT n, line, regexp_extract(line, {literal(_PLAIN_TS)}, ['prefix', 'ts']) AS p
                  FROM raw WHERE trim(line) <> '')
        SELECT n, nullif(replace(p.ts, ',', '.'), '') AS ts_text,
               CASE WHEN p.prefix = '' THEN line
                    ELSE ltrim(substr(line, length(p.prefix) + 1), ' ]|-:' || chr(9)) END AS body
        FROM parts"""
    query = "SELECT n, ts_text, body AS message FROM _aiops_lines"
    multi_line = """
        WITH marked AS (SELECT *, count(ts_text) OVER (ORDER BY n ROWS UNBOUNDED PRECEDING) AS rec
                        FROM _aiops_lines),
        multi AS (SELECT DISTINCT rec FROM marked WHERE ts_text IS NULL)
        SELECT n, ts_text, body AS message FROM marked WHERE rec NOT IN (SELECT rec FROM multi)
        UNION ALL
        SELECT min(n), first(ts_text ORDER BY n), string_agg(body, chr(10) ORDER BY n)
        FROM marked WHERE rec IN (SELECT rec FROM multi) GROUP BY rec"""
    src = QuerySource(name=name, path=path, columns={}, query=query)
    plan = StagedInsert(
        table="logs",
        exprs={
            "ts": "aiops_epoch_text(ts_text)",
            "service": literal(service),
            "pod": literal(pod),
            "level": level_from_parts_sql("__level_parts"),
            "message": "message",
            "trace_id": "''",
            "span_id": "''",
            "attrs": "'{}'",
        },
        checks=[Check("ts_text", epoch_ok_sql("ts_text"), "unknown timestamp format at the start of the line")],
        keep="ts IS NOT NULL",
        line_column="n",
        dropped_reason="lines before the first timestamped line",
        pre={"__level_parts": level_parts_sql("message")},
    )
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _aiops_lines AS {lines}", {"text": text})
        if con.execute("SELECT count(*) FROM _aiops_lines WHERE ts_text IS NULL").fetchone()[0]:
            src.query = multi_line
        result = insert_staged(con, src, plan, [])
    finally:
        con.execute("DROP TABLE IF EXISTS _aiops_lines")
    if result.rows == 0 and text.strip():
        no, first = next((i, line) for i, line in enumerate(text.splitlines(), 1) if line.strip())
        raise BundleError(f"{name} line {no}: unknown timestamp format: no timestamp at the start of "
                          f"{first[:80]!r} (expected RFC 3339, 'YYYY-MM-DD HH:MM:SS' or unix time)")
    return result
