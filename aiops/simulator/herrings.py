"""Red herrings and routine noise: things that happen in innocent services during an incident.

Real incidents are never the only thing going on: a routine deploy went out ten minutes
earlier, a batch job hammers the database every ten minutes, one service always logs
errors, a pod has a short CPU spike, the autoscaler and probes chatter. A ranker that
trusts "the first change" or "the most error logs" must be wrong on some of these.
"""

from __future__ import annotations

import numpy as np

from aiops.simulator import naming
from aiops.simulator.faults import FaultPlan, rolling_deploy
from aiops.simulator.world import World


def add_red_herrings(world: World, plan: FaultPlan, rng: np.random.Generator) -> list[str]:
    """Add 1-3 misleading anomalies and some routine events; returns one line per herring."""
    topo = world.topology
    innocent = [s for s in topo.apps() if s not in (plan.service, topo.entry_service)]
    kinds = ["spike", "routine_deploy", "noisy_errors"] + (["batch_job"] if topo.batch_job else [])
    picked = rng.choice(kinds, size=int(rng.integers(1, min(3, len(kinds)) + 1)), replace=False)
    notes = []
    for kind in sorted(picked, key=kinds.index):
        service = str(rng.choice(innocent)) if kind != "batch_job" else topo.batch_job
        innocent = [s for s in innocent if s != service] or innocent
        notes.append(_HERRINGS[kind](world, service, plan, rng))
    _routine_events(world, plan, rng)
    return notes


def spike(world: World, service: str, plan: FaultPlan, rng: np.random.Generator) -> str:
    st, n = world.services[service], world.clock.n
    j = int(rng.integers(0, st.k))
    start = int(rng.integers(2, n - 4))
    length = int(rng.integers(1, 4))
    st.cpu_extra[j, start:start + length] += st.spec.cpu_limit * rng.uniform(0.4, 0.9)
    st.lat_mult[j, start:start + length] *= rng.uniform(1.5, 3.0)
    st.tail_p[j, start:start + length] += 0.05
    return f"spike: {service} pod slot {j} at step {start} for {length} steps"


def routine_deploy(world: World, service: str, plan: FaultPlan, rng: np.random.Generator) -> str:
    st, clock = world.services[service], world.clock
    step = max(2, plan.onset_step - int(rng.integers(8, 40)))
    if rng.random() < 0.25:                       # sometimes the routine deploy lands after the onset
        step = min(clock.n - 3, plan.onset_step + int(rng.integers(2, 12)))
    old, new = st.version, naming.bump_version(st.version, rng)
    ts = clock.start + clock.step * step - rng.uniform(5, 40)
    rolling_deploy(world, service, step, ts, new, f"registry.example.com/{world.topology.namespace}/{service}:{new}",
                   rng)
    warm = 3 if st.spec.runtime == "java" else 1
    st.lat_mult[:, step:step + warm] *= rng.uniform(1.3, 2.2)
    st.cpu_extra[:, step:step + warm] += 0.3 * st.spec.cpu_limit
    return f"routine_deploy: {service} {old} -> {new} at step {step}"


def noisy_errors(world: World, service: str, plan: FaultPlan, rng: np.random.Generator) -> str:
    st = world.services[service]
    p = rng.uniform(0.003, 0.015)
    st.err = np.maximum(st.err, p * rng.uniform(0.6, 1.4, st.err.shape))
    st.error_kind = st.error_kind or "noise"
    return f"noisy_errors: {service} fails {p:.1%} of requests all along"


