"""Sampled traces, cut from the traffic model's request trees so spans agree with metrics.

Each sampled request becomes a trace: one server span per service visit (a parent's
duration contains its children's), client spans for calls into data stores (stores do not
trace themselves) and for calls that never reached a server (connection refused). A
retried call shows both attempts. Span timestamps carry the emitting service's clock skew,
so a child can appear to start before its parent, as in real traces. With `client_spans`,
every call between services also gets the caller's client span (as OpenTelemetry and
service meshes record them), and with `window` only requests that start inside it are kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aiops.simulator import naming
from aiops.simulator.traffic import EntryRun, NodeSamples, Traffic
from aiops.simulator.world import World

TARGET_SPANS = 3600


@dataclass(frozen=True)
class Span:
    trace_id: str
    span_id: str
    parent_span_id: str
    service: str
    pod: str
    slot: int
    operation: str
    start: float          # unix seconds (skewed by the service's clock)
    duration_s: float
    status: str           # OK | ERROR
    http_status: int
    kind: str             # server | client
    peer: str             # callee of a client span
    own_error: bool       # the service itself failed this request
    cause: str            # why it failed: "" | own | timeout | refused | error
    cause_peer: str       # the callee whose failure made this span fail


class _Walker:
    def __init__(self, world: World, run: EntryRun, rng: np.random.Generator, client_spans: bool = False) -> None:
        self.world, self.run, self.rng, self.client_spans = world, run, rng, client_spans
        self.spans: list[Span] = []
        self._ids = iter(())

    def span_id(self) -> str:
        try:
            return next(self._ids)
        except StopIteration:
            self._ids = iter(naming.hex_ids(self.rng, 512, 8))
            return next(self._ids)

    def walk(self, i: int, t: int, n: int, start: float, parent: str, trace_id: str) -> None:
        ns = self.run.samples[i]
        node, svc = ns.node, ns.node.service
        st = self.world.services[svc]
        slot = int(ns.slot[t, n])
        pod = st.slots[slot].name_at(t)
        sid = self.span_id()
        cursor = start + float(ns.own[t, n]) * 0.3
        cause, cause_peer = ("own", svc) if ns.own_err[t, n] else ("", "")
        for c in node.children:
            ch = self.run.samples[c]
            if not ch.rel_called[t, n]:
                continue
            gap = float(ch.gap[t, n])
            attempts = [n] + ([int(ch.retry_idx[n])] if ch.retried[t, n] else [])
            at = cursor
            for m in attempts:
                seen = float(ch.first_seen[t, m]) + gap
                self._call(ch, t, m, at, seen, sid, trace_id, svc, pod, slot)
                at += seen
            cursor += min(float(ch.seen[t, n]) + gap, ch.node.timeout_s * (1 + ch.node.retries))
            if ch.seen_err[t, n] and not ch.node.optional and not cause:
                cause = "timeout" if ch.timed_out[t, attempts[-1]] else ("refused" if ch.slot[t, attempts[-1]] < 0
                                                                         else "error")
                cause_peer = ch.node.service
        failed = bool(ns.err[t, n])
        code = 200 if not failed else {"own": st.error_code, "timeout": 504, "refused": 503,
                                       "error": 500}.get(cause, 500)
        self.spans.append(Span(trace_id, sid, parent, svc, pod, slot, node.operation, start + st.clock_skew,
                               float(ns.total[t, n]), "ERROR" if failed else "OK", code, "server", "",
                               bool(ns.own_err[t, n]), cause if failed else "", cause_peer if failed else ""))

    def _call(self, ch: NodeSamples, t: int, m: int, at: float, seen: float, parent_sid: str, trace_id: str,
              caller: str, caller_pod: str, caller_slot: int) -> None:
        callee = ch.node.service
        unreachable = ch.slot[t, m] < 0
        if not unreachable and not self.world.services[callee].spec.is_store:
            if self.client_spans:
                failed = bool(ch.err[t, m] or ch.timed_out[t, m])
                cause = "timeout" if ch.timed_out[t, m] else ("error" if failed else "")
                sid = self.span_id()
                code = (504 if ch.timed_out[t, m] else self._server_code(ch, t, m)) if failed else 200
                self.spans.append(Span(trace_id, sid, parent_sid, caller, caller_pod, caller_slot,
                                       f"{callee}/{ch.node.operation}", at + self.world.services[caller].clock_skew,
                                       seen, "ERROR" if failed else "OK", code, "client", callee, False, cause,
                                       callee if failed else ""))
                parent_sid = sid
            self.walk(ch.node.index, t, m, at + float(ch.gap[t, m]) * 0.5, parent_sid, trace_id)
            return
        failed = bool(unreachable or ch.err[t, m] or ch.timed_out[t, m])
        cause = "refused" if unreachable else ("timeout" if ch.timed_out[t, m] else ("error" if failed else ""))
        skew = self.world.services[caller].clock_skew
        op = ch.node.operation if self.world.services[callee].spec.is_store else f"{callee}/{ch.node.operation}"
        self.spans.append(Span(trace_id, self.span_id(), parent_sid, caller, caller_pod, caller_slot, op, at + skew,
                               seen, "ERROR" if failed else "OK", 0, "client", callee, False, cause,
                               callee if failed else ""))


    def _server_code(self, ch: NodeSamples, t: int, m: int) -> int:
        st = self.world.services[ch.node.service]
        return st.error_code if ch.own_err[t, m] else 500


def build_traces(world: World, traffic: Traffic, target: int = TARGET_SPANS,
                 window: tuple[float, float] | None = None, client_spans: bool = False) -> list[Span]:
    """About `target` spans of sampled requests (those starting inside `window`, if given)."""
    rng = naming.stream(world.seed, "traces")
    clock, n_s = world.clock, traffic.samples_per_step
    if window is None:
        inside = None
        expected = sum(float(run.rate.sum()) * clock.step * len(run.nodes) for run in traffic.runs)
    else:
        t0 = clock.times()
        inside = (t0 + clock.step > window[0]) & (t0 < window[1])
        stores = {n for n, st in world.services.items() if st.spec.is_store}
        expected = sum(float(run.rate[inside].sum()) * clock.step * (
            len(run.nodes) + client_spans * sum(1 for nd in run.nodes[1:] if nd.service not in stores))
            for run in traffic.runs)
    ratio = target / max(expected, 1.0)
    spans: list[Span] = []
    for run in traffic.runs:
        walker = _Walker(world, run, rng, client_spans)
        counts = rng.poisson(np.minimum(run.rate * clock.step * ratio, n_s))
        if inside is not None:
            counts = np.where(inside, counts, 0)
        for t in np.flatnonzero(counts):
            picks = rng.choice(n_s, size=min(int(counts[t]), n_s), replace=False)
            starts = clock.start + t * clock.step + np.sort(rng.uniform(0, clock.step, picks.size))
            for n, start in zip(picks, starts):
                root = run.samples[0]
                if root.slot[t, n] < 0 or (window is not None and not window[0] <= start < window[1]):
                    continue
                walker.walk(0, int(t), int(n), float(start), "", naming.hex_id(rng, 16))
        spans.extend(walker.spans)
    spans.sort(key=lambda s: (s.start, s.trace_id))
    return spans
