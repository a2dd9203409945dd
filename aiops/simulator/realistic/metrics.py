"""Metric series of the realistic profile: per-case vocabularies, scraped every minute.

The simulation runs at a finer step than the scrape; a scrape reads counters as raw
cumulative totals (exact), gauges as their value at the scrape, and rates and percentiles
over the last scrape interval. Vocabularies are drawn per case so no ranker can rely on one:

- resources: cAdvisor (`container_cpu_usage_seconds_total`, ...), process
  (`process_cpu_seconds_total`, ...), OpenTelemetry (`k8s.pod.cpu.time`, ...) or gauges
  (`cpu_usage_percent`, ...);
- latency: istio histograms in ms (`istio_request_duration_milliseconds_bucket`), Micrometer
  histograms in seconds, OTel `http.server.duration` in ms (histograms only: no ready-made
  percentiles), or percentile gauges in ms or seconds.

There are no error-ratio series in these vocabularies (code faults show in spans and logs
only); the petshop-like export (per-service CloudWatch-like aggregates every 5 minutes)
has an availability series instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from aiops.simulator import naming
from aiops.simulator.faults import MB
from aiops.simulator.metrics import counter_resets, cumulative
from aiops.simulator.realistic.timeline import CasePlan
from aiops.simulator.signals import PodSignals
from aiops.simulator.traffic import Traffic
from aiops.simulator.world import World

BUCKETS_S: tuple[float, ...] = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                                float("inf"))

# (metric, signal, counter, scale)
_RESOURCES = {
    "cadvisor": [("container_cpu_usage_seconds_total", "cpu", True, 1.0),
                 ("container_memory_working_set_bytes", "mem", False, 1.0),
                 ("container_network_receive_bytes_total", "rx", True, 1.0),
                 ("container_network_transmit_bytes_total", "tx", True, 1.0)],
    "process": [("process_cpu_seconds_total", "cpu", True, 1.0),
                ("process_resident_memory_bytes", "mem", False, 1.0)],
    "otel": [("k8s.pod.cpu.time", "cpu", True, 1.0), ("k8s.pod.memory.working_set", "mem", False, 1.0),
             ("k8s.pod.network.io.receive", "rx", True, 1.0), ("k8s.pod.network.io.transmit", "tx", True, 1.0)],
    "gauge": [("cpu_usage_percent", "cpu_pct", False, 1.0), ("memory_usage_mb", "mem", False, 1.0 / MB),
              ("network_rx_kbps", "rx", False, 1.0 / 1024), ("network_tx_kbps", "tx", False, 1.0 / 1024)],
}
# name prefix, unit scale (seconds ->), histogram?, requests metric and whether it is a counter
_LATENCY = {
    "istio": ("istio_request_duration_milliseconds", 1000.0, True, ("istio_requests_total", True)),
    "micrometer": ("http_server_requests_seconds", 1.0, True, ("http_server_requests_seconds_count", True)),
    "otel": ("http.server.duration", 1000.0, True, ("http.server.duration_count", True)),
    "percentiles_ms": ("latency_{q}_ms", 1000.0, False, ("request_rate", False)),
    "percentiles_s": ("latency_{q}_seconds", 1.0, False, ("requests_total", True)),
}
_QUANTILES = {"percentiles_ms": ((0.5, "p50"), (0.9, "p90"), (0.99, "p99")),
              "percentiles_s": ((0.5, "p50"), (0.95, "p95"), (0.99, "p99"))}


@dataclass
class Sampled:
    metric: str
    service: str
    pod: str
    le: str
    ts: np.ndarray
    values: np.ndarray


def histogram_quantile(q: float, counts: np.ndarray, bounds: tuple[float, ...]) -> np.ndarray:
    """Prometheus' histogram_quantile: counts (B, T) cumulative per bound (last +Inf) -> (T,)."""
    total = counts[-1]
    rank = q * total
    b = np.argmax(counts >= rank[None, :], axis=0)
    finite = np.array(bounds[:-1])
    upper = np.append(finite, finite[-1])[b]
    lower = np.where(b > 0, np.append([0.0], finite)[b], 0.0)
    below = np.where(b > 0, np.take_along_axis(counts, np.maximum(b - 1, 0)[None, :], 0)[0], 0.0)
    inside = np.take_along_axis(counts, b[None, :], 0)[0] - below
    frac = np.where(inside > 0, (rank - below) / np.maximum(inside, 1e-12), 1.0)
    out = np.where(b == len(bounds) - 1, finite[-1], lower + (upper - lower) * frac)
    return np.where(total > 0, out, np.nan)


