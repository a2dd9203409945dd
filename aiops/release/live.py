"""The post-release gate's windows read from live sources instead of a bundle.

    store, notes, missing = fetch_release(settings, sources, windows, services)

Metrics (Prometheus) are aggregated by Prometheus itself, per service, at the gate's own
bucket step, for the release day and each previous day's same hours — one range query per
golden-signal metric and day, nothing per pod:

    counters            sum|avg by (service…) (rate(m[R]))        traffic, errors, latency sums/counts: sum;
                                                                  CPU seconds: avg (per pod, as the gate reads it)
    latency histograms  sum by (service…, le) (rate(m_bucket[R]))  -> histogram_quantile in the gate
    restart counters    sum by (service…) (rate(m[R]))
    gauges              avg|sum by (service…, quantile) (avg_over_time(m[step]))

R is one step plus one scrape interval: at the end of each bucket it spans from the last
sample before the bucket to the last one in it — the same increase the bundle path takes
from the raw samples (a plain [step] range would see half of it). Each answer is stored at
the middle of its bucket; rates are stored as a cumulative counter of the same name, so the
gate's own counter handling (rates per bucket, restarts as increases) reads them exactly as
it reads a bundle's raw counters. Other metrics are not fetched: they are not compared.

Logs, traces and events (Loki, Jaeger, Tempo, Kubernetes, files) are read with each
source's own fetch over the release day's baseline and after windows.
"""

from __future__ import annotations

import math
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from aiops.analytics.signals import signal_class
from aiops.config import Settings
from aiops.domain import TimeWindow
from aiops.errors import one_line
from aiops.release.golden import bucket_step
from aiops.release.model import ReleaseWindows
from aiops.telemetry.live import promql

GOLDEN_CLASSES = ("latency", "errors", "traffic", "cpu", "memory", "restarts")
BY = ("service", "service_name", "app_kubernetes_io_name", "app", "container", "job", "namespace")
_COUNTER = re.compile(r"(_total|_count|_sum)$")
_BUCKET = re.compile(r"^(.*)_bucket$")
_PERSEC = re.compile(r"per_second|rps|qps|throughput")
_SUMMED = ("traffic", "errors", "restarts")


@dataclass(frozen=True)
class MetricQuery:
    name: str                 # the metric, as stored
    expr: str                 # PromQL with {range} and {step} placeholders
    cumulative: bool          # a rate, stored as a cumulative counter


def plan_queries(names: dict[str, str], label_matchers: list[str]) -> list[MetricQuery]:
    """One aggregated query per golden-signal metric (`names`: name -> Prometheus type)."""
    sel = ",".join(label_matchers)
    by = ", ".join(BY)
    out = []
    for name in sorted(names):
        bucket = _BUCKET.match(name)
        if bucket:
            if signal_class(bucket.group(1)) == "latency":
                out.append(MetricQuery(name, f"sum by ({by}, le) (rate({name}{{{sel}}}[{{range}}]))", True))
            continue
        cls = signal_class(name)
        if cls not in GOLDEN_CLASSES:
            continue
        counter = bool(_COUNTER.search(name)) or names[name] == "counter"
        if counter:
            how = "sum" if cls in _SUMMED or name.endswith(("_sum", "_count")) else "avg"
            stored = name if _COUNTER.search(name) else f"{name}_total"
            out.append(MetricQuery(stored, f"{how} by ({by}) (rate({name}{{{sel}}}[{{range}}]))", True))
        else:
            how = "sum" if cls == "traffic" and _PERSEC.search(name.lower()) else "avg"
            out.append(MetricQuery(name, f"{how} by ({by}, quantile) (avg_over_time({name}{{{sel}}}[{{step}}]))", False))
    return out


def _stored(series: list[dict[str, Any]], q: MetricQuery, step: float) -> list[dict[str, Any]]:
    """Answers at bucket ends -> samples at bucket middles; rates -> a cumulative counter."""
    out = []
    for s in series:
        labels = {k: v for k, v in (s.get("metric") or {}).items() if k != "__name__"}
        points = [(float(t), float(v)) for t, v in s.get("values") or [] if math.isfinite(float(v))]
        if not points:
            continue
        if q.cumulative:
            total, values = 0.0, [[points[0][0] - 1.5 * step, "0"]]
            for t, v in points:
                total += max(v, 0.0) * step
                values.append([t - step / 2, repr(total)])
        else:
            values = [[t - step / 2, repr(v)] for t, v in points]
        out.append({"metric": {"__name__": q.name, **labels}, "values": values})
    return out


def _day_spans(windows: ReleaseWindows, days: list[int], step: float) -> list[tuple[int, float, float]]:
    n_before = int(round(windows.baseline_s / step))
    start = windows.deployed_at - n_before * step
    end = windows.span.end
    return [(back, start - back * 86400.0, end - back * 86400.0) for back in [0, *days]]


