"""Loki (read-only HTTP API): log lines of the window through `query_range`, paged forward.

    GET /loki/api/v1/query_range?query={...}&start=<ns>&end=<ns>&limit=N&direction=forward
    GET /loki/api/v1/query, /labels, /label/<name>/values, /series    (read methods for tools)
    GET /ready, /loki/api/v1/status/buildinfo                         (health)

Each stream's labels name the service (`service_labels`, first present; else derived from
the pod label). Paging continues from the last timestamp seen (lines at that instant are
de-duplicated) until the window is read or `max_lines` is reached, which is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiops.domain import TimeWindow
from aiops.errors import ConfigError, SourceError
from aiops.telemetry.live import promql
from aiops.telemetry.live.base import Endpoint, FetchScope, HttpSource
from aiops.telemetry.live.options import HttpOptions, positive
from aiops.telemetry.live.result import FetchResult, Health, error_result
from aiops.telemetry.services import service_from_pod

NS = 1_000_000_000


@dataclass
class LokiOptions(HttpOptions):
    query: str = ""                      # LogQL; "" = {<namespace_label>="<namespace>"} (or every job)
    namespace: str = ""                  # default namespace (--namespace wins)
    namespace_label: str = "namespace"
    service_labels: list[str] = field(default_factory=lambda: ["service", "service_name", "app_kubernetes_io_name", "app"])
    pod_label: str = "pod"
    level_labels: list[str] = field(default_factory=lambda: ["level", "detected_level", "severity"])
    max_lines: int = 50_000
    page_size: int = 5_000

    def validate(self, key: str, where: str) -> None:
        super().validate(key, where)
        positive(where, f"{key}.max_lines", self.max_lines)
        positive(where, f"{key}.page_size", self.page_size)
        if self.query and not self.query.lstrip().startswith("{"):
            raise ConfigError(f"{where}: {key}.query = {self.query!r} must be a LogQL log query starting with "
                              "a stream selector, e.g. '{namespace=\"shop\"} |= \"error\"'")


class LokiSource(HttpSource):
    kind = "loki"
    Options = LokiOptions
    provides = ("logs",)
    ENDPOINTS = (
        Endpoint("GET", "/loki/api/v1/query_range", "log lines of a window"),
        Endpoint("GET", "/loki/api/v1/query", "instant (metric) queries"),
        Endpoint("GET", "/loki/api/v1/labels", "label names"),
        Endpoint("GET", "/loki/api/v1/label/{name}/values", "label values"),
        Endpoint("GET", "/loki/api/v1/series", "stream discovery"),
        Endpoint("GET", "/ready", "readiness, for health"),
        Endpoint("GET", "/loki/api/v1/status/buildinfo", "version, for health"),
    )

    # -- read methods -------------------------------------------------------------------
    def query_range(self, query: str, start: float, end: float, limit: int = 1000,
                    direction: str = "forward") -> dict[str, Any]:
        """The `data` of a query_range answer: {"resultType": "streams"|"matrix", "result": [...]}."""
        doc = self.get("/loki/api/v1/query_range", {"query": query, "start": str(int(start * NS)),
                                                     "end": str(int(end * NS)), "limit": int(limit),
                                                     "direction": direction})
        return self._data(doc)

    def query(self, query: str, at: float | None = None, limit: int = 100) -> dict[str, Any]:
        params: dict[str, Any] = {"query": query, "limit": int(limit)}
        if at is not None:
            params["time"] = str(int(at * NS))
        return self._data(self.get("/loki/api/v1/query", params))

    def labels(self, start: float | None = None, end: float | None = None) -> list[str]:
        return list(self._data(self.get("/loki/api/v1/labels", self._span(start, end))) or [])

    def label_values(self, label: str, start: float | None = None, end: float | None = None) -> list[str]:
        return list(self._data(self.get(f"/loki/api/v1/label/{label}/values", self._span(start, end))) or [])

    def series(self, match: str, start: float | None = None, end: float | None = None) -> list[dict[str, str]]:
        return list(self._data(self.get("/loki/api/v1/series", {"match[]": match, **self._span(start, end)})) or [])

    @staticmethod
    def _span(start: float | None, end: float | None) -> dict[str, str]:
        return {} if start is None else {"start": str(int(start * NS)), "end": str(int((end or start) * NS))}

    @staticmethod
    def _data(doc: Any) -> Any:
        if not isinstance(doc, dict) or doc.get("status") not in (None, "success") or "data" not in doc:
            raise SourceError(f"malformed answer: expected {{\"status\": \"success\", \"data\": ...}}, got "
                              f"{str(doc)[:120]}")
        return doc["data"]

    def health(self) -> Health:
        self.get_text("/ready")
        try:
            version = str((self.get("/loki/api/v1/status/buildinfo") or {}).get("version") or "")
        except Exception:  # noqa: BLE001 - buildinfo is optional
            version = ""
        return Health(True, f"ready (Loki {version})" if version else "ready", version=version)

    # -- the fetch ----------------------------------------------------------------------
    def selector(self, scope: FetchScope) -> str:
        o = self.options
        if o.query:
            return o.query
        ns = scope.namespace or o.namespace
        return f"{{{o.namespace_label}={promql.quote(ns)}}}" if ns else '{job=~".+"}'

    def fetch(self, window: TimeWindow, scope: FetchScope = FetchScope()) -> FetchResult:
        o = self.options
        query = self.selector(scope)
        result = FetchResult(source=self.label, queries=[query])
        records: list[dict[str, Any]] = []
        start_ns, end_ns = int(window.start * NS), int(window.end * NS)
        seen_at_edge: set[tuple] = set()           # lines at the page boundary, already taken
        pages, exhausted = 0, False
        while len(records) < o.max_lines and start_ns <= end_ns:
            remaining = o.max_lines - len(records)
            limit = min(o.page_size, remaining) + len(seen_at_edge)
            try:
                data = self.query_range(query, start_ns / NS, end_ns / NS, limit)
            except Exception as exc:  # noqa: BLE001 - a failing page is a value
                why = self.describe(exc)
                if pages == 0:
                    return error_result(self.label, why, result.queries)
                result.problems.append(f"log lines after the first {len(records)} were not read ({why}; partial data)")
                exhausted = True
                break
            pages += 1
            if data.get("resultType") not in (None, "streams"):
                return error_result(self.label, f"query {query!r} is a metric query; give a log query", result.queries)
            entries = list(self._entries(data.get("result") or []))
            fresh = [e for e in entries if (e[0], e[1], e[2]) not in seen_at_edge]
            records += [self._record(ts, line, labels) for ts, _, line, labels in fresh[:remaining]]
            if len(entries) < limit:
                exhausted = True                       # the window holds no more lines
                break
            last = max(e[0] for e in entries)
            if not fresh:
                result.problems.append(f"more lines share the instant {last} ns than a page holds (page_size); "
                                       "some were not read (partial data)")
                exhausted = True
                break
            seen_at_edge = {(e[0], e[1], e[2]) for e in entries if e[0] == last}
            start_ns = last
        if not exhausted and len(records) >= o.max_lines:
            result.problems.append(f"log lines capped at {o.max_lines} (max_lines); the window holds more "
                                   "(partial data: narrow the query or raise max_lines)")
        result.batch.logs = records
        return result.finish()

    @staticmethod
    def _entries(streams: list[dict[str, Any]]):
        for s in streams:
            labels = {str(k): str(v) for k, v in (s.get("stream") or {}).items()}
            key = tuple(sorted(labels.items()))
            for value in s.get("values") or []:
                yield int(value[0]), key, str(value[1]), labels

    def _record(self, ts_ns: int, line: str, labels: dict[str, str]) -> dict[str, Any]:
        o = self.options
        pod = labels.get(o.pod_label, "")
        service = next((labels[k] for k in o.service_labels if labels.get(k)), "") or service_from_pod(pod) \
            or labels.get("container", "") or labels.get("job", "")
        level = next((labels[k] for k in o.level_labels if labels.get(k)), "")
        return {"timestamp": ts_ns, "service": service, "pod": pod, "level": level, "message": line,
                "namespace": labels.get(o.namespace_label, ""), "container": labels.get("container", "")}
