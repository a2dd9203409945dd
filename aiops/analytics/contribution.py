"""Which service's own time or own failures made the requests worse: contribution along traces.

A noisy service whose own time wobbles does not slow anyone down; the root cause of a
latency incident is where the extra time of the slowed requests is spent. Per trace (a
root span and everything below it), the self time of each service's spans is summed; the
traces are grouped by their entry (root service and operation) and split into before and
after the onset. Per group, the rise of each service's mean self time per trace is that
service's contribution to the rise of the group's request time; over groups the
contributions are added, weighted by how many requests each group served after the onset.
Time added all along counts, not a burst: a service's added time is at most the median over
PERSIST_CHUNKS consecutive stretches of the requests after the split (one service's stall of
a minute lifts its mean, not its median stretch).
A contribution counts when it is a clear share of the total rise and significant (Welch's
z over the per-trace sums, combined over groups with Stouffer's method).

Failures the same way: per trace, the services where a failure started (an error span none
of whose children failed); the rise of each service's share of traces with such an origin
is its contribution to the failing requests.

When no failure rose against the requests before the split (spans that begin after the fault
did leave nothing clean to compare with) but a clear share of the requests fails, failures are
still traced to where they start: a service that starts most of the failing requests.

The split is the run's baseline end or, when the requests' time changed earlier (an alert
that fired late), that change point: the split of the time-ordered request durations (each
divided by its group's median) with the largest standardised difference of mean log time,
at least MIN_TRACES requests on each side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aiops.analytics.baseline import UNCOMPARED_WEIGHT
from aiops.analytics.spantree import Spans, SpanTree
from aiops.domain import Finding

MIN_TRACES = 4          # requests of a group on each side of the split
MIN_SHARE = 0.2         # of the total rise, for a contribution to count
Z_MIN = 3.0             # significance of a contribution
MIN_FAILED = 5          # failed requests needed to say where failures start, with no baseline
ORIGIN_SHARE = 0.3      # ... and the share of them a service must start
MIN_FAILING_SHARE = 0.05  # ... when this share of the requests fails
PERSIST_CHUNKS = 8        # stretches of the requests after the split whose median added time counts
RELATIVE_SCALE = 0.1      # added time / the requests' time before at which a contribution is 63 % of its size
_MAX_DEPTH_STEPS = 64


@dataclass(frozen=True)
class Contribution:
    service: str
    kind: str               # "latency" | "errors"
    added: float            # ms of extra self time per request, or extra share of requests failing here
    share: float            # of the total rise (0..1)
    z: float
    requests: int           # requests after the split in the groups it was measured in
    entries: tuple[str, ...]  # the entries (service operation) whose requests it slowed or failed
    compared: bool = True   # against requests before the split (else: where failures start, now)
    base: float = 0.0       # latency: the requests' mean time before the split (ms), weighted as `added`


def _roots(parent: np.ndarray) -> np.ndarray:
    """Row of each span's trace root (the top of its parent chain)."""
    rows = np.arange(len(parent))
    up = np.where(parent >= 0, parent, rows)
    for _ in range(_MAX_DEPTH_STEPS):
        nxt = up[up]
        if np.array_equal(nxt, up):
            break
        up = nxt
    return up


def _split(start: np.ndarray, value: np.ndarray, cut: float, search_from: float | None) -> float:
    """The cut, or an earlier change point of `value` (log, time ordered) when clearer."""
    if search_from is None:
        return cut
    order = np.argsort(start, kind="stable")
    t, y = start[order], np.log(np.maximum(value[order], 1e-6))
    n = len(t)
    first = max(MIN_TRACES, int(np.searchsorted(t, search_from, side="left")))
    last = int(np.searchsorted(t, cut, side="left"))
    if first >= last or n - last < MIN_TRACES:
        return cut
    c = np.cumsum(y)
    k = np.arange(first, last + 1)
    m1, m2 = c[k - 1] / k, (c[-1] - c[k - 1]) / (n - k)
    sd = float(np.std(y)) or 1.0
    stat = (m2 - m1) / (sd * np.sqrt(1.0 / k + 1.0 / (n - k)))
    best = int(np.argmax(stat))
    return float(t[k[best]]) if k[best] < last else cut


