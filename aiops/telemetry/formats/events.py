"""Change and cluster events: events.jsonl (timestamp, kind, service, message, anything else).

`kind` is lower-cased ('event' when the record has none); the service is the service field,
else derived from `pod`; every other field is kept in `attrs`.
"""

from __future__ import annotations

from pathlib import Path

from aiops.errors import BundleError
from aiops.telemetry.formats.sources import (
    Check, LoadResult, StagedInsert, insert_staged, open_jsonl, pick,
)
from aiops.telemetry.formats.sqlexpr import epoch_ok_sql, epoch_sql, ident, service_sql, text_sql

TIMESTAMP = ("timestamp", "time", "ts", "@timestamp")
KIND = ("kind", "event_kind", "event_type")
SERVICE = ("service", "service_name")
POD = ("pod", "pod_name")
MESSAGE = ("message", "msg", "description", "reason")


def load_events_jsonl(con, path: Path, name: str) -> LoadResult:
    src = open_jsonl(con, path, name)
    cols = src.columns
    ts = pick(cols, *TIMESTAMP)
    if ts is None and cols:
        raise BundleError(f"{name}: missing required field 'timestamp' (fields: {', '.join(cols)})")
    if ts is None:
        return LoadResult(rows=0)
    kind, service, pod, message = pick(cols, *KIND), pick(cols, *SERVICE), pick(cols, *POD), pick(cols, *MESSAGE)
    claimed = [c for c in (ts, kind, service, message) if c]
    extra = [c for c in cols if c not in claimed]   # pod stays an attribute: events have no pod column
    kind_sql = f"coalesce(nullif(lower({text_sql(ident(kind))}), ''), 'event')" if kind else "'event'"
    plan = StagedInsert(
        table="events",
        exprs={
            "ts": epoch_sql(ident(ts), cols[ts]),
            "kind": kind_sql,
            "service": service_sql(service and ident(service), pod and ident(pod)),
            "message": text_sql(message and ident(message)),
            "attrs": src.attrs_sql(extra),
        },
        checks=[Check(ts, epoch_ok_sql(ident(ts), cols[ts]))],
        keep="ts IS NOT NULL",
    )
    return insert_staged(con, src, plan, claimed + ([pod] if pod else []))
