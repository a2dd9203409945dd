"""OTLP JSON traces: OpenTelemetry Collector file-exporter output under traces/.

A file holds one ExportTraceServiceRequest JSON document, or one per line (the file
exporter's default). resourceSpans -> scopeSpans (or the older
instrumentationLibrarySpans) -> spans. The service is the `service.name` resource
attribute (else derived from `k8s.pod.name`); status code 2 / STATUS_CODE_ERROR is ERROR.
Ids are hex; base64 ids (protobuf JSON) are converted. Parsed in Python a document at a
time and inserted in batches, so memory stays bounded for a file of any length when it
holds one document a line; a document read whole (pretty-printed) may be at most
`limits.max_json_document_mb` (aiops.telemetry.limits).
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import re
import zlib
from pathlib import Path
from typing import Any, Iterator

from aiops.errors import BundleError
from aiops.telemetry.formats.sources import LoadResult, open_text
from aiops.telemetry.limits import current_limits
from aiops.telemetry.services import service_from_pod
from aiops.timeutil import in_range

_WS = re.compile(r"\s*")
_HEX = re.compile(r"^[0-9a-fA-F]*$")
_STATUS = {2: "ERROR", "2": "ERROR", "STATUS_CODE_ERROR": "ERROR", "ERROR": "ERROR",
           1: "OK", "1": "OK", "STATUS_CODE_OK": "OK", "OK": "OK"}
_KINDS = {1: "INTERNAL", 2: "SERVER", 3: "CLIENT", 4: "PRODUCER", 5: "CONSUMER"}
BATCH_SPANS = 50_000
_COLUMNS = ("trace_id", "span_id", "parent_span_id", "service", "pod", "operation", "start",
            "duration_us", "status", "http_status", "attrs")


def _documents(text: str, name: str, first_line: int = 1) -> Iterator[Any]:
    """Every JSON value in the text: one pretty-printed document, or one a line."""
    decoder = json.JSONDecoder()
    pos, end = 0, len(text)
    while True:
        pos = _WS.match(text, pos).end()
        if pos >= end:
            return
        try:
            doc, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise BundleError(f"{name} line {exc.lineno + first_line - 1} column {exc.colno}: malformed JSON: "
                              f"{exc.msg}") from None
        except RecursionError:
            raise BundleError(f"{name}: JSON nested too deeply to read (at character {pos})") from None
        yield doc


def any_value(v: Any) -> Any:
    """An OTLP AnyValue ({"stringValue": "x"}, {"intValue": "3"}, ...) as a plain value."""
    if not isinstance(v, dict):
        return v
    for key in ("stringValue", "string_value"):
        if key in v:
            return v[key]
    for key in ("intValue", "int_value"):
        if key in v:
            try:
                return int(v[key])
            except (TypeError, ValueError):
                return v[key]
    for key in ("doubleValue", "double_value", "boolValue", "bool_value", "bytesValue", "bytes_value"):
        if key in v:
            return v[key]
    for key in ("arrayValue", "array_value"):
        if key in v:
            return [any_value(x) for x in (v[key] or {}).get("values", [])]
    for key in ("kvlistValue", "kvlist_value"):
        if key in v:
            return attributes((v[key] or {}).get("values", []))
    return None


def attributes(items: Any) -> dict[str, Any]:
    if not isinstance(items, list):
        return {}
    return {a["key"]: any_value(a.get("value")) for a in items if isinstance(a, dict) and "key" in a}


def _id(value: Any) -> str:
    text = str(value or "")
    if _HEX.match(text):
        return text.lower()
    try:
        return base64.b64decode(text, validate=True).hex()
    except (binascii.Error, ValueError):
        return text


def _get(d: dict, camel: str, snake: str, default: Any = None) -> Any:
    return d.get(camel, d.get(snake, default))


def _text(value: Any) -> str:
    """A str DuckDB can store: lone surrogates (from JSON escapes) replaced."""
    text = str(value)
    return text if text.isascii() else text.encode("utf-8", "replace").decode("utf-8")


class _SpanColumns:
    """Columns of the spans table, filled a document at a time."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.cols: dict[str, list] = {c: [] for c in _COLUMNS}
        self.skipped = 0

    def __len__(self) -> int:
        return len(self.cols["span_id"])

    def clear(self) -> None:
        for values in self.cols.values():
            values.clear()

    def add_document(self, doc: Any) -> None:
        if not isinstance(doc, dict):
            raise BundleError(f"{self.name}: expected an OTLP JSON object with resourceSpans, got {type(doc).__name__}")
        for rs in _get(doc, "resourceSpans", "resource_spans", []) or []:
            res = attributes((rs.get("resource") or {}).get("attributes"))
            pod = _text(res.get("k8s.pod.name", "") or "")
            service = _text(res.get("service.name", "") or "") or service_from_pod(pod)
            scopes = (_get(rs, "scopeSpans", "scope_spans") or rs.get("instrumentationLibrarySpans") or [])
            for ss in scopes:
                for sp in ss.get("spans", []) or []:
                    self._add_span(sp, service, pod)

    def _add_span(self, sp: dict, service: str, pod: str) -> None:
        cols = self.cols
        try:
            start_ns = int(_get(sp, "startTimeUnixNano", "start_time_unix_nano"))
            end_ns = int(_get(sp, "endTimeUnixNano", "end_time_unix_nano", start_ns))
            start, duration_us = start_ns / 1e9, max(0, end_ns - start_ns) / 1e3
        except (TypeError, ValueError, OverflowError):
            start = None
        if start is None or not in_range(start):
            self.skipped += 1
            return
        attrs = attributes(sp.get("attributes"))
        http = attrs.get("http.status_code", attrs.get("http.response.status_code"))
        try:
            http = int(http) if http is not None else None
        except (TypeError, ValueError, OverflowError):
            http = None
        if http is not None and not -(2 ** 31) <= http < 2 ** 31:
            http = None
        status_obj = sp.get("status") or {}
        status = _STATUS.get(status_obj.get("code"), "UNSET")
        if status == "UNSET" and http is not None and http >= 500:
            status = "ERROR"
        kind = sp.get("kind")
        attrs["span.kind"] = _KINDS.get(kind, str(kind).removeprefix("SPAN_KIND_")) if kind else None
        if status_obj.get("message"):
            attrs["status.message"] = status_obj["message"]
        parent = _id(_get(sp, "parentSpanId", "parent_span_id"))
        cols["trace_id"].append(_text(_id(_get(sp, "traceId", "trace_id"))))
        cols["span_id"].append(_text(_id(_get(sp, "spanId", "span_id"))))
        cols["parent_span_id"].append("" if parent.strip("0") == "" else _text(parent))
        cols["service"].append(service)
        cols["pod"].append(pod)
        cols["operation"].append(_text(sp.get("name", "")))
        cols["start"].append(start)
        cols["duration_us"].append(duration_us)
        cols["status"].append(status)
        cols["http_status"].append(http)
        cols["attrs"].append(json.dumps({str(k): v for k, v in attrs.items() if v is not None}, separators=(",", ":"),
                                        sort_keys=True, default=str))


