"""Request traffic through the call graph: a vectorised Monte-Carlo of request trees.

For every entry operation and every time step, N requests are drawn through the expanded
call tree. Each call picks a running pod, draws its own processing time from the pod's
conditions, then waits for its children in order. A caller gives up on a child after the
child's timeout (a timeout error), retries once where the call says so (timeouts amplify
load), swallows errors of optional calls, and stops calling further children once a
required child failed. Unreachable services (no running pod) fail fast with
"connection refused". Packet loss on either side adds TCP retransmission delays.

The samples feed the per-pod metrics (rates, errors, latency quantiles), the client-side
call statistics (pools, downstream-error logs) and the traces.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from aiops.simulator import naming
from aiops.simulator.topology import CallNode, Entry
from aiops.simulator.world import World

SAMPLES_PER_STEP = 40
_RTO_S = 0.2          # Linux minimum TCP retransmission timeout
_REFUSED_S = 0.0015   # a refused connection fails in about a millisecond


@dataclass
class NodeSamples:
    node: CallNode
    slot: np.ndarray        # (T, N) int: pod slot serving the call, -1 when unreachable
    own: np.ndarray         # own processing seconds
    total: np.ndarray       # server-side duration (own + children as called)
    err: np.ndarray         # server answered with an error
    own_err: np.ndarray     # the service itself failed (not a child)
    first_seen: np.ndarray  # what the caller waited on the first attempt
    timed_out: np.ndarray   # first attempt hit the caller's timeout
    retried: np.ndarray     # the caller retried (second attempt uses sample `retry_idx`)
    retry_idx: np.ndarray   # (N,) sample index of the retry attempt
    seen: np.ndarray        # caller-visible duration including the retry
    seen_err: np.ndarray    # caller-visible failure after the retry
    gap: np.ndarray         # caller-side retransmission delay before the call is answered
    rel_called: np.ndarray  # called, given that the parent ran (no earlier required sibling failed)
    called: np.ndarray = field(default=None)  # type: ignore[assignment]  # absolute: the call happened


@dataclass
class EntryRun:
    entry: Entry
    nodes: list[CallNode]
    samples: list[NodeSamples]
    rate: np.ndarray        # (T,) requests per second of this entry operation


@dataclass
class EdgeStats:
    """Client-side view of calls from one caller pod slot to one callee service, (k_caller, T)."""

    rate: np.ndarray
    timeouts: np.ndarray
    refused: np.ndarray
    errors: np.ndarray
    latency_sum: np.ndarray  # seconds waited, summed (rate-weighted)


@dataclass
class Traffic:
    runs: list[EntryRun]
    rps: dict[str, np.ndarray]          # (k, T) requests served per second
    errors: dict[str, np.ndarray]       # (k, T) error responses per second
    own_errors: dict[str, np.ndarray]   # (k, T) errors raised by the service itself
    quantiles: dict[str, np.ndarray]    # (3, k, T) p50, p90, p99 seconds (NaN: no requests)
    mean_latency: dict[str, np.ndarray]  # (k, T)
    edges: dict[tuple[str, str], EdgeStats]
    samples_per_step: int = SAMPLES_PER_STEP
    buckets: tuple[float, ...] = ()     # latency histogram bounds, seconds (ascending)
    histogram: dict[str, np.ndarray] = field(default_factory=dict)  # (B, k, T) requests/s at or under each bound


def entry_rates(world: World) -> np.ndarray:
    """(E, T) requests per second per entry operation: diurnal curve, slow drift, noise."""
    rng = naming.stream(world.seed, "traffic:rates")
    topo, clock = world.topology, world.clock
    tod_h = ((clock.times() % 86400) / 3600.0)
    diurnal = 1.0 + 0.45 * np.sin(2 * np.pi * (tod_h - 10.0) / 24.0)
    drift = np.zeros(clock.n)
    for i in range(1, clock.n):
        drift[i] = 0.92 * drift[i - 1] + rng.normal(0.0, 0.035)
    base = topo.entry_rps * rng.uniform(0.7, 1.3)
    rates = []
    for entry in topo.entries:
        jitter = np.exp(rng.normal(0.0, 0.06, clock.n))
        rates.append(base * entry.weight * rng.uniform(0.85, 1.15) * diurnal * np.exp(drift) * jitter)
    return np.array(rates)


def nominal_load(world: World, rates: np.ndarray) -> dict[str, np.ndarray]:
    """(T,) requests per second each service would get if nothing failed."""
    out = {name: np.zeros(world.clock.n) for name in world.services}
    for entry, rate in zip(world.topology.entries, rates):
        for node in world.topology.expand(entry):
            out[node.service] += rate
    return out


def _pick_slots(up: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Route each sample to a running pod (uniformly); -1 where none runs. up: (k, T), u: (T, N)."""
    cum = np.cumsum(up, axis=0)                   # (k, T)
    n_up = cum[-1]                                # (T,)
    r = np.floor(u * n_up[:, None])               # (T, N) rank among running pods
    slot = (cum.T[:, :, None] <= r[:, None, :]).sum(axis=1)   # (T, N)
    return np.where(n_up[:, None] > 0, slot, -1)


