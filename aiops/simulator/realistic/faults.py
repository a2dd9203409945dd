"""Fault kinds of the realistic profile, named as public fault-injection data names them.

Some reuse the classic kinds' mechanics (`cpu_consumption` is a CPU hog, `network_delay`
a latency injection, `memory_leak` the same leak); the others are new:

- `cpu_contention`: a co-located neighbour burns CPU; the victim's requests slow down while
  the victim's own CPU does not move (the rise is on the neighbour).
- `code_exception` / `return_value`: the code throws, or answers with a wrong status code,
  on a share of requests. The work is done all the same, so resource metrics and latency
  stay flat; only spans (error status) and logs show it, and half the time the service does
  not log it itself (its callers do).
- `overload`: a traffic surge at the entry, or straight at one service.
- `misconfiguration`: a changed setting makes requests fail, or queue behind a too-small
  pool, usually right after a config change and a restart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from aiops.simulator import faults as classic
from aiops.simulator.faults import FaultPlan
from aiops.simulator.topology import Topology
from aiops.simulator.world import World


@dataclass
class FaultContext:
    """What a fault may change besides the target's conditions."""

    rates: np.ndarray                                      # (E, T) entry requests per second
    after_contention: list[Callable[[], None]] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)    # extra truth fields (e.g. the neighbour)


@dataclass(frozen=True)
class RealisticFault:
    name: str
    description: str
    symptom: str                                           # what the alert sees first: latency | errors
    targets: Callable[[Topology], list[str]]
    apply: Callable[[World, FaultPlan, FaultContext, np.random.Generator], None]


def _band(plan: FaultPlan, rng: np.random.Generator, mild: tuple, moderate: tuple, severe: tuple) -> float:
    lo, hi = {"mild": mild, "moderate": moderate, "severe": severe}[plan.severity]
    return float(rng.uniform(lo, hi))


def _ramp(world: World, plan: FaultPlan, steps: int) -> np.ndarray:
    x = (np.arange(world.clock.n) - plan.onset_step + 1) / max(steps, 1)
    return np.clip(x, 0.0, 1.0)


def _apps(t: Topology) -> list[str]:
    return [s for s in t.apps() if s != t.entry_service]


def _apps_and_stores(t: Topology) -> list[str]:
    return _apps(t) + t.stores()


def cpu_contention(world: World, plan: FaultPlan, ctx: FaultContext, rng: np.random.Generator) -> None:
    st = world.services[plan.service]
    shape = _ramp(world, plan, int(rng.integers(1, 4)))
    slow = _band(plan, rng, (0.4, 0.9), (1.0, 2.2), (2.5, 5.0))
    wait = _band(plan, rng, (0.003, 0.01), (0.01, 0.04), (0.04, 0.15))
    for j in plan.slots:      # CPU steal and run-queue waits: more wall time for the same work
        st.lat_mult[j] *= 1.0 + slow * shape * rng.uniform(0.85, 1.15, world.clock.n)
        st.lat_add[j] += wait * shape
        st.tail_p[j] += {"mild": 0.02, "moderate": 0.06, "severe": 0.15}[plan.severity] * shape
        st.tail_s[j] = np.maximum(st.tail_s[j], 0.05 + 0.2 * plan.strength * shape)
    others = [s for s in world.topology.apps() + world.topology.stores()
              if s not in (plan.service, world.topology.entry_service)]
    neighbour = str(rng.choice(others))
    ctx.notes["neighbour"] = neighbour
    nb = world.services[neighbour]
    share = rng.uniform(0.5, 0.85)

    def burn() -> None:       # after contention is applied: the neighbour itself does not slow down
        for j in range(nb.k):
            nb.cpu_extra[j] += nb.spec.cpu_limit * share * shape * rng.uniform(0.93, 1.07, world.clock.n)

    ctx.after_contention.append(burn)


def cpu_consumption(world: World, plan: FaultPlan, ctx: FaultContext, rng: np.random.Generator) -> None:
    classic.cpu_saturation(world, plan, {}, rng)


def network_delay(world: World, plan: FaultPlan, ctx: FaultContext, rng: np.random.Generator) -> None:
    classic.latency_injection(world, plan, {}, rng)


def memory_leak(world: World, plan: FaultPlan, ctx: FaultContext, rng: np.random.Generator) -> None:
    classic.memory_leak(world, plan, {}, rng)


def _failing_code(world: World, plan: FaultPlan, rng: np.random.Generator, kind: str) -> None:
    st, n = world.services[plan.service], world.clock.n
    p = _band(plan, rng, (0.05, 0.15), (0.2, 0.4), (0.5, 0.9))
    profile = _ramp(world, plan, 1)
    if rng.random() < 0.3:    # the failing code path comes and goes with the requests that reach it
        profile = profile * np.maximum((rng.random(n) < 0.7).astype(float), 0.3)
    st.error_kind, st.err_latency = kind, 1.0
    st.logs_own_errors = rng.random() < 0.5   # often only the callers log the failure
    for j in plan.slots:
        st.err[j] = np.maximum(st.err[j], p * profile)


