"""Fault kinds: how each one changes the conditions of the service (or store) it hits.

Every fault writes into the target's condition arrays from the onset step on, and may add
events and log lines of its own. Propagation to callers is not done here: it follows from
the traffic model (callers wait, time out, retry and fail) and from resource contention.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Callable

import numpy as np

from aiops.simulator import naming
from aiops.simulator.topology import Topology
from aiops.simulator.world import World

MB = 1024 * 1024
_SEVERITY = {"mild": 0.35, "moderate": 0.65, "severe": 1.0}


@dataclass(frozen=True)
class FaultPlan:
    kind: str
    service: str
    slots: tuple[int, ...]    # affected pod slots
    onset_step: int
    severity: str             # mild | moderate | severe
    level: float              # 0..1 draw inside the severity band

    @property
    def strength(self) -> float:
        return _SEVERITY[self.severity] * (0.85 + 0.3 * self.level)


@dataclass(frozen=True)
class FaultKind:
    name: str
    description: str
    targets: Callable[[Topology], list[str]]
    whole_service: bool       # hits every pod (a deploy, a store outage) rather than one pod
    apply: Callable[[World, FaultPlan, dict, np.random.Generator], None]


def _ramp(n: int, start: int, steps: int) -> np.ndarray:
    """0 before `start`, rising linearly to 1 over `steps`, then 1."""
    x = (np.arange(n) - start + 1) / max(steps, 1)
    return np.clip(x, 0.0, 1.0)


def _apps_and_stores(topo: Topology) -> list[str]:
    return [s for s in topo.apps() if s != topo.entry_service] + topo.stores()


def _apps(topo: Topology) -> list[str]:
    return [s for s in topo.apps() if s != topo.entry_service]


def cpu_saturation(world: World, plan: FaultPlan, load: dict, rng: np.random.Generator) -> None:
    st = world.services[plan.service]
    extra = st.spec.cpu_limit * (0.55 + 0.75 * plan.strength)
    shape = _ramp(world.clock.n, plan.onset_step, int(rng.integers(1, 4)))
    for j in plan.slots:
        st.cpu_extra[j] += extra * shape * rng.uniform(0.95, 1.05, world.clock.n)
    if plan.severity == "severe" and not st.spec.is_store:
        t = world.clock.start + world.clock.step * (plan.onset_step + rng.integers(4, 10))
        pod = st.slots[plan.slots[0]].name_at(world.clock.index(t))
        world.add_event(t, "k8s_event", plan.service, "Liveness probe failed: Get \"http://"
                        f"{st.slots[plan.slots[0]].ip_at(0)}:{st.spec.port}/healthz\": context deadline exceeded "
                        "(Client.Timeout exceeded while awaiting headers)", reason="Unhealthy", type="Warning", pod=pod)


def memory_leak(world: World, plan: FaultPlan, load: dict, rng: np.random.Generator) -> None:
    st, clock = world.services[plan.service], world.clock
    limit = st.spec.mem_mb * MB * 2.0
    headroom = limit - st.spec.mem_mb * MB * 1.1
    remaining = clock.n - plan.onset_step
    # Severe leaks kill the pod well inside the window (maybe twice); mild ones never get there.
    to_oom = remaining * {"mild": rng.uniform(1.6, 2.6), "moderate": rng.uniform(0.55, 0.9),
                          "severe": rng.uniform(0.3, 0.5)}[plan.severity]
    rate = headroom / max(to_oom, 1.0)            # bytes per step
    st.error_kind = st.error_kind or "oom"
    for j in plan.slots:
        slot, held, t = st.slots[j], 0.0, plan.onset_step
        while t < clock.n:
            held += rate * rng.uniform(0.8, 1.2)
            st.mem_extra[j, t] = held
            fill = held / headroom
            if fill > 0.7:                        # GC thrash before the kill
                gc = (fill - 0.7) / 0.3
                st.tail_p[j, t] += 0.25 * gc
                st.tail_s[j, t] = max(st.tail_s[j, t], 0.15 + 0.4 * gc)
                st.lat_mult[j, t] *= 1.0 + 1.5 * gc
                st.cpu_extra[j, t] += 0.35 * gc * st.spec.cpu_limit
            if held >= headroom:
                ts = clock.start + clock.step * t + rng.uniform(0, clock.step)
                pod = slot.name_at(t)
                if st.spec.runtime == "java":
                    world.add_log(ts - 0.8, plan.service, j, "error",
                                  "java.lang.OutOfMemoryError: Java heap space")
                world.add_event(ts, "k8s_event", plan.service,
                                f"Container {plan.service} in pod {pod} was OOMKilled (exit code 137); "
                                f"memory limit {int(limit / MB)}Mi", reason="OOMKilled", type="Warning", pod=pod)
                down = int(rng.integers(1, 3))
                slot.up[t:t + down] = False
                slot.restarts[t:] += 1
                world.add_event(ts + clock.step * down, "restart", plan.service,
                                f"Container {plan.service} restarted in pod {pod} (restart count "
                                f"{int(slot.restarts[t])})", reason="Started", pod=pod)
                startup_logs(world, plan.service, j, ts + clock.step * down)
                st.mem_extra[j, t:t + down] = 0.0
                held, t = 0.0, t + down
                continue
            t += 1


def latency_injection(world: World, plan: FaultPlan, load: dict, rng: np.random.Generator) -> None:
    st = world.services[plan.service]
    delay = {"mild": rng.uniform(0.04, 0.12), "moderate": rng.uniform(0.2, 0.6),
             "severe": rng.uniform(0.9, 2.5)}[plan.severity]
    if st.spec.is_store:
        delay *= 0.6
    shape = _ramp(world.clock.n, plan.onset_step, 1)
    for j in plan.slots:
        st.lat_add[j] += delay * shape


def exception_burst(world: World, plan: FaultPlan, load: dict, rng: np.random.Generator) -> None:
    st, n = world.services[plan.service], world.clock.n
    p = {"mild": rng.uniform(0.03, 0.08), "moderate": rng.uniform(0.15, 0.35),
         "severe": rng.uniform(0.5, 0.9)}[plan.severity]
    profile = _ramp(n, plan.onset_step, 1)
    if rng.random() < 0.4:                        # bursty: the failing code path comes and goes
        on = (rng.random(n) < 0.7).astype(float)
        profile = profile * np.maximum(on, 0.25)
    st.error_kind = "exception"
    for j in plan.slots:
        st.err[j] = np.maximum(st.err[j], p * profile)


def bad_deploy(world: World, plan: FaultPlan, load: dict, rng: np.random.Generator) -> None:
    st, clock = world.services[plan.service], world.clock
    step = plan.onset_step
    new_version = naming.bump_version(st.version, rng)
    ts = clock.start + clock.step * step - rng.uniform(5, 40)
    image = f"registry.example.com/{world.topology.namespace}/{plan.service}:{new_version}"
    rolling_deploy(world, plan.service, step, ts, new_version, image, rng)
    p = {"mild": rng.uniform(0.02, 0.06), "moderate": rng.uniform(0.1, 0.3),
         "severe": rng.uniform(0.4, 0.8)}[plan.severity]
    slow = {"mild": 1.3, "moderate": rng.uniform(1.6, 2.5), "severe": rng.uniform(2.5, 5.0)}[plan.severity]
    st.error_kind = "deploy"
    for j in range(st.k):
        st.err[j, step:] = np.maximum(st.err[j, step:], p)
        st.lat_mult[j, step:] *= slow
        st.mem_extra[j, step:] += st.spec.mem_mb * MB * rng.uniform(0.1, 0.4)


def rolling_deploy(world: World, service: str, step: int, ts: float, version: str, image: str,
            rng: np.random.Generator) -> None:
    """A rolling update: new ReplicaSet, new pod names, deploy and k8s events, startup logs."""
    st = world.services[service]
    old = st.version
    changes = world.redeploy(service, step, rng)
    st.version = version
    world.add_event(ts, "deploy", service, f"deployment/{service} image updated {old} -> {version}",
                    image=image, version=version, previous_version=old, user="ci-bot")
    world.add_event(ts + 0.5, "k8s_event", service,
                    f"Scaled up replica set {service}-{st.rs_hash} to {st.k}", reason="ScalingReplicaSet",
                    type="Normal")
    for j, (before, after) in enumerate(changes):
        t = ts + 2 + 4 * j
        world.add_event(t, "k8s_event", service, f"Successfully pulled image \"{image}\"", reason="Pulled",
                        type="Normal", pod=after)
        world.add_event(t + 1.5, "k8s_event", service, f"Started container {service}", reason="Started",
                        type="Normal", pod=after)
        world.add_event(t + 9, "k8s_event", service, f"Stopping container {service}", reason="Killing",
                        type="Normal", pod=before)
        startup_logs(world, service, j, t + 2)


def dependency_down(world: World, plan: FaultPlan, load: dict, rng: np.random.Generator) -> None:
    st, clock = world.services[plan.service], world.clock
    step = plan.onset_step
    length = {"mild": int(rng.integers(3, 6)), "moderate": int(rng.integers(8, 16)), "severe": clock.n}[plan.severity]
    for j in range(st.k):
        st.slots[j].up[step:step + length] = False
    ts = clock.start + clock.step * step + rng.uniform(0, clock.step)
    pod = st.slots[0].name_at(step)
    world.add_log(ts - 0.3, plan.service, 0, "info", _shutdown_line(st.spec.runtime))
    world.add_event(ts + 3, "k8s_event", plan.service,
                    f"Readiness probe failed: dial tcp {st.slots[0].ip_at(step)}:{st.spec.port}: connect: "
                    "connection refused", reason="Unhealthy", type="Warning", pod=pod)
    if step + length < clock.n:
        back = clock.start + clock.step * (step + length)
        world.add_event(back, "restart", plan.service, f"Container {plan.service} restarted in pod {pod}",
                        reason="Started", pod=pod)
        startup_logs(world, plan.service, 0, back + 1)
        for j in range(st.k):
            st.slots[j].restarts[step + length:] += 1


def packet_loss(world: World, plan: FaultPlan, load: dict, rng: np.random.Generator) -> None:
    st = world.services[plan.service]
    loss = {"mild": rng.uniform(0.04, 0.1), "moderate": rng.uniform(0.15, 0.3),
            "severe": rng.uniform(0.4, 0.7)}[plan.severity]
    shape = _ramp(world.clock.n, plan.onset_step, 1)
    for j in plan.slots:
        st.loss[j] = np.maximum(st.loss[j], loss * shape)


def disk_full(world: World, plan: FaultPlan, load: dict, rng: np.random.Generator) -> None:
    st, clock = world.services[plan.service], world.clock
    cap = disk_capacity(st.spec)
    free = cap * (1 - disk_base_fill(world.seed, plan.service))
    remaining = clock.n - plan.onset_step
    to_full = remaining * {"mild": rng.uniform(1.05, 1.3), "moderate": rng.uniform(0.4, 0.7),
                           "severe": rng.uniform(0.15, 0.35)}[plan.severity]
    fill = np.clip((np.arange(clock.n) - plan.onset_step) / to_full, 0, None)
    st.error_kind = "disk"
    full_err = {"mild": 0.3, "moderate": rng.uniform(0.3, 0.6), "severe": rng.uniform(0.6, 0.95)}[plan.severity]
    for j in plan.slots:
        st.disk_extra[j] = np.minimum(fill, 1.0) * free
        full = fill >= 1.0
        st.err[j] = np.where(full, np.maximum(st.err[j], full_err), st.err[j])
        st.lat_mult[j] = np.where(full, st.lat_mult[j] * 1.4, st.lat_mult[j])


def disk_capacity(spec) -> float:
    return (20 if spec.is_store else 2) * 1024 * MB


def disk_base_fill(seed: int, service: str) -> float:
    """How full a pod's volume is before anything happens (stable per seed and service)."""
    return 0.35 + (zlib.crc32(f"{seed}:{service}".encode()) % 1000) / 1000 * 0.35


