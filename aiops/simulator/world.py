"""The simulated world: a time grid, the pods of every service and their conditions.

Faults and red herrings write into a `ServiceState`'s condition arrays (shape: pods x steps);
the traffic model reads them to draw request latencies and errors, and the signal writers
read them for resource metrics (CPU, memory, disk, pools) and restarts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from aiops.simulator import naming
from aiops.simulator.topology import ServiceSpec, Topology


@dataclass(frozen=True)
class Clock:
    start: float      # unix seconds of the first step
    step: float       # seconds between steps (the scrape interval)
    n: int            # number of steps

    @property
    def end(self) -> float:
        return self.start + self.step * self.n

    def times(self) -> np.ndarray:
        return self.start + self.step * np.arange(self.n)

    def index(self, ts: float) -> int:
        return int(min(max((ts - self.start) // self.step, 0), self.n - 1))


@dataclass
class PodSlot:
    """One replica of a service; its pod name changes when a deploy replaces it."""

    service: str
    ordinal: int
    generations: list[tuple[int, str, str]]   # (from step, pod name, pod ip)
    up: np.ndarray                            # (T,) bool: container running and serving
    restarts: np.ndarray                      # (T,) cumulative container restarts of the current pod

    def generation_at(self, step: int) -> int:
        gen = 0
        for i, (start, _, _) in enumerate(self.generations):
            if step >= start:
                gen = i
        return gen

    def name_at(self, step: int) -> str:
        return self.generations[self.generation_at(step)][1]

    def ip_at(self, step: int) -> str:
        return self.generations[self.generation_at(step)][2]

    def names_by_step(self, n: int) -> np.ndarray:
        out = np.empty(n, dtype=object)
        for start, name, _ in self.generations:
            out[start:] = name
        return out


@dataclass
class ServiceState:
    spec: ServiceSpec
    slots: list[PodSlot]
    rs_hash: str
    version: str
    # conditions, shape (pods, T)
    lat_mult: np.ndarray
    lat_add: np.ndarray          # seconds added to every request (injected delay, pool wait)
    tail_p: np.ndarray           # probability of a tail delay (GC pause, retransmit) per request
    tail_s: np.ndarray           # mean size of that tail delay, seconds
    err: np.ndarray              # probability that the service itself fails a request
    loss: np.ndarray             # packet-loss ratio on the pod's network
    cpu_extra: np.ndarray        # cores burned outside request handling (hog, batch, GC)
    mem_extra: np.ndarray        # bytes above the normal working set (leak)
    disk_extra: np.ndarray       # bytes written above the normal growth
    pool_leak: np.ndarray        # connections held and never returned
    error_kind: str = ""         # what the service's own error logs say (a log_templates key)
    clock_skew: float = 0.0      # seconds this service's clock is off (logs, spans)
    json_logs: bool = False      # container runtime wraps log lines in JSON
    err_latency: float = 0.6     # share of its own time a request the service fails still takes
    error_code: int = 500        # HTTP status of the service's own failures
    logs_own_errors: bool = True  # False: the service answers with an error without logging it

    @property
    def k(self) -> int:
        return len(self.slots)

    def up_matrix(self) -> np.ndarray:
        return np.stack([s.up for s in self.slots])


@dataclass
class World:
    topology: Topology
    clock: Clock
    seed: int
    services: dict[str, ServiceState]
    events: list[dict] = field(default_factory=list)
    special_logs: list[tuple[float, str, int, str, str]] = field(default_factory=list)  # ts, svc, slot, level, msg

    def add_event(self, ts: float, kind: str, service: str, message: str, **extra: object) -> None:
        self.events.append({"timestamp": float(ts), "kind": kind, "service": service, "message": message, **extra})

    def add_log(self, ts: float, service: str, slot: int, level: str, message: str) -> None:
        self.special_logs.append((float(ts), service, slot, level, message))

    def redeploy(self, service: str, step: int, rng: np.random.Generator) -> list[tuple[str, str]]:
        """Replace every pod of a Deployment at `step` (new ReplicaSet hash); returns (old, new) names."""
        state = self.services[service]
        new_hash = naming.replicaset_hash(rng)
        state.rs_hash = new_hash
        changes = []
        for slot in state.slots:
            old = slot.name_at(step)
            new = naming.deployment_pod(service, new_hash, rng)
            slot.generations.append((step, new, naming.pod_ip(rng)))
            slot.restarts[step:] = 0
            changes.append((old, new))
        return changes


def _zeros(k: int, n: int) -> np.ndarray:
    return np.zeros((k, n))


def build_world(topology: Topology, clock: Clock, seed: int) -> World:
    """Pods with k8s names, default (healthy) conditions, per-service clock skew and log wrapping."""
    rng = naming.stream(seed, "world")
    services: dict[str, ServiceState] = {}
    for name, spec in topology.services.items():
        rs_hash = naming.replicaset_hash(rng)
        slots = []
        for i in range(spec.replicas):
            pod = naming.stateful_pod(name, i) if spec.stateful else naming.deployment_pod(name, rs_hash, rng)
            # A CronJob has no pod until a run starts (see herrings.batch_job).
            running = np.full(clock.n, spec.kind != "batch", dtype=bool)
            slots.append(PodSlot(name, i, [(0, pod, naming.pod_ip(rng))], running, np.zeros(clock.n, dtype=int)))
        k, n = spec.replicas, clock.n
        skew = float(rng.normal(0.0, 1.2)) if rng.random() < 0.5 else 0.0
        services[name] = ServiceState(
            spec=spec, slots=slots, rs_hash=rs_hash, version=naming.image_version(rng)[0],
            lat_mult=np.ones((k, n)), lat_add=_zeros(k, n), tail_p=np.full((k, n), 0.004),
            tail_s=np.full((k, n), 0.05 if spec.runtime == "java" else 0.02),
            err=_zeros(k, n) + (0.0 if spec.is_store else _base_error(rng)),
            loss=_zeros(k, n), cpu_extra=_zeros(k, n), mem_extra=_zeros(k, n), disk_extra=_zeros(k, n),
            pool_leak=_zeros(k, n), clock_skew=round(float(np.clip(skew, -4, 4)), 3),
            json_logs=bool(rng.random() < 0.3),
        )
    return World(topology, clock, seed, services)


def _base_error(rng: np.random.Generator) -> float:
    """Healthy services still fail a few requests (client aborts, bad input)."""
    return float(rng.choice([0.0, 0.0, 0.0002, 0.0005, 0.001]))
