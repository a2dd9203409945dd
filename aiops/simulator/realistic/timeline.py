"""The per-case draw of the realistic profile: which system, when things happen, what is exported.

Times follow public fault-injection data: metrics at 1-minute scrapes from a few minutes
before the alert (system-a-like 2-19 min, median ~7; system-b-like 1-10 min, median ~3),
spans from under a minute before the alert, logs from about a minute before, both to about
two minutes after; the petshop-like system has 5-minute metrics with (sometimes) a day of
history. The alert is late: it fires 0-3 minutes after the fault began, never before the
first metric sample. The incident window may be wider than the data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aiops.simulator import naming

STYLES: tuple[str, ...] = ("system-a-like", "system-b-like", "petshop-like")
RESOURCE_VOCABS = ("cadvisor", "process", "otel", "gauge")
LATENCY_VOCABS = ("istio", "micrometer", "otel", "percentiles_ms", "percentiles_s")
HISTOGRAM_VOCABS = ("istio", "micrometer", "otel")


@dataclass(frozen=True)
class CasePlan:
    style: str
    step: float                          # internal simulation step, seconds
    scrape: float                        # metric scrape interval, seconds
    samples_per_step: int
    alert_ts: float
    pre_s: float                         # metrics before the alert
    post_s: float                        # metrics after the alert
    lag_s: float                         # alert time minus fault onset
    spans: tuple[float, float] | None    # time range of exported spans (None: no traces)
    logs: tuple[float, float] | None
    events: bool
    span_target: int
    log_target: int
    resource_vocab: str
    latency_vocab: str
    widen: tuple[float, float]           # incident.toml [window] reaches this far before/after the data
    metrics_rfc3339: bool
    service_column: bool                 # False: series carry only `pod`
    missing_rate: float

    @property
    def start(self) -> float:
        return self.alert_ts - self.pre_s

    @property
    def onset_ts(self) -> float:
        return self.alert_ts - self.lag_s

    @property
    def histograms_only(self) -> bool:
        return self.latency_vocab in HISTOGRAM_VOCABS

    @property
    def modalities(self) -> tuple[str, ...]:
        return ("metrics",) + (("logs",) if self.logs else ()) + (("traces",) if self.spans else ())


def _minutes(rng: np.random.Generator, median: float, sigma: float, lo: int, hi: int) -> int:
    return int(np.clip(round(float(np.exp(rng.normal(np.log(median), sigma)))), lo, hi))


def draw_plan(style: str, seed: int, needs: str = "") -> CasePlan:
    """Everything about a case's timing and export, reproducibly from `seed`. `needs`: "spans" or
    "spans_or_logs" keeps traces (or logs) whatever the draw said, for faults only they show."""
    rng = naming.stream(seed, f"realistic:plan:{style}")
    day = 1704067200 + 86400 * int(rng.integers(0, 330))
    alert = float(day + int(rng.integers(0, 86400)))
    if style == "petshop-like":
        return _petshop(rng, alert)
    a_like = style == "system-a-like"
    pre = (_minutes(rng, 7, 0.5, 2, 19) if a_like else _minutes(rng, 3, 0.6, 1, 10)) * 60 + rng.uniform(5, 55)
    post = rng.uniform(2, 6) * 60
    # The alert is late: mostly by under a minute and a half, now and then by up to three.
    u = rng.random()
    lag = rng.uniform(0, 30) if u < 0.45 else rng.uniform(30, 90) if u < 0.85 else rng.uniform(90, 180)
    lag = float(min(lag, max(pre - 65.0, 0.0)))       # at least one healthy scrape
    spans = (alert - (rng.uniform(45, 75) if a_like else rng.uniform(35, 50)), alert + rng.uniform(100, 140))
    logs = (alert - rng.uniform(50, 75), alert + rng.uniform(100, 140))
    has_traces = rng.random() < 0.85
    has_logs = a_like and rng.random() < 0.85
    if (needs == "spans_or_logs" and not has_logs) or needs == "spans":
        has_traces = True
    widen = (rng.uniform(5, 30) * 60, rng.uniform(0, 10) * 60) if rng.random() < 0.4 else (0.0, 0.0)
    return CasePlan(
        style=style, step=10.0, scrape=60.0, samples_per_step=60 if a_like else 160, alert_ts=alert, pre_s=pre,
        post_s=post, lag_s=lag, spans=spans if has_traces else None, logs=logs if has_logs else None,
        events=rng.random() < 0.3,
        span_target=int(rng.uniform(8000, 14000) if a_like else rng.uniform(30000, 60000)),
        log_target=int(rng.uniform(3000, 4500)),
        resource_vocab=str(rng.choice(RESOURCE_VOCABS)), latency_vocab=str(rng.choice(LATENCY_VOCABS)),
        widen=widen, metrics_rfc3339=rng.random() < 0.3, service_column=rng.random() < 0.85,
        missing_rate=float(rng.choice([0.0, 0.005, 0.02])))


def _petshop(rng: np.random.Generator, alert: float) -> CasePlan:
    period = 300.0
    history = 86400.0 if rng.random() < 0.5 else rng.uniform(1, 4) * 3600
    start = (alert - history) // period * period
    lag = float((1.0 if rng.random() < 0.3 else 0.0) * period + rng.uniform(0, period))   # within two samples
    post = float(rng.uniform(10, 20) * 60)
    return CasePlan(
        style="petshop-like", step=period, scrape=period, samples_per_step=100, alert_ts=alert,
        pre_s=alert - start, post_s=post, lag_s=lag, spans=None, logs=None, events=False, span_target=0,
        log_target=0, resource_vocab="none", latency_vocab=str(rng.choice(["seconds", "ms"])),
        widen=(0.0, 0.0), metrics_rfc3339=rng.random() < 0.3, service_column=True,
        missing_rate=float(rng.choice([0.0, 0.01, 0.03])))