def connection_pool_exhaustion(world: World, plan: FaultPlan, load: dict, rng: np.random.Generator) -> None:
    """A connection leak: held connections climb until callers queue for the pool and time out."""
    st, clock = world.services[plan.service], world.clock
    size = st.spec.pool_size
    remaining = clock.n - plan.onset_step
    to_full = remaining * {"mild": rng.uniform(0.7, 0.9), "moderate": rng.uniform(0.3, 0.55),
                           "severe": rng.uniform(0.08, 0.25)}[plan.severity]
    leak = size * np.clip((np.arange(clock.n) - plan.onset_step + 1) / to_full, 0, 1.0)
    err_max = {"mild": rng.uniform(0.1, 0.25), "moderate": rng.uniform(0.3, 0.6),
               "severe": rng.uniform(0.65, 0.95)}[plan.severity]
    wait = pool_timeout(st.spec.runtime)
    st.error_kind = "pool"
    for j in plan.slots:
        held = np.floor(leak * rng.uniform(0.97, 1.0, clock.n))
        st.pool_leak[j] = held
        starving = np.clip(held - (size - 2), 0, 2) / 2      # 0 .. 1 as the last connections go
        st.lat_add[j] += starving ** 2 * wait * 0.8
        st.err[j] = np.maximum(st.err[j], starving ** 2 * err_max)
        st.tail_p[j] += starving * 0.3
        st.tail_s[j] = np.maximum(st.tail_s[j], starving * wait * 0.5)


