"""What a release changes in the world: ordinary noise, and the regressions a bad release brings.

A clean release still moves things a little: the new pods warm up (a minute or three of
slower, CPU-hungry requests), the new version is a few percent faster or slower, and the
rest of the system carries on with its ordinary noise (spikes on other pods, a service
that always fails a little, a CronJob, the odd routine restart). A regression is one of
the changes below, sized like the ones that reach production (a new synchronous call,
an unhandled edge case, a panic on some request path, an exception that is caught and
logged, an inefficient loop), not like a chaos experiment.
"""

from __future__ import annotations

import numpy as np

from aiops.simulator import naming
from aiops.simulator.contention import cpu_demand, slot_load
from aiops.simulator.faults import FaultPlan, startup_logs
from aiops.simulator.herrings import _routine_events as routine_events
from aiops.simulator.herrings import batch_job, noisy_errors, spike
from aiops.simulator.world import World

REGRESSION_KINDS = ("latency", "errors", "crash_loop", "error_log", "cpu")
REGRESSION_DESCRIPTIONS = {
    "latency": "every request of the new version waits 20-80 ms longer (a new synchronous call, an N+1 query)",
    "errors": "the new version fails 1.5-6 % of its requests (an unhandled edge case)",
    "crash_loop": "the new version panics on some request path every few minutes; pods restart",
    "error_log": "the new version logs a new, caught exception on 1-5 % of requests (requests still succeed)",
    "cpu": "the new version burns 1.6-2.5x the CPU of the old one (an inefficient loop, a busy background task)",
}
_CAUGHT = {
    "java": "Failed to enrich order with loyalty points: java.lang.NullPointerException: Cannot invoke "
            "\"LoyaltyAccount.getTier()\" because \"account\" is null",
    "go": "failed to decode price override: json: cannot unmarshal string into Go struct field Override.amount "
          "of type float64",
    "node": "TypeError: Cannot read properties of undefined (reading 'currencyCode') in formatPrice",
    "python": "AttributeError: 'NoneType' object has no attribute 'tier' while ranking results",
    "dotnet": "System.NullReferenceException: Object reference not set to an instance of an object. at "
              "CartService.Promotions.Apply()",
}
_PANIC = {
    "java": "Exception in thread \"main\" java.lang.StackOverflowError at com.example.pricing.RuleEngine.apply",
    "go": "panic: runtime error: index out of range [3] with length 3",
    "node": "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
    "python": "Fatal Python error: Segmentation fault",
    "dotnet": "Unhandled exception. System.IndexOutOfRangeException: Index was outside the bounds of the array.",
}
_LOG_CAP = 12          # lines per pod and step: loggers get rate-limited


def no_fault(service: str, step: int) -> FaultPlan:
    """The plan the noise helpers take: names the released service so they spare it."""
    return FaultPlan("none", service, (), step, "mild", 0.0)


def warm_up(world: World, service: str, step: int, load: dict, rng: np.random.Generator) -> None:
    """New pods start cold, and the new version is a little faster or slower, a little
    more or less CPU-hungry: ordinary."""
    st = world.services[service]
    warm = 3 if st.spec.runtime == "java" else 1
    st.cpu_extra[:, step:] += (rng.uniform(0.93, 1.07) - 1.0) * cpu_demand(st, slot_load(st, load[service]))[:, step:]
    st.lat_mult[:, step:step + warm] *= rng.uniform(1.2, 2.0)
    st.cpu_extra[:, step:step + warm] += 0.3 * st.spec.cpu_limit
    st.lat_mult[:, step:] *= rng.uniform(0.93, 1.07)


def persistent_noise(world: World, released: str, rng: np.random.Generator) -> list[str]:
    """Noise that is there every day: a CronJob, maybe a service that always fails a little.

    Drawn from `rng` in the same way for every day so the days agree on it."""
    topo = world.topology
    notes = []
    innocent = [s for s in topo.apps() if s not in (released, topo.entry_service)]
    noisy = str(rng.choice(innocent)) if rng.random() < 0.5 else ""
    if topo.batch_job:
        notes.append(batch_job(world, topo.batch_job, no_fault(released, 0), rng))
    if noisy:
        notes.append(noisy_errors(world, noisy, no_fault(released, 0), rng))
    return notes


def transient_noise(world: World, released: str, rng: np.random.Generator) -> list[str]:
    """Things that happen on an ordinary day: CPU spikes, sometimes a routine restart, events."""
    topo = world.topology
    innocent = [s for s in topo.apps() if s != released]
    notes = []
    for _ in range(int(rng.integers(1, 3))):
        notes.append(spike(world, str(rng.choice(innocent)), no_fault(released, 0), rng))
    if rng.random() < 0.3:
        notes.append(routine_restart(world, str(rng.choice(innocent)), rng))
    routine_events(world, no_fault(released, 0), rng)
    return notes