def batch_job(world: World, service: str, plan: FaultPlan, rng: np.random.Generator) -> str:
    """A CronJob every 10 minutes: its own short-lived pods, load on its store, chatty logs."""
    st, clock, topo = world.services[service], world.clock, world.topology
    store = world.services.get(topo.batch_store)
    slot = st.slots[0]
    slot.generations.clear()
    first_minute = int(clock.start // 600 + 1) * 10
    runs = 0
    for minute in range(first_minute, int(clock.end // 60), 10):
        ts = minute * 60 + rng.uniform(0.5, 3.0)
        i0 = clock.index(ts)
        length = int(rng.integers(4, 10))
        pod = naming.job_pod(service, minute, rng)
        slot.generations.append((i0, pod, naming.pod_ip(rng)))
        slot.up[i0:i0 + length] = True
        st.cpu_extra[0, i0:i0 + length] = st.spec.cpu_limit * rng.uniform(0.6, 0.95)
        st.mem_extra[0, i0:i0 + length] = st.spec.mem_mb * 1024 * 1024 * rng.uniform(0.5, 1.5)
        if store is not None:
            store.lat_mult[:, i0:i0 + length] *= rng.uniform(1.5, 2.3)
            store.cpu_extra[:, i0:i0 + length] += 0.35 * store.spec.cpu_limit
        world.add_event(ts - 1, "k8s_event", service, f"Created job {service}-{minute}", reason="SuccessfulCreate",
                        type="Normal")
        world.add_log(ts + 1, service, 0, "info", f"sync started: batch size=500 source={topo.batch_store}")
        for b in range(int(rng.integers(1, 4))):
            world.add_log(ts + 10 + 20 * b, service, 0, "warning",
                          f"retrying batch {int(rng.integers(1, 40))} after lock wait timeout (attempt {b + 1}/3)")
        end = ts + length * clock.step - rng.uniform(1, 10)
        world.add_log(end, service, 0, "info", f"synced {int(rng.integers(800, 5000))} products in "
                                               f"{end - ts:.1f}s")
        if end < clock.end:
            world.add_event(end + 1, "k8s_event", service, f"Job completed: {service}-{minute}", reason="Completed",
                            type="Normal")
        runs += 1
    if not slot.generations:
        slot.generations.append((0, naming.job_pod(service, first_minute, rng), naming.pod_ip(rng)))
    return f"batch_job: {service} ran {runs} times against {topo.batch_store}"


def _routine_events(world: World, plan: FaultPlan, rng: np.random.Generator) -> None:
    topo, clock = world.topology, world.clock
    apps = [s for s in topo.apps() if s != plan.service]
    for _ in range(int(rng.integers(1, 4))):
        what = rng.choice(["scale", "probe", "config", "pull", "scheduling"])
        svc = str(rng.choice(apps))
        st = world.services[svc]
        step = int(rng.integers(1, clock.n - 1))
        ts = clock.start + clock.step * step + rng.uniform(0, clock.step)
        pod = st.slots[int(rng.integers(0, st.k))].name_at(step)
        if what == "scale":
            world.add_event(ts, "scale", svc, f"New size: {st.k}; reason: All metrics below target",
                            reason="SuccessfulRescale", type="Normal", source="horizontal-pod-autoscaler")
        elif what == "probe":
            world.add_event(ts, "k8s_event", svc, "Readiness probe failed: HTTP probe failed with statuscode: 503",
                            reason="Unhealthy", type="Warning", pod=pod)
        elif what == "config":
            world.add_event(ts, "config", svc, f"configmap/{svc}-config updated (keys: LOG_LEVEL)",
                            user="ops@example.com")
        elif what == "scheduling":           # a scale-up pod that never found room (and was scaled away)
            pending = naming.deployment_pod(svc, st.rs_hash, rng)
            world.add_event(ts, "k8s_event", svc, "0/4 nodes are available: 2 Insufficient cpu, 2 node(s) had "
                            "untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/4 nodes are "
                            "available: 2 No preemption victims found for incoming pod.", reason="FailedScheduling",
                            type="Warning", pod=pending)
            world.add_event(ts + rng.uniform(20, 90), "scale", svc, f"New size: {st.k}; reason: All metrics below "
                            "target", reason="SuccessfulRescale", type="Normal", source="horizontal-pod-autoscaler")
        else:
            world.add_event(ts, "k8s_event", svc, "Container image already present on machine", reason="Pulled",
                            type="Normal", pod=pod)


_HERRINGS = {"spike": spike, "routine_deploy": routine_deploy, "noisy_errors": noisy_errors, "batch_job": batch_job}
