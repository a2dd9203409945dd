"""Metric series as a Prometheus export would show them: names, counters, labels, scrapes.

Two naming styles: `cadvisor` (container_* counters from the kubelet, kube-state-metrics
restarts, app histograms as quantile gauges, exporter metrics for stores) and `gauge`
(an RCAEval-like export of per-pod gauges: cpu ratio, request rate, error ratio).
Scrapes have per-target phases and jitter; samples go missing; a pod that is down has no
samples except `up == 0` and its restart count; counters reset when a container restarts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aiops.simulator import naming
from aiops.simulator.signals import PodSignals, error_ratio
from aiops.simulator.world import PodSlot, ServiceState, World

_EXPORTER_PORT = {"postgres": 9187, "mysql": 9104, "redis": 9121, "kafka": 9308, "mongo": 9216, "rabbitmq": 9419}


@dataclass
class Series:
    metric: str
    service: str
    pod: str
    instance: str
    ts: np.ndarray
    values: np.ndarray
    counter: bool


def cumulative(rate: np.ndarray, step: float, resets: np.ndarray, offset: float) -> np.ndarray:
    """Cumulative value of a per-second rate, starting over from 0 where `resets` is True."""
    total = np.cumsum(np.nan_to_num(rate) * step)
    starts = np.flatnonzero(resets)
    before = np.concatenate([[0.0], np.where(starts > 0, total[starts - 1], 0.0)])
    seg = np.cumsum(resets)
    return total - before[seg] + np.where(seg == 0, offset, 0.0)


def _families(st: ServiceState, style: str) -> list[tuple[str, str, str, bool]]:
    """(metric name, signal, source, counter) for a service: source is kubelet, ksm, app or exporter."""
    rt, kind = st.spec.runtime, st.spec.kind
    if style == "cadvisor":
        fam = [("container_cpu_usage_seconds_total", "cpu", "kubelet", True),
               ("container_cpu_cfs_throttled_periods_total", "throttled", "kubelet", True),
               ("container_memory_working_set_bytes", "mem", "kubelet", False),
               ("container_network_receive_bytes_total", "rx", "kubelet", True),
               ("container_network_transmit_bytes_total", "tx", "kubelet", True),
               ("container_network_transmit_packets_dropped_total", "drops", "kubelet", True),
               ("container_fs_usage_bytes", "disk", "kubelet", False),
               ("kube_pod_container_status_restarts_total", "restarts", "ksm", False)]
    else:
        fam = [("cpu_usage_ratio", "cpu_ratio", "kubelet", False),
               ("memory_usage_bytes", "mem", "kubelet", False),
               ("network_receive_bytes_total", "rx", "kubelet", True),
               ("network_transmit_bytes_total", "tx", "kubelet", True),
               ("filesystem_available_bytes", "disk_free", "kubelet", False),
               ("container_restarts_total", "restarts", "ksm", False)]
    if kind == "batch":
        return fam[:3]
    if style == "cadvisor":
        fam.append(("up", "up", "app" if kind in ("web", "app") else "exporter", False))
    if kind in ("web", "app"):
        if style == "cadvisor":
            fam += [("http_requests_total", "rps", "app", True), ("http_errors_total", "err_rps", "app", True)]
        else:
            fam += [("requests_per_second", "rps", "app", False), ("error_ratio", "err_ratio", "app", False)]
        fam += [("latency_p50_seconds", "p50", "app", False), ("latency_p90_seconds", "p90", "app", False)]
        if style == "cadvisor":     # RCAEval-like gauge exports carry p50/p90 only
            fam.append(("latency_p99_seconds", "p99", "app", False))
        fam += {"java": [("jvm_threads_live_threads", "threads", "app", False),
                         ("jvm_gc_pause_seconds_sum", "gc", "app", True)],
                "go": [("go_goroutines", "threads", "app", False), ("go_gc_duration_seconds_sum", "gc", "app", True)],
                "node": [("nodejs_active_handles", "threads", "app", False),
                         ("nodejs_eventloop_lag_seconds", "evloop", "app", False)],
                "python": [("process_threads", "threads", "app", False)],
                "dotnet": [("dotnet_threadpool_num_threads", "threads", "app", False),
                           ("dotnet_gc_pause_seconds_total", "gc", "app", True)],
                "nginx": [("nginx_connections_active", "threads", "app", False)]}.get(rt, [])
        if st.spec.pool_size:
            if rt == "java" and style == "gauge":
                fam += [("mongodb_driver_pool_checkedout", "pool_active", "app", False),
                        ("mongodb_driver_pool_waitqueuesize", "pool_pending", "app", False)]
            elif rt == "java":
                fam += [("hikaricp_connections_active", "pool_active", "app", False),
                        ("hikaricp_connections_pending", "pool_pending", "app", False)]
            else:
                fam += [("db_pool_connections_in_use", "pool_active", "app", False),
                        ("db_pool_wait_queue_length", "pool_pending", "app", False)]
        return fam
    fam += {"postgres": [("pg_stat_activity_count", "connections", "exporter", False),
                         ("pg_stat_database_xact_commit", "rps", "exporter", True),
                         ("pg_stat_activity_max_tx_duration", "max_tx_age", "exporter", False)],
            "mysql": [("mysql_global_status_threads_connected", "connections", "exporter", False),
                      ("mysql_global_status_queries", "rps", "exporter", True),
                      ("mysql_global_status_slow_queries", "slow", "exporter", True)],
            "redis": [("redis_connected_clients", "connections", "exporter", False),
                      ("redis_commands_processed_total", "rps", "exporter", True),
                      ("redis_commands_duration_seconds_total", "busy", "exporter", True)],
            "kafka": [("kafka_server_brokertopicmetrics_messagesin_total", "rps", "exporter", True),
                      ("kafka_consumergroup_lag", "lag", "exporter", False)],
            "mongo": [("mongodb_connections_current", "connections", "exporter", False),
                      ("mongodb_op_counters_total", "rps", "exporter", True),
                      ("mongodb_op_latencies_latency_total", "busy_us", "exporter", True)],
            "rabbitmq": [("rabbitmq_connections", "connections", "exporter", False),
                         ("rabbitmq_queue_messages", "lag", "exporter", False)]}.get(rt, [])
    return fam


def _signal(sig: PodSignals, st: ServiceState, name: str, j: int) -> np.ndarray:
    if name == "cpu_ratio":
        return sig.cpu[j] / st.spec.cpu_limit
    if name == "disk_free":
        return sig.disk_cap - sig.disk[j]
    if name == "err_ratio":
        return error_ratio(sig)[j]
    if name == "up":
        return st.slots[j].up.astype(float)
    if name == "restarts":
        return st.slots[j].restarts.astype(float)
    if name == "evloop":
        return 0.002 + 0.5 * np.nan_to_num(sig.p50[j]) * sig.cpu[j] / st.spec.cpu_limit
    if name == "slow":
        return sig.rps[j] * 0.05 * np.clip((np.nan_to_num(sig.p99[j]) - 0.05) / 0.5, 0, 1)
    if name == "busy":
        return sig.rps[j] * sig.store_latency[j]
    if name == "busy_us":
        return sig.rps[j] * sig.store_latency[j] * 1e6
    return getattr(sig, name)[j]


def build_series(world: World, signals: dict[str, PodSignals]) -> list[Series]:
    rng = naming.stream(world.seed, "metrics")
    clock, style = world.clock, world.topology.metric_style
    out: list[Series] = []
    nodes = [f"10.0.1.{i}" for i in rng.integers(10, 60, 4)]
    ksm = f"{naming.pod_ip(rng)}:8080"
    for name, st in world.services.items():
        sig = signals[name]
        fams = _families(st, style)
        for j, slot in enumerate(st.slots):
            node = nodes[int(rng.integers(0, len(nodes)))]
            resets = counter_resets(slot)
            values = {}
            for metric, signal, _, counter in fams:
                v = _signal(sig, st, signal, j)
                if counter:
                    offset = 0.0 if st.spec.kind == "batch" else float(np.nanmean(v)) * rng.uniform(3e3, 3e5)
                    v = cumulative(v, clock.step, resets, offset)
                values[metric] = v
            for g, (g_start, pod, ip) in enumerate(slot.generations):
                g_end = slot.generations[g + 1][0] if g + 1 < len(slot.generations) else clock.n
                steps = np.arange(g_start, g_end)
                if st.spec.kind == "batch":
                    steps = steps[slot.up[steps]]
                if steps.size == 0:
                    continue
                phases = {src: rng.uniform(0, clock.step) for src in ("kubelet", "ksm", "app", "exporter")}
                port = _EXPORTER_PORT.get(st.spec.runtime, st.spec.port)
                inst = {"kubelet": f"{node}:10250", "ksm": ksm, "app": f"{ip}:{st.spec.port}",
                        "exporter": f"{ip}:{port}"}
                running = slot.up[steps]
                for metric, signal, source, counter in fams:
                    keep = running | (signal in ("up", "restarts"))
                    idx = steps[keep]
                    if idx.size == 0:
                        continue
                    jitter = rng.normal(0.0, 0.08, idx.size) + (rng.random(idx.size) < 0.02) * rng.uniform(
                        0.3, 1.5, idx.size)
                    ts = clock.start + idx * clock.step + phases[source] + jitter
                    out.append(Series(metric, name, pod, inst[source], ts, values[metric][idx], counter))
    return out


def counter_resets(slot: PodSlot) -> np.ndarray:
    """Steps where a new container starts (restart or new pod): counters start over."""
    r = np.diff(slot.restarts, prepend=slot.restarts[0]) > 0
    for g, _, _ in slot.generations[1:]:
        r[g] = True
    down_then_up = np.concatenate([[False], ~slot.up[:-1] & slot.up[1:]])
    return r | down_then_up