def _scrape_interval(prom: Any, name: str, at: float) -> float:
    """Seconds between samples of `name` (0 when unknown)."""
    try:
        got = prom.query(f"quantile(0.5, count_over_time({name}[10m]))", at=at)
        n = float(got[0]["value"][1]) if got else 0.0
    except Exception:  # noqa: BLE001 - a hint only
        return 0.0
    return 600.0 / n if n > 0 else 0.0


def prometheus_release_series(prom: Any, windows: ReleaseWindows, notes: list[str],
                              queries_run: list[str]) -> list[dict[str, Any]]:
    """Golden-signal series of one Prometheus source over the release day and previous days."""
    o = prom.options
    step = bucket_step(windows.after_s)
    label_matchers = promql.matchers(o.matchers, o.namespace_label, o.namespace or None)
    count_q = f"count by (__name__) ({promql.any_series(label_matchers)})"
    queries_run.append(count_q)
    names: dict[str, str] = {}
    present: list[int] = []                  # previous days the server holds data for
    for back, lo, hi in _day_spans(windows, list(range(1, windows.history_days + 1)), step):
        found = [(s.get("metric") or {}).get("__name__") for s in prom.query_range(count_q, lo, hi, max(300.0, (hi - lo) / 4))]
        names.update((n, "") for n in found if n)
        if back == 0 and not names:
            return []
        if back and found:
            present.append(back)
    try:
        types = prom.metadata()
    except Exception:  # noqa: BLE001 - names decide without it
        types = {}
    names = {n: types.get(n, types.get(re.sub(r"_(bucket|count|sum|total)$", "", n), "")) for n in names}
    plan = plan_queries(names, label_matchers)
    if not plan:
        return []
    sample = next((n for n in sorted(names) if _COUNTER.search(n)), None)
    scrape = _scrape_interval(prom, sample, windows.deployed_at) if sample else 0.0
    rng = step + (scrape or step)        # reaches back to the previous bucket's last sample, as the bundle path does
    spans = _day_spans(windows, present, step)
    tasks = [(q, back, lo, hi) for q in plan for back, lo, hi in spans]
    out: list[dict[str, Any]] = []
    failed: list[str] = []

    def run(task: tuple[MetricQuery, int, float, float]) -> list[dict[str, Any]]:
        q, _, lo, hi = task
        expr = q.expr.replace("{range}", promql.duration(rng)).replace("{step}", promql.duration(step))
        return _stored(prom.query_range(expr, lo + step, hi, step), q, step)

    with ThreadPoolExecutor(max_workers=max(1, o.concurrency)) as pool:
        for task, fut in [(t, pool.submit(run, t)) for t in tasks]:
            queries_run.append(task[0].expr)
            try:
                out.extend(fut.result())
            except Exception as exc:  # noqa: BLE001 - one failing query is a gap, named below
                failed.append(f"{task[0].name} (day -{task[1]}): {one_line(exc)}")
    notes.append(f"{prom.label}: {len(plan)} golden-signal metrics aggregated by Prometheus per service, "
                 f"step {promql.duration(step)}, rate range {promql.duration(rng)}, {len(spans)} day(s)")
    if failed:
        notes.append(f"{prom.label}: {len(failed)} queries failed: " + "; ".join(failed[:3]))
    return out


def fetch_release(settings: Settings, sources: list[Any], windows: ReleaseWindows, services: tuple[str, ...] = ()):
    """(store, notes, missing): the release windows from live sources, in a TelemetryStore."""
    from aiops.telemetry.live.base import FetchScope
    from aiops.telemetry.live.collect import load_window
    from aiops.telemetry.live.result import FetchResult
    from aiops.telemetry.store import TelemetryStore

    store = TelemetryStore()
    notes: list[str] = []
    missing: list[str] = []
    day = TimeWindow(windows.before.start, windows.after.end)
    try:
        for src in sources:
            try:
                if src.kind == "prometheus":
                    result = FetchResult(source=src.label)
                    result.batch.metrics = prometheus_release_series(src, windows, notes, result.queries)
                    load_window(store, result.finish(), windows.data_span())
                else:
                    result = load_window(store, src.fetch(day, FetchScope(service=services[0] if services else None)),
                                         day)
                    if result.status != "error":
                        notes.append(f"{src.label}: {result.summary()}")
                missing.extend(result.missing())
            except Exception as exc:  # noqa: BLE001 - one source down never sinks the gate
                missing.append(f"{src.label}: {src.describe(exc) if hasattr(src, 'describe') else one_line(exc)}")
            finally:
                src.close()
    except BaseException:
        store.close()
        raise
    return store, notes, missing
