"""Resource contention: CPU demand against the container limit turns into latency.

Runs after faults and red herrings have set their conditions and before the traffic model
draws requests, so a CPU hog, GC work or a batch job slows the pod's own requests down
(and, through the call graph, its callers').
"""

from __future__ import annotations

import numpy as np

from aiops.simulator.world import ServiceState, World

IDLE_CORES = 0.02


def slot_load(state: ServiceState, load: np.ndarray) -> np.ndarray:
    """(k, T) requests per second each running pod gets from a service-wide load (T,)."""
    up = state.up_matrix().astype(float)
    n_up = up.sum(axis=0)
    return np.where(n_up > 0, up * load / np.maximum(n_up, 1), 0.0)


def cpu_demand(state: ServiceState, rps: np.ndarray) -> np.ndarray:
    """(k, T) cores the pod would use without a limit: idle + per-request work + extra burners."""
    return IDLE_CORES + state.spec.cpu_ms / 1000.0 * rps + state.cpu_extra


def apply_contention(world: World, load: dict[str, np.ndarray]) -> None:
    for name, state in world.services.items():
        rps = slot_load(state, load[name])
        mean = float(np.mean(rps[rps > 0])) if np.any(rps > 0) else 0.0
        if mean > 0:   # a little load sensitivity even when healthy
            state.lat_mult *= 1.0 + 0.12 * np.clip(rps / mean - 1.0, -0.5, 2.0)
        demand = cpu_demand(state, rps)
        rho = demand / state.spec.cpu_limit
        queueing = 1.0 + 0.6 * np.clip(rho - 0.7, 0.0, 0.3) / 0.3
        throttled = np.maximum(rho, 1.0) ** 1.5
        state.lat_mult *= queueing * throttled
        throttle_share = np.clip(rho - 0.9, 0.0, 1.0)
        state.tail_p += 0.3 * throttle_share
        state.tail_s = np.where(throttle_share > 0, np.maximum(state.tail_s, 0.08), state.tail_s)