def code_exception(world: World, plan: FaultPlan, ctx: FaultContext, rng: np.random.Generator) -> None:
    _failing_code(world, plan, rng, "exception")


def return_value(world: World, plan: FaultPlan, ctx: FaultContext, rng: np.random.Generator) -> None:
    _failing_code(world, plan, rng, "return")
    world.services[plan.service].error_code = int(rng.choice([400, 404, 409, 412, 422]))


def overload(world: World, plan: FaultPlan, ctx: FaultContext, rng: np.random.Generator) -> None:
    """A surge: at the entry every entry operation grows; at a service its direct entry (the last,
    idle until now) carries the extra load."""
    topo = world.topology
    shape = _ramp(world, plan, int(rng.integers(1, 7)))
    if plan.service == topo.entry_service:
        mult = _band(plan, rng, (1.6, 2.2), (2.2, 3.2), (3.2, 5.0))
        ctx.rates *= 1.0 + (mult - 1.0) * shape[None, :]
        return
    visits = sum(rate for entry, rate in zip(topo.entries[:-1], ctx.rates[:-1])
                 for node in topo.expand(entry) if node.service == plan.service)
    mult = _band(plan, rng, (2.0, 3.0), (3.0, 6.0), (6.0, 10.0))
    ctx.rates[-1] = np.maximum(visits, 1e-3) * (mult - 1.0) * shape * rng.uniform(0.9, 1.1, world.clock.n)


def direct_entry(topo_raw: dict, service: str) -> str:
    """An entry key `service:operation` for a surge aimed straight at `service`."""
    for targets in topo_raw["calls"].values():
        for call in targets:
            svc, op = call.split(":", 1)
            if svc == service:
                return f"{service}:{op.rstrip('?+').split('*')[0]}"
    return f"{service}:handle"


def misconfiguration(world: World, plan: FaultPlan, ctx: FaultContext, rng: np.random.Generator) -> None:
    st, clock = world.services[plan.service], world.clock
    ts = clock.start + clock.step * plan.onset_step
    if rng.random() < 0.7:
        key = str(rng.choice(["client.timeout", "pool.max-size", "endpoint.url", "feature.flags", "retry.max"]))
        world.add_event(ts - rng.uniform(5, 60), "config", plan.service,
                        f"configmap/{plan.service}-config updated (keys: {key})", user="ops@example.com")
    if rng.random() < 0.4:    # a restart to pick the setting up: new pods at the onset
        world.redeploy(plan.service, plan.onset_step, rng)
    shape = _ramp(world, plan, 1)
    if rng.random() < 0.55:   # requests fail with the bad value
        p = _band(plan, rng, (0.05, 0.15), (0.2, 0.5), (0.6, 1.0))
        st.error_kind, st.err_latency = "config", 0.3
        for j in range(st.k):
            st.err[j] = np.maximum(st.err[j], p * shape)
        ctx.notes["variant"] = "failing"
    else:                     # a pool or thread limit set far too low: requests queue
        slow = _band(plan, rng, (0.6, 1.2), (1.5, 3.0), (3.0, 6.0))
        for j in range(st.k):
            st.lat_mult[j] *= 1.0 + slow * shape
            st.tail_p[j] += 0.1 * shape
        ctx.notes["variant"] = "queueing"


REALISTIC_FAULTS: dict[str, RealisticFault] = {f.name: f for f in [
    RealisticFault("cpu_contention", "a co-located neighbour burns CPU: the victim slows down, its own CPU does "
                   "not rise", "latency", _apps_and_stores, cpu_contention),
    RealisticFault("cpu_consumption", "CPU consumed inside the service: throttling, slow responses",
                   "latency", _apps_and_stores, cpu_consumption),
    RealisticFault("code_exception", "the code throws on a share of requests (spans and logs only)", "errors",
                   _apps, code_exception),
    RealisticFault("return_value", "the code answers a share of requests with a wrong status code (spans and "
                   "logs only)", "errors", _apps, return_value),
    RealisticFault("network_delay", "network delay on the service: its callers wait longer", "latency",
                   _apps_and_stores, network_delay),
    RealisticFault("overload", "a traffic surge at the entry or straight at one service", "latency",
                   lambda t: [t.entry_service] + _apps(t), overload),
    RealisticFault("memory_leak", "memory climbs, GC thrashes, the container is OOM-killed", "latency",
                   lambda t: _apps(t), memory_leak),
    RealisticFault("misconfiguration", "a changed setting: requests fail or queue", "errors", _apps,
                   misconfiguration),
]}
REALISTIC_KINDS: tuple[str, ...] = tuple(REALISTIC_FAULTS)
