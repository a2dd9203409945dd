"""Writing a simulated incident as an incident bundle (see the incident-bundle spec).

Formats vary the way real exports do (chosen by the caller in `ExportOptions`): metrics
timestamps in unix seconds or RFC 3339, metrics with or without a `service` column, logs as
CSV, JSON lines or per-service files, JSON-wrapped container lines, spans as CSV or JSON
lines with `duration_us` or `end`. Everything is written to a temporary directory first
and renamed into place, so a failed run leaves nothing half-written. Output bytes are a
function of the input only (gzip without timestamps), so a seed reproduces a bundle.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aiops.errors import BadInputError
from aiops.simulator.log_templates import stamp
from aiops.simulator.logs import LogRecord
from aiops.simulator.metrics import Series
from aiops.simulator.traces import Span
from aiops.timeutil import to_rfc3339


@dataclass(frozen=True)
class ExportOptions:
    metrics: bool = True
    logs: bool = True
    spans: bool = True
    events: bool = True
    metrics_time: str = "unix"          # unix | rfc3339
    metrics_service: bool = True        # False: only `pod` identifies the series
    missing_rate: float = 0.01          # share of metric samples dropped
    nan_marker: str = ""                # how a missing value is written: "" or "NaN"
    logs_format: str = "csv"            # csv | jsonl | files
    logs_time: str = "rfc3339"          # rfc3339 | unix_ns | unix_s
    logs_service: bool = True
    logs_level: bool = True
    spans_format: str = "csv"           # csv | jsonl
    spans_end: bool = False             # `end` (unix ns) instead of `duration_us`
    compress: bool = False


def prepare_out_dir(out: Path, force: bool) -> None:
    """Refuse to overwrite a non-empty directory unless forced (checked before any work)."""
    if out.exists() and not out.is_dir():
        raise BadInputError(f"--out {out}: exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise BadInputError(f"--out {out}: directory is not empty (use --force to replace it)")


def write_atomically(out: Path, force: bool, fill) -> Path:
    """Call fill(tmp_dir) on a fresh sibling temp dir, then move it to `out` in one rename."""
    prepare_out_dir(out, force)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        fill(tmp)
        os.chmod(tmp, 0o755)
        trash = None
        if out.exists():
            trash = out.parent / f".{out.name}.old-{os.getpid()}"
            os.rename(out, trash)
        os.rename(tmp, out)
        if trash is not None:
            shutil.rmtree(trash, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def write_corpus(out_dir: Path | str, cases: int, force: bool, plan, write_case, progress=None) -> list[Path]:
    """`cases` bundles under out_dir/case-NNN plus an index.jsonl, all or nothing: `plan()`
    gives one row per case (called once the arguments are checked), `write_case(row, dir)`
    writes a case and returns its index record (after the case name)."""
    if cases < 1:
        raise BadInputError(f"--cases {cases}: need at least 1")
    out = Path(out_dir)
    prepare_out_dir(out, force)
    rows = plan()

    def fill(tmp: Path) -> None:
        index = []
        for i, row in enumerate(rows):
            name = f"case-{i + 1:03d}"
            index.append({"case": name, **write_case(row, tmp / name)})
            if progress:
                progress(i + 1, cases, name)
        (tmp / "index.jsonl").write_text("".join(json.dumps(r) + "\n" for r in index), encoding="utf-8")

    write_atomically(out, force, fill)
    return [out / f"case-{i + 1:03d}" for i in range(cases)]


def write_file(path: Path, text: str, compress: bool) -> None:
    data = text.encode("utf-8")
    if compress:
        with open(str(path) + ".gz", "wb") as fh:
            with gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0, compresslevel=6) as gz:
                gz.write(data)
    else:
        path.write_bytes(data)


def _csv_text(header: list[str], rows) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def write_metrics(path: Path, series: list[Series], namespace: str, opts: ExportOptions,
                  rng: np.random.Generator, instance: bool = True) -> None:
    header = ["timestamp", "metric", "value"] + (["service"] if opts.metrics_service else []) + [
        "pod", "namespace"] + (["instance"] if instance else [])
    lines = [",".join(header)]
    nan = opts.nan_marker
    for s in series:
        keep = rng.random(s.ts.size) >= opts.missing_rate
        vals = np.where(rng.random(s.ts.size) < 0.002, np.nan, s.values)[keep].tolist()
        ts_list = s.ts[keep].tolist()
        labels = ",".join(([s.service] if opts.metrics_service else []) + [s.pod, namespace]
                          + ([s.instance] if instance else []))
        head, tail = f",{s.metric},", f",{labels}"
        if opts.metrics_time == "unix":
            stamps = [f"{t:.3f}" for t in ts_list]
        else:
            stamps = [to_rfc3339(round(t, 3)) for t in ts_list]
        big = 1e5 if s.counter else float("inf")
        for t, v in zip(stamps, vals):
            val = nan if not math.isfinite(v) else ("%.0f" % v if v >= big else "%.6g" % v)
            lines.append(t + head + val + tail)
    write_file(path, "\n".join(lines) + "\n", opts.compress)


def _log_time(ts: float, how: str) -> str | int | float:
    if how == "unix_ns":
        return int(round(ts * 1e9))
    if how == "unix_s":
        return round(ts, 6)
    return stamp(ts, "iso")


def _wrapped(rec: LogRecord, json_services: set[str]) -> str:
    if rec.service not in json_services:
        return rec.message
    stream = "stderr" if rec.level in ("error", "warning") else "stdout"
    return json.dumps({"log": rec.message + "\n", "stream": stream, "time": stamp(rec.ts, "iso")},
                      separators=(",", ":"))


def write_logs(out_dir: Path, logs: list[LogRecord], json_services: set[str], opts: ExportOptions) -> None:
    if opts.logs_format == "files":
        folder = out_dir / "logs"
        folder.mkdir()
        by_service: dict[str, list[str]] = {}
        for rec in logs:
            by_service.setdefault(rec.service, []).append(f"{stamp(rec.ts, 'iso')} {rec.message}")
        for service, lines in sorted(by_service.items()):
            write_file(folder / f"{service}.log", "\n".join(lines) + "\n", opts.compress)
        return
    cols = ["timestamp"] + (["service"] if opts.logs_service else []) + ["pod"] + (
        ["level"] if opts.logs_level else []) + ["message", "trace_id", "span_id"]
    if opts.logs_format == "jsonl":
        lines = []
        for rec in logs:
            doc = {"timestamp": _log_time(rec.ts, opts.logs_time)}
            if opts.logs_service:
                doc["service"] = rec.service
            doc["pod"] = rec.pod
            if opts.logs_level and rec.level:
                doc["level"] = rec.level
            doc["message"] = _wrapped(rec, json_services)
            if rec.trace_id:
                doc["trace_id"], doc["span_id"] = rec.trace_id, rec.span_id
            lines.append(json.dumps(doc, separators=(",", ":")))
        write_file(out_dir / "logs.jsonl", "\n".join(lines) + "\n", opts.compress)
        return
    rows = []
    for rec in logs:
        row = [_log_time(rec.ts, opts.logs_time)] + ([rec.service] if opts.logs_service else []) + [rec.pod]
        row += ([rec.level] if opts.logs_level else []) + [_wrapped(rec, json_services), rec.trace_id, rec.span_id]
        rows.append(row)
    write_file(out_dir / "logs.csv", _csv_text(cols, rows), opts.compress)


def write_spans(out_dir: Path, spans: list[Span], opts: ExportOptions) -> None:
    last = "end" if opts.spans_end else "duration_us"
    cols = ["trace_id", "span_id", "parent_span_id", "service", "pod", "operation", "start", last, "status",
            "http_status", "kind", "peer_service"]
    rows = []
    for sp in spans:
        start_ns = int(round(sp.start * 1e9))
        dur_us = max(int(round(sp.duration_s * 1e6)), 1)
        rows.append([sp.trace_id, sp.span_id, sp.parent_span_id, sp.service, sp.pod, sp.operation, start_ns,
                     start_ns + dur_us * 1000 if opts.spans_end else dur_us, sp.status,
                     sp.http_status or "", sp.kind, sp.peer])
    if opts.spans_format == "jsonl":
        lines = [json.dumps({k: v for k, v in zip(cols, row) if v != "" or k == "parent_span_id"},
                            separators=(",", ":")) for row in rows]
        write_file(out_dir / "spans.jsonl", "\n".join(lines) + "\n", opts.compress)
    else:
        write_file(out_dir / "spans.csv", _csv_text(cols, rows), opts.compress)


def write_events(out_dir: Path, events: list[dict], namespace: str, opts: ExportOptions) -> None:
    lines = []
    for ev in sorted(events, key=lambda e: (e["timestamp"], e["service"], e["message"])):
        doc = {"timestamp": to_rfc3339(round(ev["timestamp"], 3)), "kind": ev["kind"], "service": ev["service"],
               "message": ev["message"], "namespace": namespace}
        doc.update({k: v for k, v in ev.items() if k not in doc})
        lines.append(json.dumps(doc, separators=(",", ":")))
    write_file(out_dir / "events.jsonl", "\n".join(lines) + ("\n" if lines else ""), opts.compress)


def toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return json.dumps(str(v))


def write_toml(path: Path, top: dict, tables: dict[str, dict], arrays: dict[str, list[dict]] | None = None) -> None:
    lines = [f"{k} = {toml_value(v)}" for k, v in top.items()]
    for name, table in tables.items():
        lines += ["", f"[{name}]"] + [f"{k} = {toml_value(v)}" for k, v in table.items()]
    for name, items in (arrays or {}).items():
        for item in items:
            lines += ["", f"[[{name}]]"] + [f"{k} = {toml_value(v)}" for k, v in item.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