def pool_timeout(runtime: str) -> float:
    return {"java": 3.0, "go": 1.0, "node": 2.0, "dotnet": 5.0, "python": 3.0}.get(runtime, 2.0)


def crash_loop(world: World, plan: FaultPlan, load: dict, rng: np.random.Generator) -> None:
    st, clock = world.services[plan.service], world.clock
    st.error_kind = "crash"
    if rng.random() < 0.5:
        world.add_event(clock.start + clock.step * plan.onset_step - rng.uniform(20, 90), "config", plan.service,
                        f"configmap/{plan.service}-config updated (keys: {_config_key(st.spec.runtime)})",
                        user="ops@example.com")
    for j in plan.slots:
        slot = st.slots[j]
        t = clock.start + clock.step * plan.onset_step + rng.uniform(0, clock.step)
        backoff, restarts = 10.0, 0
        while t < clock.end:
            pod = slot.name_at(clock.index(t))
            world.add_log(t - 0.05, plan.service, j, "error", _fatal_line(st.spec.runtime))
            down_from, down_to = t, t + backoff
            i0, i1 = clock.index(down_from), min(clock.index(down_to), clock.n - 1)
            slot.up[i0:i1 + (1 if down_to >= clock.end else 0)] = False
            restarts += 1
            slot.restarts[i0:] += 1
            world.add_event(t + 1, "k8s_event", plan.service,
                            f"Back-off restarting failed container {plan.service} in pod {pod}",
                            reason="BackOff", type="Warning", pod=pod, count=restarts)
            if down_to < clock.end:
                world.add_event(down_to, "restart", plan.service, f"Container {plan.service} restarted in pod {pod}",
                                reason="Started", pod=pod)
                startup_logs(world, plan.service, j, down_to + 0.5)
            run_for = rng.uniform(3, 25) if plan.severity != "mild" else rng.uniform(30, 90)
            t = down_to + run_for
            backoff = min(backoff * 2, 300.0)


