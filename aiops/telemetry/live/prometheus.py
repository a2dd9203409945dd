"""Prometheus through prometheus-api-client: instant and range queries, series and label
discovery, topk scans, and a bounded fetch of one incident window.

The fetch never pulls every series of the server: it asks Prometheus how many series each
metric has in the window (one `count by (__name__)` query), shares the `max_series` budget
across metrics, and fetches each metric already aggregated per service/pod (rate() for
counters, quantiles for histograms, avg for gauges; topk where a metric is over budget).
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from aiops.domain import TimeWindow
from aiops.errors import ConfigError, SourceError
from aiops.telemetry.live import promql
from aiops.telemetry.live.base import Endpoint, FetchScope, HttpSource
from aiops.telemetry.live.options import HttpOptions, positive
from aiops.telemetry.live.result import FetchResult, Health, error_result
from aiops.timeutil import to_rfc3339

ABORT_AFTER = 3     # consecutive timeouts / refused connections before the rest is skipped


@dataclass
class PrometheusOptions(HttpOptions):
    matchers: str = ""                    # extra matchers for every query, e.g. 'cluster="prod"'
    namespace: str = ""                   # default namespace (--namespace wins)
    namespace_label: str = "namespace"
    max_series: int = 5000
    max_metrics: int = 500
    group_by: list[str] = field(default_factory=lambda: ["namespace", "service", "pod", "job", "app"])
    include: str = ""                     # regex: only metric names matching it ("" = all)
    exclude: str = r"scrape_.*|ALERTS|ALERTS_FOR_STATE|.*_created"
    quantiles: list[float] = field(default_factory=lambda: [0.99])
    concurrency: int = 4
    step_s: float = 0.0                   # 0 = chosen from the window

    def validate(self, key: str, where: str) -> None:
        super().validate(key, where)
        for name in ("max_series", "max_metrics", "concurrency"):
            positive(where, f"{key}.{name}", getattr(self, name))
        if self.step_s < 0:
            raise ConfigError(f"{where}: {key}.step_s = {self.step_s!r} must be >= 0 (0 = from the window)")
        for label in self.group_by + [self.namespace_label]:
            if not promql.valid_label(label):
                raise ConfigError(f"{where}: {key}.group_by = {label!r} is not a Prometheus label name")
        for q in self.quantiles:
            if not 0 < q < 1:
                raise ConfigError(f"{where}: {key}.quantiles = {q!r} must be between 0 and 1")
        for name in ("include", "exclude"):
            try:
                re.compile(getattr(self, name))
            except re.error as exc:
                raise ConfigError(f"{where}: {key}.{name} = {getattr(self, name)!r} is not a regex: {exc}") from None
        if "{" in self.matchers or "}" in self.matchers:
            raise ConfigError(f"{where}: {key}.matchers = {self.matchers!r}: give the matchers without braces, "
                              "e.g. 'cluster=\"prod\"'")


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=timezone.utc)


class PrometheusSource(HttpSource):
    kind = "prometheus"
    Options = PrometheusOptions
    provides = ("metrics",)
    ENDPOINTS = (
        Endpoint("GET", "/api/v1/query", "instant queries, health"),
        Endpoint("GET", "/api/v1/query_range", "range queries: counts per metric, aggregated series"),
        Endpoint("GET", "/api/v1/series", "series discovery"),
        Endpoint("GET", "/api/v1/labels", "label names"),
        Endpoint("GET", "/api/v1/label/{name}/values", "label values"),
        Endpoint("GET", "/api/v1/metadata", "metric types"),
        Endpoint("GET", "/api/v1/status/buildinfo", "version, for health"),
    )
    _client: Any = None

    # -- the client ---------------------------------------------------------------------
    @property
    def client(self) -> Any:
        if self._client is None:
            from prometheus_api_client import PrometheusConnect

            from aiops.telemetry.live.http import retry_policy

            o = self.options
            self._client = PrometheusConnect(url=o.url, session=self.session, timeout=o.timeout_s,
                                             retry=retry_policy(o.retries, o.backoff_s), method="GET")
        return self._client

    def query(self, expr: str, at: float | None = None) -> list[dict[str, Any]]:
        """An instant query: the `result` list of a vector/scalar answer."""
        params = {"time": f"{at:.3f}"} if at is not None else None
        return self._checked(self.client.custom_query(expr, params=params))

    def query_range(self, expr: str, start: float, end: float, step_s: float) -> list[dict[str, Any]]:
        """A range query: the matrix `result` list ({"metric": {...}, "values": [[t, "v"], ...]})."""
        return self._checked(self.client.custom_query_range(expr, _dt(start), _dt(end), f"{step_s:g}s"))

    def series(self, match: str, start: float, end: float) -> list[dict[str, str]]:
        """Label sets of the series matching a selector in [start, end] (series discovery)."""
        return self._checked(self.get("/api/v1/series", {"match[]": match, "start": start, "end": end}).get("data"))

    def label_names(self, start: float | None = None, end: float | None = None) -> list[str]:
        params = {"start": start, "end": end} if start is not None else None
        return self._checked(self.get("/api/v1/labels", params).get("data"))

    def label_values(self, label: str, match: str | None = None, start: float | None = None,
                     end: float | None = None) -> list[str]:
        params: dict[str, Any] = {}
        if match:
            params["match[]"] = match
        if start is not None:
            params.update(start=start, end=end)
        return self._checked(self.client.get_label_values(label, params=params or None))

    def topk(self, k: int, expr: str, start: float, end: float, over: str = "max",
             step_s: float | None = None) -> list[dict[str, Any]]:
        """The k series of `expr` with the highest <over>_over_time across [start, end]: one
        instant query evaluated by Prometheus, so nothing but the k winners comes back. A plain
        selector is read at its raw samples; any other expression as a subquery at `step_s`."""
        if over not in ("max", "avg", "min", "sum", "last", "stddev", "count"):
            raise ValueError(f"topk over {over!r}: use max, avg, min, sum, last, stddev or count")
        rng = promql.duration(max(1.0, end - start))
        if promql.is_selector(expr):
            inner = f"{expr}[{rng}]"
        else:
            inner = f"({expr})[{rng}:{promql.duration(step_s or promql.step_for(end - start))}]"
        return self.query(f"topk({int(k)}, {over}_over_time({inner}))", at=end)

    def metadata(self) -> dict[str, str]:
        """metric name -> type (counter, gauge, histogram, summary, unknown)."""
        data = self.get("/api/v1/metadata").get("data") or {}
        return {name: str((entries or [{}])[0].get("type", "unknown")) for name, entries in data.items()}

    @staticmethod
    def _checked(value: Any) -> Any:
        if not isinstance(value, list):
            raise SourceError(f"malformed answer: expected a list of results, got {type(value).__name__}")
        return value

    def health(self) -> Health:
        self.query("vector(1)")
        try:
            version = str((self.get("/api/v1/status/buildinfo").get("data") or {}).get("version") or "")
        except Exception:  # noqa: BLE001 - Prometheus-compatible servers may not have buildinfo
            version = ""
        return Health(True, f"ready (Prometheus {version})" if version else "ready", version=version)

    # -- the fetch ----------------------------------------------------------------------
    def fetch(self, window: TimeWindow, scope: FetchScope = FetchScope()) -> FetchResult:
        o = self.options
        result = FetchResult(source=self.label)
        step = o.step_s or promql.step_for(window.seconds)
        rng = promql.rate_range(step)
        label_matchers = promql.matchers(o.matchers, o.namespace_label, scope.namespace or o.namespace or None)
        try:
            counts = self._series_counts(window, label_matchers, result)
        except Exception as exc:  # noqa: BLE001 - the source is down, slow, failing: a value
            return error_result(self.label, self.describe(exc), result.queries)
        try:
            types = self.metadata()
        except Exception:  # noqa: BLE001 - metadata is a hint; names decide without it
            types = {}
        counts = self._selected(counts, result)
        if not counts:
            result.message = "no series in the window" + (f" matching {', '.join(label_matchers)}" if label_matchers else "")
            return result.finish()
        caps = promql.allocate(counts, o.max_series)
        tasks = []
        for name in sorted(counts):
            kind = promql.metric_kind(name, types.get(name, types.get(re.sub(r"_(bucket|count|sum|total)$", "", name), "")))
            for q in (o.quantiles if kind == "histogram" else [None]):
                query = promql.aggregate_query(name, kind, label_matchers, o.group_by, rng, q, caps[name],
                                               (window.start, window.end), step)
                plain = promql.aggregate_query(name, kind, label_matchers, o.group_by, rng, q, caps[name])
                tasks.append((promql.stored_name(name, kind, rng, q), query, plain))
        series = self._run(tasks, window, step, result)
        series = self._within_budget(series, result)
        self._coverage(series, window, step, result)
        result.batch.metrics = series
        return result.finish()

    def _series_counts(self, window: TimeWindow, label_matchers: list[str], result: FetchResult) -> dict[str, int]:
        """Series per metric name in the window (max over a few probes): one query, aggregated server-side."""
        probe = max(60.0, min(300.0, window.seconds / 6))
        query = f"count by (__name__) ({promql.any_series(label_matchers)})"
        result.queries.append(query)
        counts: dict[str, int] = {}
        for s in self.query_range(query, window.start, window.end, probe):
            name = (s.get("metric") or {}).get("__name__")
            if name:
                counts[name] = max([counts.get(name, 0)] + [int(float(v)) for _, v in s.get("values", [])])
        return counts

    def _selected(self, counts: dict[str, int], result: FetchResult) -> dict[str, int]:
        o = self.options
        inc = re.compile(o.include) if o.include else None
        exc = re.compile(o.exclude) if o.exclude else None
        names = [n for n in sorted(counts) if (inc is None or inc.fullmatch(n)) and not (exc and exc.fullmatch(n))]
        if len(names) > o.max_metrics:
            result.problems.append(f"{len(names) - o.max_metrics} of {len(names)} metrics not fetched "
                                   f"(max_metrics = {o.max_metrics}; narrow with include/matchers)")
            names = names[:o.max_metrics]
        return {n: counts[n] for n in names}

    def _range(self, query: str, plain: str, window: TimeWindow, step: float) -> list[dict[str, Any]]:
        """A range query; a server without the `@` modifier (before 2.33) gets the plain topk."""
        try:
            return self.query_range(query, window.start, window.end, step)
        except Exception as exc:  # noqa: BLE001 - re-raised unless the fallback applies
            if plain == query or not re.search(r"@|modifier", self.describe(exc)):
                raise
            return self.query_range(plain, window.start, window.end, step)

    def _run(self, tasks: list[tuple[str, str, str]], window: TimeWindow, step: float,
             result: FetchResult) -> list[dict[str, Any]]:
        """Run the range queries (a few at a time); failures become problems, not exceptions."""
        failures: dict[str, list[str]] = {}
        series: list[dict[str, Any]] = []
        streak = 0
        skipped = 0
        with ThreadPoolExecutor(max_workers=max(1, self.options.concurrency)) as pool:
            futures = [(name, query, pool.submit(self._range, query, plain, window, step))
                       for name, query, plain in tasks]
            for name, query, fut in futures:
                if streak >= ABORT_AFTER and fut.cancel():
                    skipped += 1
                    continue
                result.queries.append(query)
                try:
                    got = fut.result()
                except Exception as exc:  # noqa: BLE001 - one failing query is a gap, not a crash
                    why = self.describe(exc)
                    failures.setdefault(why, []).append(name)
                    streak = streak + 1 if re.search(r"timed out|cannot connect|broke off", why) else 0
                    continue
                streak = 0
                for s in got:
                    metric = {k: v for k, v in (s.get("metric") or {}).items() if k != "__name__"}
                    values = s.get("values") or []
                    if values:
                        series.append({"metric": {"__name__": name, **metric}, "values": values})
        total = len(tasks)
        for why, names in failures.items():
            shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
            result.problems.append(f"{len(names)} of {total} metric queries failed ({why}): {shown}")
        if skipped:
            result.problems.append(f"{skipped} of {total} metric queries skipped after {ABORT_AFTER} failures in a row")
        if failures and sum(map(len, failures.values())) + skipped == total:
            result.status = "error"
            result.message = "every metric query failed: " + "; ".join(failures)
        return series

    def _within_budget(self, series: list[dict[str, Any]], result: FetchResult) -> list[dict[str, Any]]:
        cap = self.options.max_series
        if len(series) > cap:
            result.problems.append(f"{len(series) - cap} of {len(series)} series dropped (max_series = {cap})")
            series = series[:cap]
        return series

    @staticmethod
    def _coverage(series: list[dict[str, Any]], window: TimeWindow, step: float, result: FetchResult) -> None:
        """Partial data: samples that stop (or start) well inside the window are a gap to report."""
        times = [float(s["values"][i][0]) for s in series for i in (0, -1)]
        if not times:
            return
        lo, hi = min(times), max(times)
        tol = max(3 * step, 0.05 * window.seconds)
        if hi < window.end - tol:
            result.problems.append(f"samples end at {to_rfc3339(round(hi))}, {(window.end - hi) / 60:.0f} min before "
                                   "the window ends (partial data: scrapes or blocks missing)")
        if lo > window.start + tol + promql.rate_range(step):
            result.problems.append(f"samples start at {to_rfc3339(round(lo))}, {(lo - window.start) / 60:.0f} min after "
                                   "the window starts (partial data)")
