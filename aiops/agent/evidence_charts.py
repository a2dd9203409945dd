"""Metric evidence: the anomalous series of a hypothesis, read back from the store for charts
(the TUI's evidence screen, and the diagnosis reports through `plots_for`).

A metric finding's `ref` is its series key (`name{service="a",pod="b",code="500"}`,
see `aiops.telemetry.grids.SeriesKey`); the chart is that series over the window, in
buckets fine enough for a terminal, with the finding's onset to mark.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from aiops.analytics.histograms import source_metrics
from aiops.domain import Finding, SeriesPlot, TimeWindow
from aiops.telemetry.reader import TelemetryReader
from aiops.tooling.scans.metrics import with_derived_latency

TARGET_POINTS = 240
_REF = re.compile(r'^(?P<metric>[^{}\s]+)\{(?P<labels>.*)\}$')
_LABEL = re.compile(r'(?P<key>[A-Za-z_][A-Za-z0-9_.\-/]*)="(?P<value>(?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class SeriesChart:
    metric: str
    service: str
    pod: str
    labels: tuple[tuple[str, str], ...]
    summary: str                       # the finding's sentence, or "" when charted on request
    timestamps: np.ndarray
    values: np.ndarray
    onset: float | None
    score: float = 0.0
    is_rate: bool = False

    @property
    def title(self) -> str:
        where = self.pod or self.service
        extra = ",".join(f"{k}={v}" for k, v in self.labels)
        rate = " (rate /s)" if self.is_rate else ""
        return f"{self.metric}{rate} · {where}" + (f" · {extra}" if extra else "")


def parse_series_ref(ref: str) -> tuple[str, dict[str, str]] | None:
    """`name{k="v",...}` -> (name, labels); None when `ref` is not a series key."""
    m = _REF.match(ref.strip())
    if m is None:
        return None
    return m.group("metric"), {x.group("key"): x.group("value") for x in _LABEL.finditer(m.group("labels"))}


def grid_step(window: TimeWindow) -> float:
    return max(1.0, float(np.ceil(window.seconds / TARGET_POINTS)))


def metric_charts(store: TelemetryReader, window: TimeWindow, findings: list[Finding], limit: int = 6) -> list[SeriesChart]:
    """Charts of the series behind the strongest metric findings (one per series)."""
    wanted: dict[tuple, Finding] = {}
    for f in sorted((f for f in findings if f.kind == "metric"), key=lambda f: -f.score):
        parsed = parse_series_ref(f.ref)
        metric, labels = parsed if parsed else (f.signal, {})
        labels.setdefault("service", f.service)
        if f.component.startswith("pod/"):
            labels.setdefault("pod", f.component[4:])
        key = (metric, tuple(sorted(labels.items())))
        if key not in wanted:
            wanted[key] = f
        if len(wanted) >= limit:
            break
    if not wanted:
        return []
    names = sorted({m for m, _ in wanted})
    grid = store.metric_grid(window.start, window.end, grid_step(window), metrics=source_metrics(names),
                             services=sorted({dict(ls).get("service", "") for _, ls in wanted}), counter_rates=True)
    if source_metrics(names) != names:      # quantiles / means the scan derived from histograms
        grid = with_derived_latency(grid)
    charts = []
    for (metric, labels), f in wanted.items():
        want = dict(labels)
        rows = [i for i, k in enumerate(grid.keys) if k.metric == metric and
                all({"service": k.service, "pod": k.pod, **dict(k.labels)}.get(n, "") == v for n, v in want.items())]
        if not rows:
            continue
        if "pod" in want or len(rows) == 1:
            charts.append(_chart(grid, rows[0], f.summary, f.onset, f.score))
        else:   # a service-level finding (its pods pooled): chart the mean over the pods
            charts.append(_mean_chart(grid, rows, want["service"], f.summary, f.onset, f.score))
    return charts


def _mean_chart(grid: object, rows: list[int], service: str, summary: str, onset: float | None,
                score: float) -> SeriesChart:
    k = grid.keys[rows[0]]
    block = grid.values[rows]
    counts = np.isfinite(block).sum(axis=0)
    values = np.where(counts > 0, np.nansum(block, axis=0) / np.maximum(counts, 1), np.nan)
    return SeriesChart(metric=k.metric, service=service, pod="", labels=(("pods", f"mean of {len(rows)}"),),
                       summary=summary, timestamps=grid.timestamps + grid.step / 2.0, values=values, onset=onset,
                       score=score, is_rate=bool(grid.is_rate[rows[0]]))


def metric_series(store: TelemetryReader, window: TimeWindow, metric: str, service: str | None = None,
                  onset: float | None = None, limit: int = 12) -> tuple[list[SeriesChart], int]:
    """Every series of `metric` (of one service if given), most varying first: (charts, total)."""
    names = source_metrics([metric])
    grid = store.metric_grid(window.start, window.end, grid_step(window), metrics=names,
                             services=None if service is None else [service], counter_rates=True)
    if names != [metric]:                   # a quantile / mean derived from a histogram
        grid = with_derived_latency(grid)
        keep = [i for i, k in enumerate(grid.keys) if k.metric == metric]
        grid = replace(grid, keys=[grid.keys[i] for i in keep], values=grid.values[keep], is_rate=grid.is_rate[keep])
    if len(grid) == 0:
        return [], 0
    with np.errstate(all="ignore"):
        spread = np.nan_to_num(np.nanmax(grid.values, axis=1) - np.nanmin(grid.values, axis=1), nan=-1.0)
    order = np.argsort(-spread, kind="stable")[:limit]
    return [_chart(grid, int(i), "", onset) for i in order], len(grid)


def _chart(grid: object, i: int, summary: str, onset: float | None, score: float = 0.0) -> SeriesChart:
    k = grid.keys[i]
    return SeriesChart(metric=k.metric, service=k.service, pod=k.pod, labels=k.labels, summary=summary,
                       timestamps=grid.timestamps + grid.step / 2.0, values=grid.values[i], onset=onset,
                       score=score, is_rate=bool(grid.is_rate[i]))


def _unit(metric: str, is_rate: bool) -> str:
    """The unit the release charts' axis formatter knows (aiops.release.units.format_value)."""
    if is_rate:
        return "/s"
    return "s" if metric.endswith("_seconds") else "bytes" if metric.endswith("_bytes") else ""


def plots_for(store: TelemetryReader, window: TimeWindow, findings: list[Finding], limit: int = 4) -> tuple[SeriesPlot, ...]:
    """The charts of `metric_charts` as plain domain values, for a Diagnosis."""
    half = grid_step(window) / 2.0          # the charts' times are bucket middles; plots keep the starts
    return tuple(SeriesPlot(title=c.title, service=c.service, onset=c.onset, unit=_unit(c.metric, c.is_rate),
                            timestamps=tuple(float(t) - half for t in c.timestamps),
                            values=tuple(float(v) for v in c.values))
                 for c in metric_charts(store, window, findings, limit))