def contributions(spans: Spans, tree: SpanTree, cut: float, search_from: float | None = None,
                  covered: set[str] | None = None) -> list[Contribution]:
    """Contributions of every service to the rise of request time and failures (best first).
    The kinds ("latency", "errors") that had requests on both sides to compare are added to
    `covered` when given: there, a service that is not found added nothing measurable."""
    n = len(spans)
    if n == 0:
        return []
    root = _roots(tree.parent)
    is_root = root == np.arange(n)
    root_rows = np.flatnonzero(is_root)
    if len(root_rows) < 2 * MIN_TRACES:
        return []
    trace_of = np.searchsorted(root_rows, root)           # trace index of every span
    n_svc = len(tree.services)
    self_ms = np.bincount(trace_of * n_svc + tree.service_code, weights=tree.self_us / 1000.0,
                          minlength=len(root_rows) * n_svc).reshape(len(root_rows), n_svc)
    # failure origins: an error span none of whose children failed
    child_failed = np.zeros(n, dtype=bool)
    failed_child = tree.error & (tree.parent >= 0)
    child_failed[tree.parent[failed_child]] = True
    origin = tree.error & ~child_failed
    origins = np.zeros((len(root_rows), n_svc), dtype=bool)
    origins[trace_of[origin], tree.service_code[origin]] = True

    start = spans.start[root_rows]
    duration = spans.duration_us[root_rows] / 1000.0
    entry_names = np.array([f"{spans.service[r]} {spans.operation[r]}".strip() for r in root_rows], dtype=object)
    groups, group_of = np.unique(entry_names, return_inverse=True)
    median = np.array([np.median(duration[group_of == g]) for g in range(len(groups))])
    cut = _split(start, duration / np.maximum(median[group_of], 1e-6), cut, search_from)
    after = start >= cut

    out: list[Contribution] = []
    for kind, values in (("latency", self_ms), ("errors", origins.astype(float))):
        added = np.zeros(n_svc)
        zsum = np.zeros(n_svc)
        weight = np.zeros(n_svc)
        total = 0.0
        served = 0
        base = 0.0
        touched: list[set[str]] = [set() for _ in range(n_svc)]
        for g, name in enumerate(groups):
            rows = group_of == g
            b, a = rows & ~after, rows & after
            nb, na = int(b.sum()), int(a.sum())
            if nb < MIN_TRACES or na < MIN_TRACES:
                continue
            vb, va = values[b], values[a]
            before_mean = vb.mean(axis=0)
            diff = va.mean(axis=0) - before_mean
            if kind == "latency" and na >= PERSIST_CHUNKS * MIN_TRACES:
                # time added all along, not in one burst: the median over consecutive stretches
                # of the requests after the split (a 40 s stall of one service in a 3-minute
                # export is a mean of +20 ms per request, but no lasting cause)
                order = np.flatnonzero(a)[np.argsort(start[a], kind="stable")]
                stretches = np.array([values[c].mean(axis=0) for c in np.array_split(order, PERSIST_CHUNKS)])
                diff = np.minimum(diff, np.median(stretches, axis=0) - before_mean)
            se = np.sqrt(vb.var(axis=0, ddof=1) / nb + va.var(axis=0, ddof=1) / na)
            floor = 0.05 if kind == "latency" else 0.5 / (nb + na)   # ms / share: the resolution
            z = diff / np.maximum(se, floor)
            added += diff * na
            zsum += z * np.sqrt(na)
            weight += na
            total += (duration[a].mean() - duration[b].mean()) * na if kind == "latency" else \
                float(np.clip(diff, 0, None).sum()) * na
            served += na
            base += float(duration[b].mean()) * na
            for s in np.flatnonzero((diff > 0) & (z >= Z_MIN)):
                touched[s].add(str(name))
        if served == 0:
            continue
        if covered is not None:
            covered.add(kind)
        rise = np.clip(added, 0, None)
        denom = max(rise.sum(), total if kind == "latency" else 0.0, 1e-9)
        z_all = np.where(weight > 0, zsum / np.sqrt(np.maximum(weight, 1)), 0.0)
        for s in np.flatnonzero((rise / denom >= MIN_SHARE) & (z_all >= Z_MIN)):
            out.append(Contribution(tree.services[s], kind, float(added[s] / served), float(rise[s] / denom),
                                    float(z_all[s]), served, tuple(sorted(touched[s]))[:3], base=base / served))
    failing = origins.any(axis=1) & after
    if not any(c.kind == "errors" for c in out) and failing.sum() >= MIN_FAILING_SHARE * max(int(after.sum()), 1):
        out.extend(_failure_origins(origins, failing, tree.services, entry_names))
    out.sort(key=lambda c: (-c.share * min(c.z, 30.0), c.service))
    return out