_FATAL = {
    "java": "APPLICATION FAILED TO START: Failed to bind properties under 'spring.datasource.url' to java.lang.String",
    "go": "panic: runtime error: invalid memory address or nil pointer dereference",
    "node": "Error: Cannot find module '/usr/src/app/config/production.json'",
    "python": "KeyError: 'SMTP_HOST'",
    "dotnet": "Unhandled exception. System.InvalidOperationException: Unable to resolve service for type "
              "'ICartStore' while attempting to activate 'CartService'.",
    "mongo": "Fatal assertion 28595 WiredTiger error, terminating",
    "postgres": "FATAL:  could not access private key file \"server.key\": Permission denied",
}


def _fatal_line(runtime: str) -> str:
    return _FATAL.get(runtime, "fatal error: exiting with status 1")


def _config_key(runtime: str) -> str:
    return {"java": "application.yaml", "python": "SMTP_HOST", "node": "NODE_ENV"}.get(runtime, "config.yaml")


def _shutdown_line(runtime: str) -> str:
    return {"postgres": "LOG:  received fast shutdown request",
            "mysql": "[Note] mysqld: Shutdown complete",
            "redis": "1:M * Redis is now ready to exit, bye bye...",
            "mongo": "{\"t\":{},\"s\":\"I\",\"c\":\"CONTROL\",\"msg\":\"Shutting down\",\"attr\":{\"exitCode\":0}}",
            "kafka": "INFO [KafkaServer id=1] shutting down (kafka.server.KafkaServer)",
            "rabbitmq": "[info] <0.222.0> RabbitMQ is asked to stop..."}.get(runtime, "shutting down")


