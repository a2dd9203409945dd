"""A TelemetryStore (filled from live sources) written out as a spec-format incident bundle.

    incident.toml   title, started_at, [window], [alert], and [snapshot]: when, sources, missing evidence
    alert.json      the alert, as an Alertmanager webhook payload (when there was one)
    metrics.csv     long format: timestamp, metric, value, service, pod, one column per label
                    (metrics.json, a Prometheus matrix, when a label is named like a column)
    logs.jsonl      timestamp (RFC 3339), service, pod, level, message, trace_id, span_id, attributes
    spans.jsonl     trace_id, span_id, parent_span_id, service, pod, operation, start (unix ns), ...
    events.jsonl    timestamp, kind, service, message, attributes
    SNAPSHOT.md     the same provenance for people (ignored by the loader)

Everything is written into a temporary directory beside the target, which is then renamed
into place: an interrupted snapshot leaves nothing half-written.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from aiops.domain import Incident
from aiops.errors import BadInputError, WriteError, disk_refused, one_line, os_reason
from aiops.sqlbind import sql_literal
from aiops.telemetry.alerts import Alert, webhook_payload
from aiops.timeutil import to_rfc3339

_RFC3339 = "strftime(make_timestamp(CAST(round({col} * 1e6) AS BIGINT)), '%Y-%m-%dT%H:%M:%S.%fZ')"
_TABLES = {
    "metrics": ("metrics.csv", "labels", ["ts AS timestamp", "metric", "value", "service", "pod"], "metric, service, pod, labels, ts"),
    "logs": ("logs.jsonl", "attrs", [_RFC3339.format(col="ts") + " AS timestamp", "service", "pod", "level", "message",
                                      "trace_id", "span_id"], "ts, service, pod"),
    "spans": ("spans.jsonl", "attrs", ["trace_id", "span_id", "parent_span_id", "service", "pod", "operation",
                                        "CAST(round(start * 1e9) AS BIGINT) AS start", "duration_us", "status",
                                        "http_status"], "start, trace_id, span_id"),
    "events": ("events.jsonl", "attrs", [_RFC3339.format(col="ts") + " AS timestamp", "kind", "service", "message"],
               "ts, kind, service"),
}


def check_out_dir(out: Path, force: bool) -> None:
    """BadInputError unless `out` can be (re)placed: absent, empty, or --force."""
    if out.exists() and not out.is_dir():
        raise BadInputError(f"--out {out}: exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise BadInputError(f"--out {out}: directory is not empty (use --force to replace it)")
    if not out.parent.is_dir():
        raise BadInputError(f"--out {out}: directory {out.parent} does not exist")


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return json.dumps(str(v), ensure_ascii=False)


def _toml_key(k: str) -> str:
    return k if k.replace("_", "").replace("-", "").isalnum() else json.dumps(k)


def incident_toml(incident: Incident, provenance: dict[str, Any]) -> str:
    lines = [f"title = {_toml_value(incident.title)}"]
    if incident.started_at is not None:
        lines.append(f"started_at = {_toml_value(to_rfc3339(incident.started_at))}")
    if incident.symptom:
        lines.append(f"symptom = {_toml_value(incident.symptom)}")
    lines += ["", "[window]", f"start = {_toml_value(to_rfc3339(incident.window.start))}",
              f"end = {_toml_value(to_rfc3339(incident.window.end))}"]
    if incident.alert:
        lines += ["", "[alert]"] + [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in sorted(incident.alert.items())]
    lines += ["", "[snapshot]"] + [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in provenance.items()]
    return "\n".join(lines) + "\n"


def _columns(con: Any, table: str, json_col: str, fixed: list[str]) -> list[str]:
    """The fixed columns plus one per key of the JSON column (keys clashing with a column get a prefix)."""
    taken = {c.split(" AS ")[-1] for c in fixed}
    keys = [r[0] for r in con.execute(
        f"SELECT DISTINCT unnest(json_keys({json_col})) AS k FROM {table} ORDER BY k").fetchall()]
    out = list(fixed)
    for k in keys:
        name = k if k not in taken else f"{json_col}_{k}"
        taken.add(name)
        path = sql_literal("$." + json.dumps(k))
        out.append(f"json_extract_string({json_col}, {path}) AS \"{name.replace(chr(34), chr(34) * 2)}\"")
    return out


def _label_keys(con: Any) -> set[str]:
    return {r[0] for r in con.execute("SELECT DISTINCT unnest(json_keys(labels)) FROM metrics").fetchall()}


def _write_metrics_json(con: Any, path: Path) -> None:
    """The metrics as a Prometheus range-query answer: labels of any name survive."""
    series: dict[tuple, dict[str, Any]] = {}
    rows = con.execute("SELECT metric, service, pod, labels, ts, value FROM metrics ORDER BY metric, service, pod, "
                       "labels, ts").fetchall()
    for metric, service, pod, labels, ts, value in rows:
        key = (metric, service, pod, labels)
        if key not in series:
            meta = {**json.loads(labels or "{}"), "__name__": metric, "service": service}
            if pod:
                meta["pod"] = pod
            series[key] = {"metric": meta, "values": []}
        series[key]["values"].append([ts, "NaN" if value is None else repr(float(value))])
    doc = {"status": "success", "data": {"resultType": "matrix", "result": list(series.values())}}
    path.write_text(json.dumps(doc, separators=(",", ":")), encoding="utf-8")


def _write_tables(store: Any, tmp: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    with store.lock:
        con = store.connection
        for table, (file, json_col, fixed, order) in _TABLES.items():
            n = int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
            if n == 0:
                continue
            if table == "metrics" and _label_keys(con) & {"timestamp", "metric", "value", "service", "pod"}:
                _write_metrics_json(con, tmp / "metrics.json")
                counts[table] = n
                continue
            select = ", ".join(_columns(con, table, json_col, fixed))
            fmt = "(HEADER, DELIMITER ',')" if file.endswith(".csv") else "(FORMAT JSON)"
            target = sql_literal(str(tmp / file))
            con.execute(f"COPY (SELECT {select} FROM {table} ORDER BY {order}) TO {target} {fmt}")
            counts[table] = n
    return counts


def snapshot_markdown(incident: Incident, counts: dict[str, int], provenance: dict[str, Any]) -> str:
    rows = "\n".join(f"| {t} | {n} |" for t, n in counts.items()) or "| (none) | 0 |"
    missing = "\n".join(f"- {m}" for m in provenance.get("missing", [])) or "- nothing"
    sources = "\n".join(f"- {s}" for s in provenance.get("notes", [])) or "- none"
    return (f"# {incident.title}\n\nSnapshot taken {provenance.get('taken_at', '')} by aiops from live sources, "
            f"window {to_rfc3339(incident.window.start)} .. {to_rfc3339(incident.window.end)}.\n\n"
            f"| table | rows |\n|---|---|\n{rows}\n\n## Sources\n\n{sources}\n\n## Missing evidence\n\n{missing}\n\n"
            f"Replay it with `aiops diagnose --bundle <this directory>`.\n")


def write_bundle(store: Any, incident: Incident, out: Path, force: bool = False, alert: Alert | None = None,
                 missing: list[str] | None = None, notes: list[str] | None = None) -> dict[str, int]:
    """Write the bundle atomically into `out`; rows written per table."""
    out = Path(out).expanduser()
    check_out_dir(out, force)
    if out.is_symlink():                # a link to the snapshot directory stays a link
        out = out.resolve()
    provenance = {"taken_at": to_rfc3339(round(time.time())), "sources": list(incident.extra.get("live", {}).get("sources", [])),
                  "missing": list(missing or []), "notes": list(notes or [])}
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        counts = _write_tables(store, tmp)
        (tmp / "incident.toml").write_text(incident_toml(incident, provenance), encoding="utf-8")
        if alert is not None:
            (tmp / "alert.json").write_text(json.dumps(webhook_payload(alert), indent=2) + "\n", encoding="utf-8")
        (tmp / "SNAPSHOT.md").write_text(snapshot_markdown(incident, counts, provenance), encoding="utf-8")
        _publish(tmp, out)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError) or disk_refused(exc):
            reason = os_reason(exc) if isinstance(exc, OSError) else one_line(exc)
            raise WriteError(f"--out {out}: cannot write the snapshot: {reason}") from None
        raise
    return counts


def _publish(tmp: Path, out: Path) -> None:
    """Rename the finished directory into place (replacing an old `out` only when asked to)."""
    from aiops.writing import publish_directory

    publish_directory(tmp, out)