def routine_restart(world: World, service: str, rng: np.random.Generator) -> str:
    """One pod restarts once (a failed liveness probe during a GC pause, a node drain)."""
    st, clock = world.services[service], world.clock
    j = int(rng.integers(0, st.k))
    step = int(rng.integers(2, clock.n - 3))
    slot = st.slots[j]
    down = 1
    ts = clock.start + clock.step * step + rng.uniform(0, clock.step)
    pod = slot.name_at(step)
    world.add_event(ts - 2, "k8s_event", service, "Liveness probe failed: HTTP probe failed with statuscode: 503",
                    reason="Unhealthy", type="Warning", pod=pod)
    slot.up[step:step + down] = False
    slot.restarts[step:] += 1
    world.add_event(ts + clock.step * down, "restart", service,
                    f"Container {service} restarted in pod {pod} (restart count {int(slot.restarts[step])})",
                    reason="Started", pod=pod)
    startup_logs(world, service, j, ts + clock.step * down)
    return f"routine_restart: {service} pod slot {j} at step {step}"


def apply_regression(world: World, kind: str, service: str, step: int, load: dict,
                     rng: np.random.Generator) -> str:
    """Change the released service's conditions from `step` on; returns a one-line description."""
    st, n = world.services[service], world.clock.n
    if kind == "latency":
        extra = rng.uniform(0.02, 0.08)
        st.lat_add[:, step:] += extra
        return f"latency: +{extra * 1000:.0f} ms per request"
    if kind == "errors":
        p = rng.uniform(0.015, 0.06)
        st.err[:, step:] = np.maximum(st.err[:, step:], p)
        st.error_kind = "exception"
        return f"errors: {p:.1%} of requests fail"
    if kind == "cpu":
        factor = rng.uniform(1.6, 2.5)
        demand = cpu_demand(st, slot_load(st, load[service]))
        st.cpu_extra[:, step:] += (factor - 1.0) * demand[:, step:]
        return f"cpu: x{factor:.1f} CPU"
    if kind == "crash_loop":
        return _crash_loop(world, service, step, rng)
    if kind == "error_log":
        share = rng.uniform(0.01, 0.05)
        rps = slot_load(st, load[service])
        text = _CAUGHT.get(st.spec.runtime, "caught exception while handling request")
        clock = world.clock
        for j in range(st.k):
            counts = np.minimum(rng.poisson(share * rps[j, step:] * clock.step), _LOG_CAP)
            for t, c in zip(range(step, n), counts):
                for ts in clock.start + clock.step * t + np.sort(rng.uniform(0, clock.step, int(c))):
                    world.add_log(float(ts), service, j, "error", text)
        return f"error_log: a caught exception logged on {share:.1%} of requests"
    raise ValueError(f"unknown regression kind {kind!r}")


def _crash_loop(world: World, service: str, step: int, rng: np.random.Generator) -> str:
    st, clock = world.services[service], world.clock
    text = _PANIC.get(st.spec.runtime, "fatal error: unexpected signal during runtime execution")
    crashes = 0
    for j, slot in enumerate(st.slots):
        t = clock.start + clock.step * step + rng.uniform(60, 300)
        backoff = 10.0
        while t < clock.end:
            i0 = clock.index(t)
            pod = slot.name_at(i0)
            world.add_log(t - 0.05, service, j, "error", text)
            i1 = min(clock.index(t + backoff), clock.n - 1)
            slot.up[i0:i1 + 1] = False
            slot.restarts[i0:] += 1
            crashes += 1
            world.add_event(t + 1, "k8s_event", service, f"Back-off restarting failed container {service} in pod {pod}",
                            reason="BackOff", type="Warning", pod=pod, count=int(slot.restarts[i0]))
            if t + backoff < clock.end:
                world.add_event(t + backoff, "restart", service, f"Container {service} restarted in pod {pod} "
                                f"(restart count {int(slot.restarts[i0])})", reason="Started", pod=pod)
                startup_logs(world, service, j, t + backoff + 0.5)
            t += backoff + rng.uniform(120, 420)
            backoff = min(backoff * 2, 80.0)
    return f"crash_loop: {crashes} crashes after the release"


def pick_released_service(world: World, rng: np.random.Generator) -> str:
    """Any application service may be released, the entry service included."""
    apps = [s for s in world.topology.apps() if world.services[s].spec.kind in ("web", "app")]
    return str(apps[int(rng.integers(0, len(apps)))])


def new_version(world: World, service: str, rng: np.random.Generator) -> str:
    return naming.bump_version(world.services[service].version, rng)
