"""Jaeger query service (HTTP JSON API, read-only): traces of the window, per service.

    GET /api/services                                         (services; health)
    GET /api/services/<service>/operations
    GET /api/traces?service=S&start=<us>&end=<us>&limit=N     (trace search)
    GET /api/traces/<traceID>                                 (one trace)

Traces are searched for the symptom's service first (`--service`: its traces cover its
dependencies), then for every other service, until `max_traces` traces are in; spans are
de-duplicated across searches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from aiops.domain import TimeWindow
from aiops.errors import SourceError
from aiops.telemetry.live.base import Endpoint, FetchScope, HttpSource
from aiops.telemetry.live.options import HttpOptions, positive
from aiops.telemetry.live.result import FetchResult, Health, error_result
from aiops.telemetry.services import service_from_pod

US = 1_000_000
_POD_TAGS = ("k8s.pod.name", "pod", "hostname")


@dataclass
class JaegerOptions(HttpOptions):
    services: list[str] = field(default_factory=list)     # [] = every service Jaeger knows
    max_traces: int = 2000
    per_search: int = 200                 # traces per search request

    def validate(self, key: str, where: str) -> None:
        super().validate(key, where)
        positive(where, f"{key}.max_traces", self.max_traces)
        positive(where, f"{key}.per_search", self.per_search)


def _tags(items: Any) -> dict[str, Any]:
    return {str(t.get("key")): t.get("value") for t in items or [] if isinstance(t, dict) and "key" in t}


def span_records(trace: dict[str, Any]) -> Iterable[dict[str, Any]]:
    """spans.jsonl records of one Jaeger trace ({traceID, spans, processes})."""
    processes = trace.get("processes") or {}
    for sp in trace.get("spans") or []:
        proc = processes.get(sp.get("processID")) or sp.get("process") or {}
        ptags = _tags(proc.get("tags"))
        tags = _tags(sp.get("tags"))
        pod = str(next((ptags[k] for k in _POD_TAGS if ptags.get(k)), "") or "")
        service = str(proc.get("serviceName") or "") or service_from_pod(pod)
        parent = next((r.get("spanID") for r in sp.get("references") or []
                       if r.get("refType") == "CHILD_OF" and r.get("traceID", sp.get("traceID")) == sp.get("traceID")),
                      None) or next((r.get("spanID") for r in sp.get("references") or []), "")
        http = tags.get("http.status_code", tags.get("http.response.status_code"))
        try:
            http = int(http) if http not in (None, "") else None
        except (TypeError, ValueError):
            http = None
        otel = str(tags.get("otel.status_code", "")).upper()
        error = tags.get("error") in (True, "true", "True", 1) or otel == "ERROR"
        status = "ERROR" if error else ("OK" if otel == "OK" else "UNSET")
        yield {"trace_id": str(sp.get("traceID") or trace.get("traceID") or ""), "span_id": str(sp.get("spanID") or ""),
               "parent_span_id": str(parent or ""), "service": service, "pod": pod,
               "operation": str(sp.get("operationName") or ""), "start": int(sp.get("startTime") or 0) * 1000,
               "duration_us": float(sp.get("duration") or 0), "status": status,
               "http_status": http if http is not None else ""}


class JaegerSource(HttpSource):
    kind = "jaeger"
    Options = JaegerOptions
    provides = ("spans",)
    ENDPOINTS = (
        Endpoint("GET", "/api/services", "service names; health"),
        Endpoint("GET", "/api/services/{service}/operations", "operations of a service"),
        Endpoint("GET", "/api/traces", "trace search"),
        Endpoint("GET", "/api/traces/{trace_id}", "one trace"),
    )

    # -- read methods -------------------------------------------------------------------
    def services(self) -> list[str]:
        return [str(s) for s in self._data(self.get("/api/services")) or []]

    def operations(self, service: str) -> list[str]:
        return [str(o) for o in self._data(self.get(f"/api/services/{service}/operations")) or []]

    def search(self, service: str, start: float, end: float, limit: int = 20,
               operation: str | None = None, tags: str | None = None) -> list[dict[str, Any]]:
        """Traces of `service` that started in [start, end] ({traceID, spans, processes} each)."""
        params: dict[str, Any] = {"service": service, "start": int(start * US), "end": int(end * US),
                                  "limit": int(limit)}
        if operation:
            params["operation"] = operation
        if tags:
            params["tags"] = tags
        return list(self._data(self.get("/api/traces", params)) or [])

    def trace(self, trace_id: str) -> dict[str, Any]:
        data = self._data(self.get(f"/api/traces/{trace_id}"))
        if not data:
            raise SourceError(f"trace {trace_id} not found")
        return data[0]

    @staticmethod
    def _data(doc: Any) -> Any:
        if not isinstance(doc, dict) or "data" not in doc:
            raise SourceError(f"malformed answer: expected {{\"data\": ...}}, got {str(doc)[:120]}")
        if doc.get("errors"):
            raise SourceError(f"Jaeger error: {str(doc['errors'])[:160]}")
        return doc["data"]

    def health(self) -> Health:
        n = len(self.services())
        return Health(True, f"ready ({n} services)")

    # -- the fetch ----------------------------------------------------------------------
    def fetch(self, window: TimeWindow, scope: FetchScope = FetchScope()) -> FetchResult:
        o = self.options
        result = FetchResult(source=self.label)
        try:
            services = list(o.services) or self.services()
        except Exception as exc:  # noqa: BLE001 - the source is down: a value
            return error_result(self.label, self.describe(exc))
        if scope.service and scope.service in services:
            services = [scope.service] + [s for s in services if s != scope.service]
        spans: dict[tuple[str, str], dict[str, Any]] = {}
        traces: set[str] = set()
        failed: dict[str, list[str]] = {}
        for service in services:
            if len(traces) >= o.max_traces:
                result.problems.append(f"trace search stopped at {o.max_traces} traces (max_traces); "
                                       f"{len(services) - services.index(service)} services not searched")
                break
            result.queries.append(f"traces of {service}")
            try:
                found = self.search(service, window.start, window.end, min(o.per_search, o.max_traces - len(traces)))
            except Exception as exc:  # noqa: BLE001 - one failing search is a gap
                failed.setdefault(self.describe(exc), []).append(service)
                if len(failed.get(self.describe(exc), [])) >= 3 and not traces:
                    break
                continue
            for trace in found:
                traces.add(str(trace.get("traceID") or ""))
                for rec in span_records(trace):
                    spans[(rec["trace_id"], rec["span_id"])] = rec
        for why, names in failed.items():
            result.problems.append(f"trace search failed for {len(names)} of {len(services)} services ({why}): "
                                   + ", ".join(names[:5]))
        if failed and not spans:
            return error_result(self.label, "every trace search failed: " + "; ".join(failed), result.queries)
        result.batch.spans = list(spans.values())
        return result.finish()