def _le(bound: float, scale: float) -> str:
    return "+Inf" if not np.isfinite(bound) else f"{bound * scale:g}"


def _window_sum(x: np.ndarray, r: int) -> np.ndarray:
    """Sum over the last `r` steps (inclusive) along the last axis."""
    c = np.cumsum(x, axis=-1)
    out = c.copy()
    out[..., r:] = c[..., r:] - c[..., :-r]
    return out


def _window_mean(x: np.ndarray, r: int) -> np.ndarray:
    """Mean over the last `r` steps (fewer at the start: an average over the steps there are,
    as an exporter's rate over what it has seen, never a partial sum)."""
    return _window_sum(x, r) / np.minimum(np.arange(1, x.shape[-1] + 1), r)


def k8s_series(world: World, signals: dict[str, PodSignals], traffic: Traffic, plan: CasePlan) -> list[Sampled]:
    """Per-pod series for the system-a/b-like exports, scraped every `plan.scrape` seconds."""
    rng = naming.stream(world.seed, "realistic:metrics")
    clock = world.clock
    r = max(1, int(round(plan.scrape / clock.step)))
    out: list[Sampled] = []
    for name, st in world.services.items():
        sig, hist = signals[name], traffic.histogram[name]
        is_app = st.spec.kind in ("web", "app")
        for j, slot in enumerate(st.slots):
            resets = counter_resets(slot)
            values: dict[tuple[str, str], np.ndarray] = {}
            for metric, signal, counter, scale in _RESOURCES[plan.resource_vocab]:
                v = sig.cpu[j] * 100.0 / st.spec.cpu_limit if signal == "cpu_pct" else getattr(sig, signal)[j]
                if counter:
                    v = cumulative(v, clock.step, resets, float(np.mean(v)) * rng.uniform(3e3, 3e5))
                elif signal in ("cpu_pct", "rx", "tx"):
                    v = _window_mean(v, r)
                values[(metric, "")] = v * scale
            if is_app:
                values.update(_latency_values(np.nan_to_num(sig.rps[j]), np.nan_to_num(traffic.mean_latency[name][j]),
                                              hist[:, j], clock.step, r, resets, plan, rng))
            for g, (g_start, pod, _) in enumerate(slot.generations):
                g_end = slot.generations[g + 1][0] if g + 1 < len(slot.generations) else clock.n
                phase = int(rng.integers(0, r))
                idx = np.arange(g_start, g_end)
                idx = idx[((idx - phase) % r == 0) & slot.up[g_start:g_end]]
                if idx.size == 0:
                    continue
                ts = clock.start + (idx + 1) * clock.step + rng.normal(0.0, 0.3, idx.size)
                for (metric, le), v in values.items():
                    out.append(Sampled(metric, name, pod, le, ts, v[idx]))
    return out


def _latency_values(rps: np.ndarray, mean_lat: np.ndarray, hist: np.ndarray, step: float, r: int,
                    resets: np.ndarray, plan: CasePlan, rng: np.random.Generator) -> dict[tuple[str, str], np.ndarray]:
    """One pod's request and latency series: rps and mean seconds (T,), histogram rates (B, T)."""
    prefix, scale, histo, (req_name, req_counter) = _LATENCY[plan.latency_vocab]
    offset = float(np.mean(rps)) * rng.uniform(3e3, 3e5)
    out: dict[tuple[str, str], np.ndarray] = {}
    if histo:
        share = hist.mean(axis=1) / max(float(hist[-1].mean()), 1e-12)
        for b, bound in enumerate(BUCKETS_S):
            out[(f"{prefix}_bucket", _le(bound, scale))] = cumulative(hist[b], step, resets, offset * share[b])
        typical = float(np.median(mean_lat[mean_lat > 0])) if (mean_lat > 0).any() else 0.0
        out[(f"{prefix}_sum", "")] = cumulative(mean_lat * rps * scale, step, resets, offset * typical * scale)
        out[(req_name, "")] = cumulative(rps, step, resets, offset)
        return out
    window = _window_sum(hist, r) * step
    for q, label in _QUANTILES[plan.latency_vocab]:
        out[(prefix.format(q=label), "")] = histogram_quantile(q, window, BUCKETS_S) * scale
    out[(req_name, "")] = cumulative(rps, step, resets, offset) if req_counter else _window_mean(rps, r)
    return out


