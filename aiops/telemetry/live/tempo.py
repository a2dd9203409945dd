"""Grafana Tempo (HTTP API, read-only): search the window's traces, then read each one.

    GET /api/search?q=<TraceQL>&start=<s>&end=<s>&limit=N     (trace search)
    GET /api/traces/<traceID>                                 (one trace, OTLP JSON; Accept: application/json)
    GET /api/search/tags, /api/search/tag/<tag>/values        (discovery, for tools)
    GET /ready, /api/status/buildinfo                         (health)

A trace comes back as OTLP JSON (`{"batches": [...]}`, or `{"trace": {"resourceSpans": ...}}`
from newer versions) and goes through the bundle's own OTLP parser.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from aiops.domain import TimeWindow
from aiops.errors import BundleError, SourceError
from aiops.telemetry.live import promql
from aiops.telemetry.live.base import Endpoint, FetchScope, HttpSource
from aiops.telemetry.live.options import HttpOptions, positive
from aiops.telemetry.live.result import FetchResult, Health, error_result

_JSON = {"Accept": "application/json"}


@dataclass
class TempoOptions(HttpOptions):
    query: str = "{}"                     # TraceQL for the search ("{}" = every trace)
    max_traces: int = 300
    concurrency: int = 4

    def validate(self, key: str, where: str) -> None:
        super().validate(key, where)
        positive(where, f"{key}.max_traces", self.max_traces)
        positive(where, f"{key}.concurrency", self.concurrency)


def otlp_span_records(doc: Any, name: str) -> list[dict[str, Any]]:
    """spans.jsonl records of one Tempo trace answer (OTLP JSON, either shape)."""
    from aiops.telemetry.formats.otlp import parse_otlp

    if isinstance(doc, dict) and isinstance(doc.get("trace"), dict):
        doc = doc["trace"]
    if isinstance(doc, dict) and "batches" in doc and "resourceSpans" not in doc:
        doc = {"resourceSpans": doc["batches"]}
    if not isinstance(doc, dict) or not isinstance(doc.get("resourceSpans", []), list):
        raise SourceError(f"{name}: malformed trace: expected OTLP JSON with batches or resourceSpans")
    try:
        cols, _ = parse_otlp(json.dumps(doc), name)
    except (BundleError, AttributeError, TypeError, KeyError) as exc:
        raise SourceError(f"{name}: malformed trace: {exc}") from None
    return [{"trace_id": cols["trace_id"][i], "span_id": cols["span_id"][i], "parent_span_id": cols["parent_span_id"][i],
             "service": cols["service"][i], "pod": cols["pod"][i], "operation": cols["operation"][i],
             "start": int(round(cols["start"][i] * 1e9)), "duration_us": cols["duration_us"][i],
             "status": cols["status"][i], "http_status": cols["http_status"][i] if cols["http_status"][i] is not None else ""}
            for i in range(len(cols["span_id"]))]


class TempoSource(HttpSource):
    kind = "tempo"
    Options = TempoOptions
    provides = ("spans",)
    ENDPOINTS = (
        Endpoint("GET", "/api/search", "trace search (TraceQL)"),
        Endpoint("GET", "/api/traces/{trace_id}", "one trace"),
        Endpoint("GET", "/api/search/tags", "tag names"),
        Endpoint("GET", "/api/search/tag/{tag}/values", "tag values"),
        Endpoint("GET", "/ready", "readiness, for health"),
        Endpoint("GET", "/api/status/buildinfo", "version, for health"),
    )

    # -- read methods -------------------------------------------------------------------
    def search(self, query: str, start: float, end: float, limit: int = 20) -> list[dict[str, Any]]:
        """Trace summaries ({traceID, rootServiceName, rootTraceName, startTimeUnixNano, durationMs})."""
        doc = self.get("/api/search", {"q": query, "start": int(start), "end": int(end) + 1, "limit": int(limit)})
        if not isinstance(doc, dict) or not isinstance(doc.get("traces", []), list):
            raise SourceError(f"malformed answer from /api/search: {str(doc)[:120]}")
        return list(doc.get("traces") or [])

    def trace(self, trace_id: str) -> Any:
        """One trace as OTLP JSON."""
        return self.get(f"/api/traces/{trace_id}", headers=_JSON)

    def tags(self) -> list[str]:
        doc = self.get("/api/search/tags")
        return list((doc or {}).get("tagNames") or [])

    def tag_values(self, tag: str) -> list[str]:
        doc = self.get(f"/api/search/tag/{tag}/values")
        return list((doc or {}).get("tagValues") or [])

    def health(self) -> Health:
        self.get_text("/ready")
        try:
            version = str((self.get("/api/status/buildinfo") or {}).get("version") or "")
        except Exception:  # noqa: BLE001 - buildinfo is optional
            version = ""
        return Health(True, f"ready (Tempo {version})" if version else "ready", version=version)

    # -- the fetch ----------------------------------------------------------------------
    def fetch(self, window: TimeWindow, scope: FetchScope = FetchScope()) -> FetchResult:
        o = self.options
        result = FetchResult(source=self.label)
        queries = [o.query]
        if scope.service:
            queries.insert(0, f"{{ resource.service.name = {promql.quote(scope.service)} }}")
        ids: list[str] = []
        for i, query in enumerate(queries):
            result.queries.append(query)
            try:
                found = self.search(query, window.start, window.end, o.max_traces - len(ids))
            except Exception as exc:  # noqa: BLE001 - the source is down, slow, failing: a value
                if i == len(queries) - 1 and not ids:
                    return error_result(self.label, self.describe(exc), result.queries)
                result.problems.append(f"trace search {query!r} failed ({self.describe(exc)})")
                continue
            ids += [t["traceID"] for t in found if t.get("traceID") and t["traceID"] not in ids]
            if len(ids) >= o.max_traces:
                result.problems.append(f"trace search capped at {o.max_traces} traces (max_traces)")
                break
        spans, failed = self._read(ids)
        for why, n in failed.items():
            result.problems.append(f"{n} of {len(ids)} traces could not be read ({why})")
        if ids and failed and not spans:
            return error_result(self.label, "no trace could be read: " + "; ".join(failed), result.queries)
        result.batch.spans = spans
        return result.finish()

    def _read(self, ids: list[str]) -> tuple[list[dict[str, Any]], dict[str, int]]:
        spans: list[dict[str, Any]] = []
        failed: dict[str, int] = {}

        def one(trace_id: str) -> list[dict[str, Any]]:
            return otlp_span_records(self.trace(trace_id), f"trace {trace_id}")

        with ThreadPoolExecutor(max_workers=self.options.concurrency) as pool:
            for trace_id, fut in [(t, pool.submit(one, t)) for t in ids]:
                try:
                    spans += fut.result()
                except Exception as exc:  # noqa: BLE001 - one unreadable trace is a gap
                    why = self.describe(exc)
                    failed[why] = failed.get(why, 0) + 1
        return spans, failed
