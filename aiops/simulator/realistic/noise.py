"""What moves on its own in a busy system, and red herrings placed near the fault.

Noise: traffic bursts and drift at the entry, GC pauses on managed runtimes, latency that
wanders with load on the busiest services. Red herrings (each case draws a few): a noisy
neighbour burning CPU next to an innocent service, a larger but harmless level shift on an
unrelated service, a routine deploy, an error line that is always there, a service that
always fails a few requests. Each herring returns one line for truth.toml.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from aiops.simulator import herrings as classic
from aiops.simulator.faults import MB, FaultPlan
from aiops.simulator.world import World


def shape_rates(world: World, rates: np.ndarray, rng: np.random.Generator) -> None:
    """Bursts (seconds to a minute of extra traffic) and a slow random walk, in place."""
    n, step = world.clock.n, world.clock.step
    walk = np.cumsum(rng.normal(0.0, 0.02 * np.sqrt(step / 10.0), n))
    rates *= np.exp(walk - walk.mean())[None, :]
    for _ in range(int(rng.integers(0, 4))):
        start = int(rng.integers(0, n))
        length = max(1, int(rng.uniform(10, 70) // step))
        rates[:, start:start + length] *= rng.uniform(1.25, 1.9)


def add_noise(world: World, plan: FaultPlan, load: dict[str, np.ndarray], rng: np.random.Generator) -> None:
    """GC pauses on managed runtimes; load-following latency wander on the busiest services."""
    n = world.clock.n
    busiest = sorted(load, key=lambda s: -float(np.mean(load[s])))[:max(2, len(load) // 5)]
    for name, st in world.services.items():
        if st.spec.runtime in ("java", "dotnet", "go"):
            pauses = rng.random((st.k, n)) < rng.uniform(0.005, 0.03)
            st.tail_p += pauses * rng.uniform(0.1, 0.4)
            st.tail_s = np.where(pauses, np.maximum(st.tail_s, rng.uniform(0.08, 0.5)), st.tail_s)
            st.cpu_extra += pauses * rng.uniform(0.03, 0.1) * st.spec.cpu_limit
        if name in busiest:
            ar = np.zeros(n)
            sd = rng.uniform(0.04, 0.12)
            for t in range(1, n):
                ar[t] = 0.8 * ar[t - 1] + rng.normal(0.0, sd)
            st.lat_mult *= np.exp(ar)[None, :]


def _near_onset(world: World, plan: FaultPlan, rng: np.random.Generator) -> int:
    """A step within about three minutes of the onset (either side)."""
    spread = max(1, int(180 // world.clock.step))
    return int(np.clip(plan.onset_step + rng.integers(-spread, spread + 1), 1, world.clock.n - 2))


def noisy_neighbour(world: World, service: str, plan: FaultPlan, rng: np.random.Generator,
                    deferred: list[Callable[[], None]]) -> str:
    st = world.services[service]
    start = _near_onset(world, plan, rng)
    length = int(rng.integers(max(2, world.clock.n // 8), world.clock.n))
    share = rng.uniform(0.4, 0.8)

    def burn() -> None:       # after contention: the burner's own requests are not slowed
        st.cpu_extra[:, start:start + length] += st.spec.cpu_limit * share
    deferred.append(burn)
    return f"noisy_neighbour: {service} burns {share:.0%} of a core's limit from step {start} (harmless)"


def harmless_shift(world: World, service: str, plan: FaultPlan, rng: np.random.Generator,
                   deferred: list[Callable[[], None]]) -> str:
    st = world.services[service]
    start = _near_onset(world, plan, rng)
    if rng.random() < 0.5:
        grow = rng.uniform(0.4, 1.0)
        st.mem_extra[:, start:] += st.spec.mem_mb * MB * grow
        return f"harmless_shift: {service} memory +{grow:.0%} from step {start} (cache warm-up)"
    share = rng.uniform(0.25, 0.5)

    def burn() -> None:
        st.cpu_extra[:, start:] += st.spec.cpu_limit * share
    deferred.append(burn)
    return f"harmless_shift: {service} CPU +{share:.2f} of its limit from step {start} (background work)"


def routine_deploy(world: World, service: str, plan: FaultPlan, rng: np.random.Generator,
                   deferred: list[Callable[[], None]]) -> str:
    return classic.routine_deploy(world, service, plan, rng)


def noisy_errors(world: World, service: str, plan: FaultPlan, rng: np.random.Generator,
                 deferred: list[Callable[[], None]]) -> str:
    return classic.noisy_errors(world, service, plan, rng)


_ALWAYS_THERE = [
    ("error", "Failed to export spans batch to collector: connection reset by peer (dropped {n} spans)"),
    ("error", "Unable to refresh feature flags from config server, using cached values (attempt {n})"),
    ("warning", "Deprecated property 'spring.redis.host' is used; use 'spring.data.redis.host' instead"),
    ("error", "ERROR health check to metrics sidecar failed: context deadline exceeded ({n} consecutive)"),
]


def error_template(world: World, service: str, plan: FaultPlan, rng: np.random.Generator,
                   deferred: list[Callable[[], None]]) -> str:
    """A log line that repeats all along: present before, during and after the fault."""
    level, text = _ALWAYS_THERE[int(rng.integers(0, len(_ALWAYS_THERE)))]
    clock = world.clock
    period = rng.uniform(4, 15)
    ts = clock.start + rng.uniform(0, period)
    while ts < clock.end:
        world.add_log(ts, service, 0, level, text.format(n=int(rng.integers(1, 40))))
        ts += period * rng.uniform(0.6, 1.4)
    return f"error_template: {service} logs '{text[:40]}...' every ~{period:.0f} s all along"


_HERRINGS = {"noisy_neighbour": (noisy_neighbour, 0.55), "harmless_shift": (harmless_shift, 0.5),
             "routine_deploy": (routine_deploy, 0.35), "error_template": (error_template, 0.7),
             "noisy_errors": (noisy_errors, 0.5)}


def add_herrings(world: World, plan: FaultPlan, rng: np.random.Generator, deferred: list[Callable[[], None]],
                 avoid: set[str]) -> list[str]:
    """Draw each herring with its own probability, on distinct innocent services (not in `avoid`)."""
    topo = world.topology
    pool = [s for s in topo.apps() if s not in avoid and s != topo.entry_service]
    notes = []
    for name, (make, p) in _HERRINGS.items():
        if rng.random() >= p or not pool:
            continue
        service = str(rng.choice(pool))
        pool.remove(service)
        notes.append(make(world, service, plan, rng, deferred))
    return notes