def _run_entry(world: World, entry: Entry, rate: np.ndarray, rng: np.random.Generator,
               n_s: int = SAMPLES_PER_STEP) -> EntryRun:
    topo, n_t = world.topology, world.clock.n
    nodes = topo.expand(entry)
    samples: list[NodeSamples | None] = [None] * len(nodes)
    t_idx = np.arange(n_t)[:, None]
    for node in reversed(nodes):                  # children before parents (pre-order reversed)
        state = world.services[node.service]
        slot = _pick_slots(state.up_matrix(), rng.random((n_t, n_s)))
        reach = slot >= 0
        s = np.where(reach, slot, 0)
        med = topo.own_latency_ms(node.service, node.operation) / 1000.0 * state.lat_mult[s, t_idx]
        own = med * np.exp(state.spec.sigma * rng.standard_normal((n_t, n_s)))
        own += state.lat_add[s, t_idx] * rng.uniform(0.7, 1.3, (n_t, n_s))
        tail = rng.random((n_t, n_s)) < state.tail_p[s, t_idx]
        own += tail * state.tail_s[s, t_idx] * rng.exponential(1.0, (n_t, n_s))
        own_err = rng.random((n_t, n_s)) < state.err[s, t_idx]
        own = np.where(own_err, own * state.err_latency, own)   # failing requests usually return early
        total = own.copy()
        err = own_err.copy()
        failed_before = np.zeros((n_t, n_s), dtype=bool)
        my_loss = state.loss[s, t_idx]
        for c in node.children:
            child = samples[c]
            assert child is not None
            child.rel_called = ~failed_before
            # Packet loss on the caller's pod delays its calls too.
            lost = rng.random((n_t, n_s)) < 1.0 - (1.0 - my_loss) ** 3
            child.gap = np.where(lost, _RTO_S * rng.choice([1.0, 1.0, 2.0, 3.0], (n_t, n_s)), 0.0)
            spent = np.minimum(child.seen + child.gap, child.node.timeout_s * (1 + child.node.retries))
            total += np.where(child.rel_called, spent, 0.0)
            if not child.node.optional:
                failed_before |= child.rel_called & child.seen_err
        err |= failed_before
        # What the caller of this node sees.
        lost_here = rng.random((n_t, n_s)) < 1.0 - (1.0 - my_loss) ** 4
        retransmit = np.where(lost_here, _RTO_S * rng.choice([1.0, 2.0, 3.0, 7.0], (n_t, n_s)), 0.0)
        raw = total + retransmit
        # The server's (or its sidecar's) clock runs until the response is written: it sees part of it.
        total = total + 0.5 * retransmit
        raw = np.where(reach, raw, _REFUSED_S * rng.uniform(0.5, 2.0, (n_t, n_s)))
        raw_err = err | ~reach
        timed_out = raw > node.timeout_s
        first_seen = np.minimum(raw, node.timeout_s)
        first_err = raw_err | timed_out
        retry_idx = rng.permutation(n_s)
        retried = first_err & (node.retries > 0)
        seen = first_seen + np.where(retried, first_seen[:, retry_idx], 0.0)
        seen_err = np.where(retried, first_err[:, retry_idx], first_err)
        samples[node.index] = NodeSamples(
            node=node, slot=slot.astype(np.int8), own=own, total=np.where(reach, total, 0.0), err=err & reach,
            own_err=own_err & reach, first_seen=first_seen, timed_out=timed_out, retried=retried,
            retry_idx=retry_idx, seen=seen, seen_err=seen_err, gap=np.zeros((n_t, n_s)),
            rel_called=np.ones((n_t, n_s), dtype=bool))
    done: list[NodeSamples] = [x for x in samples if x is not None]
    for ns in done:                               # pre-order: parents first
        parent_called = done[ns.node.parent].called if ns.node.parent >= 0 else True
        ns.called = ns.rel_called & parent_called
    return EntryRun(entry, nodes, done, rate)


def _weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs: tuple[float, ...]) -> np.ndarray:
    """Row-wise weighted quantiles: values/weights (T, M) -> (len(qs), T); NaN for empty rows."""
    order = np.argsort(values, axis=1)
    v = np.take_along_axis(values, order, axis=1)
    cw = np.cumsum(np.take_along_axis(weights, order, axis=1), axis=1)
    tot = cw[:, -1]
    out = np.full((len(qs), values.shape[0]), np.nan)
    ok = tot > 0
    for i, q in enumerate(qs):
        idx = np.argmax(cw >= q * tot[:, None], axis=1)
        out[i, ok] = v[ok, idx[ok]]
    return out


