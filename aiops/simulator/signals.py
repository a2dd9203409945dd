"""Per-pod signals derived from traffic and conditions, in generic (style-free) form.

Everything here is a (pods, T) array of *rates and levels* (requests/s, cores, bytes,
seconds); `metrics.py` turns them into named series (counters, gauges, ratios) in one of
the naming styles.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from aiops.simulator import naming
from aiops.simulator.contention import cpu_demand
from aiops.simulator.faults import MB, disk_base_fill, disk_capacity, pool_timeout
from aiops.simulator.traffic import Traffic
from aiops.simulator.world import ServiceState, World


@dataclass
class PodSignals:
    rps: np.ndarray
    err_rps: np.ndarray
    p50: np.ndarray
    p90: np.ndarray
    p99: np.ndarray
    cpu: np.ndarray            # cores used
    throttled: np.ndarray      # CFS periods throttled per second
    mem: np.ndarray            # bytes
    disk: np.ndarray           # bytes used
    disk_cap: float
    rx: np.ndarray             # bytes/s
    tx: np.ndarray
    drops: np.ndarray          # packets dropped/s
    threads: np.ndarray
    gc: np.ndarray             # GC seconds per second
    pool_active: np.ndarray
    pool_pending: np.ndarray
    connections: np.ndarray    # stores: client connections
    store_latency: np.ndarray  # stores: mean seconds per operation
    max_tx_age: np.ndarray     # stores: age of the oldest open transaction, seconds
    lag: np.ndarray            # queues: backlog


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan)


def _sizes(seed: int, service: str) -> tuple[float, float]:
    h = zlib.crc32(f"{seed}:{service}:sizes".encode())
    return 600.0 + h % 1400, 1500.0 + (h >> 11) % 18000


def compute_signals(world: World, traffic: Traffic) -> dict[str, PodSignals]:
    rng = naming.stream(world.seed, "signals")
    n = world.clock.n
    out: dict[str, PodSignals] = {}
    client_conns: dict[str, np.ndarray] = {s: np.zeros(n) for s in world.services}
    leak_age: dict[str, np.ndarray] = {s: np.zeros(n) for s in world.services}
    order = sorted(world.services, key=lambda s: world.services[s].spec.is_store)   # clients before stores
    for name in order:
        st = world.services[name]
        k = st.k
        up = st.up_matrix()
        rps, err_rps = traffic.rps[name], traffic.errors[name]
        q = traffic.quantiles[name]
        mlat = np.nan_to_num(traffic.mean_latency[name])

        def noise(s: float = 0.04, k: int = k) -> np.ndarray:
            return np.exp(rng.normal(0.0, s, (k, n)))

        demand = cpu_demand(st, rps) * noise()
        limit = st.spec.cpu_limit
        cpu = np.where(up, np.minimum(demand, limit), 0.0)
        throttled = np.where(up, 10.0 * np.clip((demand / limit - 0.85) / 0.3, 0, 1), 0.0)
        mem = _memory(st, rps, rng) * noise(0.01)
        cap = disk_capacity(st.spec)
        growth = np.cumsum(rps * 180.0 * world.clock.step, axis=1) + (cap * 0.002 * np.arange(n) / n)
        disk = np.minimum(cap * disk_base_fill(world.seed, name) + growth + st.disk_extra, cap)
        req_b, resp_b = _sizes(world.seed, name)
        rx, tx = rps * req_b, rps * resp_b
        out_calls = np.zeros((k, n))
        pool_conc = np.zeros((k, n))
        store = world.topology.main_store(name)
        for (caller, callee), e in traffic.edges.items():
            if caller != name:
                continue
            c_req, c_resp = _sizes(world.seed, callee)
            rx += e.rate * c_resp
            tx += e.rate * c_req
            out_calls += e.rate
            if callee == store:
                pool_conc += e.latency_sum
        loss = st.loss
        tx_total = tx * (1 + loss)
        drops = loss * tx_total / 1400.0
        bg = 2000.0 * noise(0.2)                  # probes, metrics scrapes, DNS
        rx, tx_total = np.where(up, rx + bg, 0.0), np.where(up, tx_total + bg, 0.0)
        conc = rps * mlat
        threads = _threads(st, conc, out_calls, rng)
        fill = st.mem_extra / (st.spec.mem_mb * MB)
        gc = np.where(up, (0.004 + 0.0004 * rps + 0.25 * np.clip(fill - 0.6, 0, 1) ** 2) * noise(0.2), 0.0)
        size = st.spec.pool_size
        if size:
            waiting = np.clip(st.pool_leak - (size - 2), 0, 2) / 2
            demand_conn = st.pool_leak + pool_conc * noise(0.3)
            active = np.minimum(size, np.round(demand_conn + rng.poisson(0.3, (k, n))))
            pending = np.round(waiting ** 2 * rps * pool_timeout(st.spec.runtime) * 0.5 + np.maximum(
                demand_conn - size, 0))
            idle_kept = size if st.spec.runtime == "java" else 2
            if store:
                client_conns[store] += (np.maximum(active, idle_kept) * up).sum(axis=0)
                leak_age[store] = np.maximum(leak_age[store], (st.pool_leak > 0).sum(axis=0).astype(float))
        else:
            active = pending = np.zeros((k, n))
        connections = np.zeros((k, n))
        store_lat = mlat
        tx_age = np.zeros((k, n))
        lag = np.zeros((k, n))
        if st.spec.is_store:
            connections = np.where(up, client_conns[name] + 2 + rng.poisson(1.0, (k, n)), 0.0)
            # Oldest open transaction: a few query times, now and then a long report query,
            # and transactions left open by leaked connections ("idle in transaction") keep ageing.
            age = np.cumsum(leak_age[name] > 0) * world.clock.step
            reports = np.where(rng.random((k, n)) < 0.04, rng.uniform(1, 40, (k, n)), 0.0)
            tx_age = np.maximum(np.nan_to_num(q[2]) * rng.uniform(1, 4, (k, n)), reports)
            tx_age = np.maximum(tx_age, np.where(leak_age[name] > 0, age, 0.0)[None, :])
            lag = np.maximum(0, np.cumsum(rng.normal(0, 3, (k, n)), axis=1) + 20)
        out[name] = PodSignals(
            rps=rps, err_rps=err_rps, p50=q[0], p90=q[1], p99=q[2], cpu=cpu, throttled=throttled, mem=mem,
            disk=disk, disk_cap=cap, rx=rx, tx=tx_total, drops=drops, threads=threads, gc=gc,
            pool_active=active, pool_pending=pending, connections=connections, store_latency=store_lat,
            max_tx_age=tx_age, lag=lag)
    return out


def _memory(st: ServiceState, rps: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    k, n = st.mem_extra.shape
    base = st.spec.mem_mb * MB
    mean = rps.mean(axis=1, keepdims=True) + 1e-9
    mem = base * (0.92 + 0.08 * rps / mean)
    if st.spec.runtime in ("java", "dotnet", "go"):      # heap grows, then the collector frees it
        period = rng.integers(4, 16, (k, 1))
        phase = rng.integers(0, 16, (k, 1))
        saw = ((np.arange(n)[None, :] + phase) % period) / period
        mem = mem + base * 0.12 * saw
    dip = np.zeros((k, n))
    steps = np.arange(n)
    for j, slot in enumerate(st.slots):            # a fresh process starts small and warms up
        restarts = np.flatnonzero(np.diff(slot.restarts, prepend=slot.restarts[0]) > 0)
        new_pods = [g for g, _, _ in slot.generations[1:]]
        for s in (*restarts.tolist(), *new_pods):
            d = np.where(steps >= s, 0.35 * (1 - np.clip((steps - s) / 6.0, 0, 1)), 0.0)
            dip[j] = np.maximum(dip[j], d)
    return mem * (1 - dip) + st.mem_extra


def _threads(st: ServiceState, conc: np.ndarray, out_calls: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    k, n = conc.shape
    rt = st.spec.runtime
    if rt == "java":
        return np.round(32 + np.minimum(200, 10 + conc * 1.2) + rng.poisson(1.0, (k, n)))
    if rt == "go":
        return np.round(14 + conc * 2 + out_calls * 0.05 + rng.poisson(2.0, (k, n)))
    if rt == "node":
        return np.round(9 + conc + rng.poisson(1.0, (k, n)))
    if rt == "dotnet":
        return np.round(11 + np.minimum(conc, 100) + rng.poisson(1.0, (k, n)))
    return np.round(6 + np.minimum(conc, 24) + rng.poisson(0.5, (k, n)))


def error_ratio(sig: PodSignals) -> np.ndarray:
    return _ratio(sig.err_rps, sig.rps)
