"""Trace spans: spans.csv / spans.jsonl (columns per the spec).

`start` is unix ns (any unix unit is accepted, by magnitude) or RFC 3339; the duration is
`duration_us`, else `duration_ms`, else `end` - `start`. A parent of '', 'root' or all zeros
marks a root span. Status is normalised to OK / ERROR / UNSET (OTLP codes and names
accepted); a span without a status whose http_status is >= 500 counts as ERROR.
"""

from __future__ import annotations

from pathlib import Path

from aiops.errors import BundleError
from aiops.telemetry.formats.sources import (
    Check, LoadResult, Source, StagedInsert, insert_staged, open_csv, open_jsonl, pick,
)
from aiops.telemetry.formats.sqlexpr import (
    epoch_ok_sql, epoch_sql, ident, number_ok_sql, number_sql, service_sql, text_sql,
)

TRACE_ID = ("trace_id", "traceId", "traceid")
SPAN_ID = ("span_id", "spanId", "spanid")
PARENT = ("parent_span_id", "parentSpanId", "parent_id", "parent")
SERVICE = ("service", "service_name", "service.name")
POD = ("pod", "pod_name")
OPERATION = ("operation", "operation_name", "name", "span_name")
START = ("start", "start_time", "startTime", "start_time_unix_nano", "startTimeUnixNano", "timestamp")
END = ("end", "end_time", "endTime", "end_time_unix_nano", "endTimeUnixNano")
DURATION_US = ("duration_us",)
DURATION_MS = ("duration_ms",)
STATUS = ("status", "status_code", "otel.status_code")
HTTP_STATUS = ("http_status", "http_status_code", "http.status_code", "http.response.status_code")

_STATUS_NAMES = {"ERROR": "ERROR", "STATUS_CODE_ERROR": "ERROR", "2": "ERROR", "ERR": "ERROR", "FAILED": "ERROR",
                 "TRUE": "ERROR", "OK": "OK", "STATUS_CODE_OK": "OK", "1": "OK", "UNSET": "UNSET",
                 "STATUS_CODE_UNSET": "UNSET", "0": "UNSET", "": "UNSET", "FALSE": "UNSET"}
# A map lookup, not CASE s WHEN ...: DuckDB repeats a CASE operand once per branch.
_STATUS_MAP = "MAP {" + ", ".join(f"'{k}': '{v}'" for k, v in _STATUS_NAMES.items()) + "}"


def status_sql(status: str | None, http_status: str) -> str:
    """Normalised status; UNSET with an http status >= 500 becomes ERROR."""
    if status is None:
        return f"CASE WHEN coalesce({http_status}, 0) >= 500 THEN 'ERROR' ELSE 'UNSET' END"
    raw = f"upper({text_sql(status)})"
    base = f"coalesce({_STATUS_MAP}[{raw}], {raw})"
    return f"CASE WHEN {base} = 'UNSET' AND coalesce({http_status}, 0) >= 500 THEN 'ERROR' ELSE {base} END"


def epoch_ns_sql(col: str) -> str:
    """Exact integer nanoseconds for integer unix times (any unit) and RFC 3339 text, so that
    end - start keeps sub-microsecond durations; fractional seconds go through a double."""
    x = f"CAST({col} AS VARCHAR)"
    i = f"try_cast({x} AS HUGEINT)"
    return (f"coalesce(CASE WHEN abs({i}) >= 1e17 THEN {i} WHEN abs({i}) >= 1e14 THEN {i} * 1000 "
            f"WHEN abs({i}) >= 1e11 THEN {i} * 1000000 ELSE {i} * 1000000000 END, "
            f"CAST(epoch_ns(try_cast(replace({x}, ',', '.') AS TIMESTAMPTZ)) AS HUGEINT), "
            f"CAST(round(aiops_epoch_text({x}) * 1e9) AS HUGEINT))")


def parent_sql(parent: str | None) -> str:
    p = text_sql(parent)
    return f"CASE WHEN {p} = '' OR lower({p}) = 'root' OR ltrim({p}, '0') = '' THEN '' ELSE {p} END"


def load_spans_csv(con, path: Path, name: str) -> LoadResult:
    return _load_table(con, open_csv(con, path, name))


def load_spans_jsonl(con, path: Path, name: str) -> LoadResult:
    return _load_table(con, open_jsonl(con, path, name))


def _load_table(con, src: Source) -> LoadResult:
    cols = src.columns

    def need(role: str, aliases: tuple[str, ...]) -> str:
        col = pick(cols, *aliases)
        if col is None:
            raise BundleError(f"{src.name}: missing required column {role!r} (columns: {', '.join(cols)})")
        return col

    trace_id, span_id = need("trace_id", TRACE_ID), need("span_id", SPAN_ID)
    operation, start = need("operation", OPERATION), need("start", START)
    service, pod = pick(cols, *SERVICE), pick(cols, *POD)
    if service is None and pod is None:
        raise BundleError(f"{src.name}: missing required column 'service' (or 'pod') (columns: {', '.join(cols)})")
    dur_us, dur_ms, end = pick(cols, *DURATION_US), pick(cols, *DURATION_MS), pick(cols, *END)
    if dur_us is None and dur_ms is None and end is None:
        raise BundleError(f"{src.name}: missing required column 'duration_us' (or 'end') (columns: {', '.join(cols)})")
    parent, status, http = pick(cols, *PARENT), pick(cols, *STATUS), pick(cols, *HTTP_STATUS)
    claimed = [c for c in (trace_id, span_id, parent, service, pod, operation, start,
                           dur_us, dur_ms, end, status, http) if c]
    extra = [c for c in cols if c not in claimed]
    start_s = epoch_sql(ident(start), cols[start])
    checks = [Check(start, epoch_ok_sql(ident(start), cols[start]))]
    if dur_us is not None:
        duration = number_sql(ident(dur_us), cols[dur_us])
        checks.append(Check(dur_us, number_ok_sql(ident(dur_us), cols[dur_us]), "not a number"))
    elif dur_ms is not None:
        duration = f"{number_sql(ident(dur_ms), cols[dur_ms])} * 1000.0"
        checks.append(Check(dur_ms, number_ok_sql(ident(dur_ms), cols[dur_ms]), "not a number"))
    else:
        duration = f"CAST({epoch_ns_sql(ident(end))} - {epoch_ns_sql(ident(start))} AS DOUBLE) / 1000.0"
        checks.append(Check(end, epoch_ok_sql(ident(end), cols[end])))
    http_sql = f"try_cast(try_cast(trim(CAST({ident(http)} AS VARCHAR)) AS DOUBLE) AS INTEGER)" if http else "NULL"
    plan = StagedInsert(
        table="spans",
        exprs={
            "trace_id": text_sql(ident(trace_id)),
            "span_id": text_sql(ident(span_id)),
            "parent_span_id": parent_sql(parent and ident(parent)),
            "service": service_sql(service and ident(service), pod and ident(pod)),
            "pod": text_sql(pod and ident(pod)),
            "operation": text_sql(ident(operation)),
            "start": start_s,
            "duration_us": duration,
            "status": status_sql(status and ident(status), http_sql),
            "http_status": http_sql,
            "attrs": src.attrs_sql(extra),
        },
        checks=checks,
        keep="start IS NOT NULL AND duration_us >= 0 AND span_id <> ''",
        dropped_reason="spans without a start, span_id or non-negative duration",
    )
    return insert_staged(con, src, plan, claimed)