def simulate_traffic(world: World, rates: np.ndarray, samples_per_step: int = SAMPLES_PER_STEP,
                     buckets: tuple[float, ...] = ()) -> Traffic:
    """Draw `samples_per_step` request trees per entry operation and step; with `buckets`, also
    count served requests per latency bound (what a Prometheus histogram accumulates)."""
    n_t, n_s = world.clock.n, samples_per_step
    runs = [_run_entry(world, entry, rate, naming.stream(world.seed, f"traffic:{i}"), n_s)
            for i, (entry, rate) in enumerate(zip(world.topology.entries, rates))]
    per_service: dict[str, list[tuple[NodeSamples, np.ndarray]]] = {name: [] for name in world.services}
    edges: dict[tuple[str, str], EdgeStats] = {}
    for run in runs:
        w = np.repeat((run.rate / n_s)[:, None], n_s, axis=1)   # requests/s each sample stands for
        for ns in run.samples:
            served = ns.called & (ns.slot >= 0)
            per_service[ns.node.service].append((ns, np.where(served, w, 0.0)))
            if ns.node.retries:                   # the retry attempt is one more request
                extra = ns.called & ns.retried
                rs = ns.slot[:, ns.retry_idx]
                per_service[ns.node.service].append((_retry_view(ns, rs), np.where(extra & (rs >= 0), w, 0.0)))
            if ns.node.parent >= 0:
                parent = run.samples[ns.node.parent]
                _add_edge(edges, world, parent, ns, w)
    rps, errors, own_errors, quantiles, mean_latency = {}, {}, {}, {}, {}
    histogram: dict[str, np.ndarray] = {}
    for name, items in per_service.items():
        k = world.services[name].k
        if not items:
            zero = np.zeros((k, n_t))
            rps[name], errors[name], own_errors[name], mean_latency[name] = zero, zero, zero, zero
            quantiles[name] = np.full((3, k, n_t), np.nan)
            if buckets:
                histogram[name] = np.zeros((len(buckets), k, n_t))
            continue
        slot = np.concatenate([ns.slot for ns, _ in items], axis=1)
        wts = np.concatenate([wt for _, wt in items], axis=1)
        lat = np.concatenate([ns.total for ns, _ in items], axis=1)
        err = np.concatenate([ns.err for ns, _ in items], axis=1)
        oerr = np.concatenate([ns.own_err for ns, _ in items], axis=1)
        r = np.zeros((k, n_t))
        e, oe, ml, q = np.zeros((k, n_t)), np.zeros((k, n_t)), np.zeros((k, n_t)), np.full((3, k, n_t), np.nan)
        for j in range(k):
            wj = np.where(slot == j, wts, 0.0)
            r[j] = wj.sum(axis=1)
            e[j] = (wj * err).sum(axis=1)
            oe[j] = (wj * oerr).sum(axis=1)
            ml[j] = np.where(r[j] > 0, (wj * lat).sum(axis=1) / np.maximum(r[j], 1e-12), np.nan)
            q[:, j, :] = _weighted_quantiles(lat, wj, (0.5, 0.9, 0.99))
        rps[name], errors[name], own_errors[name], mean_latency[name], quantiles[name] = r, e, oe, ml, q
        if buckets:
            histogram[name] = np.stack([np.stack([np.where((slot == j) & (lat <= b), wts, 0.0).sum(axis=1)
                                                  for j in range(k)]) for b in buckets])
    return Traffic(runs, rps, errors, own_errors, quantiles, mean_latency, edges, n_s, tuple(buckets), histogram)


def _retry_view(ns: NodeSamples, retry_slot: np.ndarray) -> NodeSamples:
    idx = ns.retry_idx
    return NodeSamples(node=ns.node, slot=retry_slot, own=ns.own[:, idx], total=ns.total[:, idx],
                       err=ns.err[:, idx], own_err=ns.own_err[:, idx], first_seen=ns.first_seen[:, idx],
                       timed_out=ns.timed_out[:, idx], retried=ns.retried, retry_idx=idx, seen=ns.seen,
                       seen_err=ns.seen_err, gap=ns.gap, rel_called=ns.rel_called, called=ns.called)


def _add_edge(edges: dict, world: World, parent: NodeSamples, child: NodeSamples, w: np.ndarray) -> None:
    key = (parent.node.service, child.node.service)
    k = world.services[parent.node.service].k
    n_t = w.shape[0]
    if key not in edges:
        edges[key] = EdgeStats(*(np.zeros((k, n_t)) for _ in range(5)))
    st = edges[key]
    attempts = 1 + child.retried.astype(float)
    for j in range(k):
        wj = np.where(child.called & (parent.slot == j), w, 0.0)
        st.rate[j] += (wj * attempts).sum(axis=1)
        st.timeouts[j] += (wj * child.timed_out).sum(axis=1)
        st.refused[j] += (wj * (child.slot < 0)).sum(axis=1)
        st.errors[j] += (wj * child.seen_err).sum(axis=1)
        st.latency_sum[j] += (wj * (child.seen + child.gap)).sum(axis=1)