def startup_logs(world: World, service: str, slot: int, ts: float) -> None:
    rt = world.services[service].spec.runtime
    port = world.services[service].spec.port
    first = {"java": f"Starting {service.title().replace('-', '')}Application v{world.services[service].version}",
             "go": f"starting {service} server", "node": f"{service} server starting",
             "python": f"Starting {service} server", "dotnet": "Hosting environment: Production",
             "postgres": "LOG:  database system is ready to accept connections",
             "redis": "1:M * Ready to accept connections tcp", "mongo": "Waiting for connections"}.get(rt, "starting")
    world.add_log(ts, service, slot, "info", first)
    world.add_log(ts + 2.5, service, slot, "info", f"listening on port {port}")


FAULT_KINDS: dict[str, FaultKind] = {
    f.name: f for f in [
        FaultKind("cpu_saturation", "a CPU hog on one pod: throttling, slow responses, callers time out",
                  _apps_and_stores, False, cpu_saturation),
        FaultKind("memory_leak", "memory climbs on one pod, GC thrashes, the container is OOM-killed and restarts",
                  lambda t: [s for s in _apps(t)] + [s for s in t.stores() if t.services[s].runtime == "redis"],
                  False, memory_leak),
        FaultKind("latency_injection", "a network delay on the service: every response is slower",
                  _apps_and_stores, False, latency_injection),
        FaultKind("exception_burst", "the service throws exceptions on a share of requests", _apps, False,
                  exception_burst),
        FaultKind("bad_deploy", "a new version rolls out and starts failing and slowing down", _apps, True,
                  bad_deploy),
        FaultKind("dependency_down", "a data store becomes unavailable: its clients get connection refused",
                  lambda t: t.stores(), True, dependency_down),
        FaultKind("packet_loss", "packet loss on one pod: retransmissions, latency tails, timeouts",
                  _apps_and_stores, False, packet_loss),
        FaultKind("disk_full", "a volume fills up and writes start to fail",
                  lambda t: t.stores() + [s for s in t.store_clients() if s != t.entry_service],
                  False, disk_full),
        FaultKind("connection_pool_exhaustion", "a connection leak exhausts the service's database pool",
                  lambda t: [s for s in t.store_clients() if s != t.entry_service], False,
                  connection_pool_exhaustion),
        FaultKind("crash_loop", "the container crashes on start again and again (CrashLoopBackOff)", _apps, True,
                  crash_loop),
    ]
}