def cloudwatch_series(world: World, traffic: Traffic, plan: CasePlan,
                      display: dict[str, str]) -> list[Sampled]:
    """Per-node aggregates every period: latency average and percentiles, request count,
    availability (the petshop-like export: no pods, no resources). Besides each service's own
    node, every callee has client-side nodes (`<name>_client` and a load balancer's `<name>-lb_remote`,
    `<name>_remote` for stores) with what its callers saw, as tracing service maps record them;
    noise, spikes and cold starts on top, and a quarter of the service nodes report no latency."""
    rng = naming.stream(world.seed, "realistic:cloudwatch")
    clock = world.clock
    unit, scale = ("seconds", 1.0) if plan.latency_vocab == "seconds" else ("ms", 1000.0)
    names = {"req": str(rng.choice(["requests_sum_total", "request_count"])),
             "avail": "availability_average_percent" if rng.random() < 0.5 else "availability_average_ratio"}
    sigma = rng.uniform(0.06, 0.2)
    out: list[Sampled] = []
    for name, st in world.services.items():
        rps = traffic.rps[name].sum(axis=0)
        if not rps.any():
            continue
        avg = np.nansum(np.nan_to_num(traffic.mean_latency[name]) * traffic.rps[name], axis=0) / np.maximum(rps, 1e-12)
        hist = traffic.histogram[name].sum(axis=1) * clock.step
        cold = (rng.random(clock.n) < 0.02) * rng.uniform(0.5, 3.0, clock.n) if st.spec.runtime in (
            "node", "python") else np.zeros(clock.n)
        quantiles = {label: histogram_quantile(q, hist, BUCKETS_S) * (1 + cold * q)
                     for q, label in ((0.5, "p50"), (0.9, "p90"), (0.95, "p95"), (0.99, "p99"))}
        if rng.random() < 0.25:      # some nodes report requests and availability only
            avg, quantiles = np.full(clock.n, np.nan), {}
        out += _node(display.get(name, name), clock.times(), rps, traffic.errors[name].sum(axis=0),
                     avg * (1 + 0.3 * cold), quantiles, unit, scale, sigma, names, clock.step, rng)
    for callee in world.services:
        edges = [e for (_, c), e in traffic.edges.items() if c == callee]
        if not edges:
            continue
        rate = sum(e.rate.sum(axis=0) for e in edges)
        avg = sum(e.latency_sum.sum(axis=0) for e in edges) / np.maximum(rate, 1e-12)
        base = re.sub(r"_(AWS|Database)::.*$", "", display.get(callee, callee))
        store = world.services[callee].spec.is_store
        errors = sum(e.errors.sum(axis=0) for e in edges)
        views = [base + ("_remote" if store else "_client")] + ([] if store else [f"{base.lower()[:5]}-lb_remote"])
        for view in views:          # the SDK's view, and the load balancer's in front of a service
            out += _node(view, clock.times(), rate, errors, avg, {}, unit, scale, sigma, names, clock.step, rng)
    return out


def _node(node: str, ts: np.ndarray, rps: np.ndarray, err: np.ndarray, avg: np.ndarray,
          quantiles: dict[str, np.ndarray], unit: str, scale: float, sigma: float, names: dict[str, str],
          period: float, rng: np.random.Generator) -> list[Sampled]:
    served = rps > 0
    spikes = (rng.random(ts.size) < rng.uniform(0.005, 0.03)) * rng.uniform(0.5, 3.0, ts.size)
    noisy = np.exp(rng.normal(0.0, sigma, ts.size)) * (1.0 + spikes)
    series = {f"latency_average_{unit}": avg * noisy * scale}
    series |= {f"latency_{label}_{unit}": q * noisy * scale for label, q in quantiles.items()}
    series[names["req"]] = np.round(rps * period)
    ok = 1.0 - err / np.maximum(rps, 1e-12)
    series[names["avail"]] = ok * (100.0 if names["avail"].endswith("percent") else 1.0)
    out = []
    for metric, v in series.items():
        keep = np.isfinite(v) & served
        out.append(Sampled(metric, node, "", "", ts[keep], v[keep]))
    return out


def shift_latency(series: list[Sampled], node: str, from_ts: float, factor: float) -> int:
    """Multiply a node's latency series by `factor` from `from_ts` on (a shift that explains
    nothing: the node is not on the symptom's path); returns how many series moved."""
    moved = 0
    for s in series:
        if s.service == node and s.metric.startswith("latency_"):
            s.values = np.where(s.ts >= from_ts, s.values * factor, s.values)
            moved += 1
    return moved