def _failure_origins(origins: np.ndarray, failed: np.ndarray, services: list[str],
                     entry_names: np.ndarray) -> list[Contribution]:
    """With no request from before the onset to compare with, where the failing requests'
    failures start: a service that starts most of them is where they come from (z is left at
    Z_MIN: nothing says it failed less before)."""
    n_failed = int(failed.sum())
    if n_failed < MIN_FAILED:
        return []
    hits = origins[failed]
    per_trace = np.maximum(hits.sum(axis=1), 1)
    share = (hits / per_trace[:, None]).sum(axis=0) / n_failed
    out = []
    for s in np.flatnonzero(share >= ORIGIN_SHARE):
        rows = np.flatnonzero(failed)[hits[:, s]]
        out.append(Contribution(services[s], "errors", float(hits[:, s].mean()), float(share[s]), Z_MIN,
                                n_failed, tuple(sorted(set(map(str, entry_names[rows]))))[:3], compared=False))
    return out


def contribution_findings(found: list[Contribution], onset: float) -> list[Finding]:
    """One own trace finding per contribution: scored by its share and its significance."""
    out = []
    for c in found:
        # where failures start without a before to compare with: half the weight of a rise
        significance = 1.0 - np.exp(-max(c.z - Z_MIN, 0.0) / 3.0) if c.compared else UNCOMPARED_WEIGHT
        # a large share of a small slowdown is a small slowdown: time added, relative to the
        # requests' own time before (1 ms on 40 ms requests is no incident; 10 ms is one)
        size = 1.0 - np.exp(-c.added / max(c.base, 1e-9) / RELATIVE_SCALE) if c.kind == "latency" and c.base > 0 else 1.0
        score = float(np.clip(np.sqrt(c.share) * significance * size, 0.0, 1.0))
        where = f" into {', '.join(c.entries)}" if c.entries else ""
        if c.kind == "latency":
            summary = (f"{c.service}: its own time adds {c.added:.1f} ms to each request{where} "
                       f"({c.share:.0%} of what the requests slowed down; z {c.z:.1f})")
            tags: tuple[str, ...] = ("own", "contribution")
        elif c.compared:
            summary = (f"{c.service}: failures start here in {100 * c.added:.1f}% more of the requests{where} "
                       f"({c.share:.0%} of the new failures; z {c.z:.1f})")
            tags = ("own", "error", "contribution")
        else:
            summary = (f"{c.service}: {c.share:.0%} of the {c.requests} failing requests{where} fail here first "
                       f"(no requests from before the onset to compare with)")
            tags = ("own", "error", "contribution")
        out.append(Finding(kind="trace", service=c.service, signal=f"{c.kind}_contribution", score=score,
                           summary=summary, onset=onset, direction=1, magnitude=c.added,
                           ref=f"spans:service={c.service}", tags=tags))
    return out
