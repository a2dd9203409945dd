"""OTLP JSON traces: OpenTelemetry Collector file-exporter output under traces/.

A file holds one ExportTraceServiceRequest JSON document, or one per line (the file
exporter's default). resourceSpans -> scopeSpans (or the older
instrumentationLibrarySpans) -> spans. The service is the `service.name` resource
attribute (else derived from `k8s.pod.name`); status code 2 / STATUS_CODE_ERROR is ERROR.
Ids are hex; base64 ids (protobuf JSON) are converted. Parsed in Python (OTLP files are
small next to logs), inserted in one columnar statement.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import re
from pathlib import Path
from typing import Any, Iterator

from aiops.errors import BundleError
from aiops.telemetry.formats.sources import LoadResult, open_text
from aiops.telemetry.services import service_from_pod

_WS = re.compile(r"\s*")
_HEX = re.compile(r"^[0-9a-fA-F]*$")
_STATUS = {2: "ERROR", "2": "ERROR", "STATUS_CODE_ERROR": "ERROR", "ERROR": "ERROR",
           1: "OK", "1": "OK", "STATUS_CODE_OK": "OK", "OK": "OK"}
_KINDS = {1: "INTERNAL", 2: "SERVER", 3: "CLIENT", 4: "PRODUCER", 5: "CONSUMER"}
_COLUMNS = ("trace_id", "span_id", "parent_span_id", "service", "pod", "operation", "start",
            "duration_us", "status", "http_status", "attrs")


def _documents(text: str, name: str) -> Iterator[Any]:
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
            raise BundleError(f"{name} line {exc.lineno} column {exc.colno}: malformed JSON: {exc.msg}") from None
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


def parse_otlp(text: str, name: str) -> tuple[dict[str, list], int]:
    """Columns of the spans table from OTLP JSON text, and how many spans were skipped."""
    cols: dict[str, list] = {c: [] for c in _COLUMNS}
    skipped = 0
    for doc in _documents(text, name):
        if not isinstance(doc, dict):
            raise BundleError(f"{name}: expected an OTLP JSON object with resourceSpans, got {type(doc).__name__}")
        for rs in _get(doc, "resourceSpans", "resource_spans", []) or []:
            res = attributes((rs.get("resource") or {}).get("attributes"))
            pod = str(res.get("k8s.pod.name", "") or "")
            service = str(res.get("service.name", "") or "") or service_from_pod(pod)
            scopes = (_get(rs, "scopeSpans", "scope_spans") or rs.get("instrumentationLibrarySpans") or [])
            for ss in scopes:
                for sp in ss.get("spans", []) or []:
                    try:
                        start_ns = int(_get(sp, "startTimeUnixNano", "start_time_unix_nano"))
                        end_ns = int(_get(sp, "endTimeUnixNano", "end_time_unix_nano", start_ns))
                    except (TypeError, ValueError):
                        skipped += 1
                        continue
                    attrs = attributes(sp.get("attributes"))
                    http = attrs.get("http.status_code", attrs.get("http.response.status_code"))
                    try:
                        http = int(http) if http is not None else None
                    except (TypeError, ValueError):
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
                    cols["trace_id"].append(_id(_get(sp, "traceId", "trace_id")))
                    cols["span_id"].append(_id(_get(sp, "spanId", "span_id")))
                    cols["parent_span_id"].append("" if parent.strip("0") == "" else parent)
                    cols["service"].append(service)
                    cols["pod"].append(pod)
                    cols["operation"].append(str(sp.get("name", "")))
                    cols["start"].append(start_ns / 1e9)
                    cols["duration_us"].append(max(0, end_ns - start_ns) / 1e3)
                    cols["status"].append(status)
                    cols["http_status"].append(http)
                    cols["attrs"].append(json.dumps({k: v for k, v in attrs.items() if v is not None}, separators=(",", ":"),
                                                    sort_keys=True, default=str))
    return cols, skipped


def load_otlp_json(con, path: Path, name: str) -> LoadResult:
    try:
        with open_text(path) as fh:
            text = fh.read()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise BundleError(f"{name}: cannot read: {exc}") from None
    if not text:
        raise BundleError(f"{name}: empty file (0 bytes)")
    try:
        cols, skipped = parse_otlp(text, name)
    except (AttributeError, TypeError, KeyError) as exc:  # a list where an object belongs, ...
        raise BundleError(f"{name}: not OTLP JSON trace data (resourceSpans/scopeSpans/spans): {exc}") from None
    rows = len(cols["span_id"])
    if rows:
        select = ", ".join(f"unnest(${c}) AS {c}" for c in _COLUMNS)
        con.execute(f"INSERT INTO spans ({', '.join(_COLUMNS)}) SELECT {select}", cols)
    warnings = (f"{name}: skipped {skipped} spans without a start or end time",) if skipped else ()
    return LoadResult(rows=rows, warnings=warnings)