def parse_otlp(text: str, name: str) -> tuple[dict[str, list], int]:
    """Columns of the spans table from OTLP JSON text, and how many spans were skipped."""
    spans = _SpanColumns(name)
    for doc in _documents(text, name):
        spans.add_document(doc)
    return spans.cols, spans.skipped


def _file_documents(path: Path, name: str, max_bytes: int) -> Iterator[Any]:
    """The documents of a file: a line at a time while every line is one document (the
    collector's file exporter), else the rest read whole (at most `max_bytes`)."""
    limit_mb = max_bytes // (1024 * 1024)
    with open_text(path) as fh:
        lineno = 0
        for line in fh:
            lineno += 1
            if not line.strip():
                continue
            if len(line) > max_bytes:
                raise BundleError(f"{name} line {lineno}: a JSON document over limits.max_json_document_mb = "
                                  f"{limit_mb} MB; raise the limit or split the export")
            try:
                doc = json.loads(line)
            except RecursionError:
                raise BundleError(f"{name} line {lineno}: JSON nested too deeply to read") from None
            except json.JSONDecodeError:
                break                         # not one document a line: read the rest whole
            yield doc
        else:
            return
        rest = line + fh.read(max_bytes + 1 - len(line))
        if len(rest) > max_bytes:
            raise BundleError(f"{name}: a JSON document read whole (from line {lineno}) is over "
                              f"limits.max_json_document_mb = {limit_mb} MB; export one document a line "
                              "(the collector's file exporter does) or raise the limit")
        for doc in _documents(rest, name, first_line=lineno):
            yield doc


def _insert(con, spans: _SpanColumns) -> None:
    select = ", ".join(f"unnest(${c}) AS {c}" for c in _COLUMNS)
    con.execute(f"INSERT INTO spans ({', '.join(_COLUMNS)}) SELECT {select}", spans.cols)
    spans.clear()


def load_otlp_json(con, path: Path, name: str) -> LoadResult:
    if path.stat().st_size == 0:
        raise BundleError(f"{name}: empty file (0 bytes)")
    spans, rows = _SpanColumns(name), 0
    try:
        for doc in _file_documents(path, name, current_limits().max_json_document_bytes):
            spans.add_document(doc)
            if len(spans) >= BATCH_SPANS:
                rows += len(spans)
                _insert(con, spans)
        rows += len(spans)
        if len(spans):
            _insert(con, spans)
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise BundleError(f"{name}: cannot read: {exc}") from None
    except (AttributeError, TypeError, KeyError) as exc:  # a list where an object belongs, ...
        raise BundleError(f"{name}: not OTLP JSON trace data (resourceSpans/scopeSpans/spans): {exc}") from None
    except RecursionError:
        raise BundleError(f"{name}: OTLP attributes nested too deeply to read") from None
    if rows == 0 and spans.skipped == 0 and _empty(path):
        raise BundleError(f"{name}: empty file (0 bytes)")
    warnings = (f"{name}: skipped {spans.skipped} spans without a usable start or end time",) if spans.skipped else ()
    return LoadResult(rows=rows, warnings=warnings)


def _empty(path: Path) -> bool:
    with open_text(path) as fh:
        return not fh.read(1)
