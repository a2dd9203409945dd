"""Trace analysis: which service's *own* behaviour changed after the onset.

Per service, requests are its entry spans (see `aiops.analytics.spantree`). Before
(`start < baseline_end`) and after the onset we compare:

- latency of the request (entry span duration) and *own time* (self time summed over the
  service's segment, i.e. time not spent waiting for callees), p50/p90/p99;
- error rate, and *own* error rate: failed requests none of whose callees failed.

Attribution walks the call graph: a service whose own time (or own errors) rose is the
origin (`tags=("own",)`, signal `self_latency` / `error_rate`); a caller whose latency or
error rate rose while its own part did not inherits it (`tags=("inherited",)`, signal
`latency` / `error_rate`, summary naming the downstream origins, score halved). So in
A -> B -> C with C slowing down, C is reported as own and A, B as inherited.

Tests: one-sided Mann-Whitney U on own time / duration, or (Bonferroni, the smaller of the
two) a binomial tail on how many requests exceed the baseline's 95th percentile (latency);
a Poisson upper tail on own error counts (errors). Score = significance x size, both in [0, 1]: significance
`1 - 10**(-x/10)` for `x = -log10(p)`; size `1 - exp(-relative increase)` for latency,
`1 - exp(-increase / 5 percentage points)` for errors. Onset: the change point of the
service's request sequence (minimum of the CUSUM of "slow" / "own error" indicators).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Collection, Mapping, Sequence

import numpy as np

from aiops.analytics.baseline import UNCOMPARED_WEIGHT, short_baseline
from aiops.analytics.contribution import contribution_findings, contributions
from aiops.analytics.graphs import descendants
from aiops.analytics.peers import time_shares
from aiops.analytics.span_rates import rate_changes
from aiops.analytics.spantree import EdgeStats, Spans, build_span_tree, call_edges
from aiops.analytics.stattests import mann_whitney_greater, poisson_lower, poisson_upper
from aiops.analytics.trace_checks import (
    ALPHA, MIN_ERROR_RISE, MIN_REQUESTS, Check, ServiceTraceStats, check_split, cuts, trace_finding, window_stats,
)
from aiops.domain import Finding

INHERITED_WEIGHT = 0.5
CHRONIC_RATE = 0.2            # an uncompared failing share weighs more the larger it is against this scale
                              # (few services fail that much all along)
MINOR_FACTOR = 0.3            # own time that rose but adds little to the requests (see contribution)


@dataclass(frozen=True)
class TraceAnalysis:
    findings: list[Finding]
    graph: dict[str, set[str]]                        # caller -> callees
    edges: dict[tuple[str, str], EdgeStats]
    services: dict[str, ServiceTraceStats] = field(default_factory=dict)


def analyse_traces(
    spans: Spans | Mapping[str, Sequence[object]],
    baseline_end: float,
    window_end: float | None = None,
    *,
    window_start: float | None = None,
    max_findings: int = 50,
    client_side: Collection[str] = (),
    search_from: float | None = None,
) -> TraceAnalysis:
    """Findings (best first), the service call graph and per-service before/after stats.

    `client_side` names services whose spans are their callers' client spans (untraced
    peers, see `aiops.analytics.peers`): a change there that only some callers see, while
    others with enough calls see none, is on those callers' side (their network, client
    or pool) and is reported for them. With `search_from`, a service whose own time or errors
    changed between then and `baseline_end` (an alert that fired late) is split there instead.
    """
    if not isinstance(spans, Spans):
        spans = Spans.from_columns(spans)
    if len(spans) == 0:
        return TraceAnalysis([], {}, {}, {})
    tree = build_span_tree(spans)
    lo = float(np.nanmin(spans.start)) if window_start is None else float(window_start)
    hi = float(np.nanmax(spans.start)) if window_end is None else float(window_end)
    in_window = (spans.start >= lo) & (spans.start <= hi)
    edges = call_edges(tree, spans, np.flatnonzero(in_window))
    graph: dict[str, set[str]] = {name: set() for name in tree.services}
    for caller, callee in edges:
        graph[caller].add(callee)

    req = np.flatnonzero(tree.entry & in_window)
    req = req[np.lexsort((spans.start[req], tree.service_code[req]))]   # by service, then time
    svc = tree.service_code[req]
    own_error = tree.error[req] & ~tree.callee_error[req]
    bounds = np.searchsorted(svc, np.arange(len(tree.services) + 1))

    stats: dict[str, ServiceTraceStats] = {}
    checks: dict[str, Check] = {}
    side: list[Finding] = []
    for code, name in enumerate(tree.services):
        sl = slice(bounds[code], bounds[code + 1])
        rows = req[sl]
        if len(rows) == 0:
            continue
        dur, own = spans.duration_us[rows] / 1000.0, tree.own_us[rows] / 1000.0
        err, own_err = tree.error[rows], own_error[sl]
        best: tuple[float, ServiceTraceStats, Check, np.ndarray] | None = None
        for cut, tries in cuts(spans.start[rows], own, own_err, baseline_end, search_from):
            a = spans.start[rows] >= cut
            st = ServiceTraceStats(name, window_stats(dur[~a], own[~a], err[~a], own_err[~a]),
                                   window_stats(dur[a], own[a], err[a], own_err[a]))
            ck = check_split(st, dur, own, err, own_err, a, spans.start[rows], alpha=ALPHA / tries)
            if best is None or ck.strength() > best[0]:
                best = (ck.strength(), st, ck, a)
        assert best is not None
        _, stats[name], checks[name], a = best
        if name in client_side and (checks[name].own_latency or checks[name].own_errors):
            checks[name], found = _caller_side(name, checks[name], _callers(tree, spans, rows), dur, own, err, own_err,
                                               a, spans.start[rows])
            side.extend(found)

    # What is known of a client-side peer was measured by its callers: say so, the ranking
    # must not let it explain away those same callers' own trouble.
    attributed = _attribute(stats, checks, graph)
    if len(req) and short_baseline(baseline_end, float(np.min(spans.start[req]))):
        attributed += _failing_now(stats, checks)
    findings = [replace(f, tags=f.tags + ("client_side",)) if f.service in client_side and "own" in f.tags else f
                for f in attributed] + side
    # where the extra time and the new failures of whole requests are spent
    covered: set[str] = set()
    found = contributions(spans, tree, baseline_end, search_from, covered=covered)
    if "latency" in covered:
        # own time that rose while adding nothing measurable to the requests it serves is not
        # where their time went (a busy service's own wander, a short baseline's luck)
        slowed = {c.service for c in found if c.kind == "latency"}
        findings = [replace(f, score=f.score * MINOR_FACTOR, summary=f"{f.summary}; adds little to the requests")
                    if f.signal == "self_latency" and f.service not in slowed else f for f in findings]
    findings += [replace(f, tags=f.tags + ("client_side",)) if f.service in client_side else f
                 for f in contribution_findings(found, baseline_end)]
    findings += rate_changes(tree.services, tree.service_code[req], spans.start[req], baseline_end,
                             (float(np.nanmin(spans.start)), float(np.nanmax(spans.start))))
    findings.sort(key=lambda f: (-f.score, f.service, f.signal))
    shares = time_shares(tree, spans, req, client_side, baseline_end)
    return TraceAnalysis(findings[:max_findings] + shares, graph, edges, stats)


def _callers(tree, spans: Spans, rows: np.ndarray) -> tuple[np.ndarray, list[tuple[str, str]]]:  # noqa: ANN001
    """Per request row, a code of its caller (service, pod), and the (service, pod) of each code."""
    parent = tree.parent[rows]
    has = parent >= 0
    svc = np.where(has, tree.service_code[np.maximum(parent, 0)], -1)
    pod = spans.pod[np.maximum(parent, 0)] if spans.pod is not None else np.full(len(rows), "", dtype=object)
    keys = [(tree.services[s], str(p)) if s >= 0 else None for s, p in zip(svc.tolist(), pod.tolist())]
    names = sorted({k for k in keys if k is not None})
    code = {k: i for i, k in enumerate(names)}
    return np.array([code[k] if k is not None else -1 for k in keys], dtype=np.int64), names


def _caller_side(peer: str, check: Check, callers: tuple[np.ndarray, list[tuple[str, str]]], dur, own, err,
                 own_err, a, start) -> tuple[Check, list[Finding]]:  # noqa: ANN001
    """Split a client-side peer's change by caller (service and pod): when callers with
    enough calls at the same time saw no change, the change belongs to the callers that
    did (own findings for them) — their network, client or pool, not the peer."""
    caller, who_is = callers
    changed: dict[int, Check] = {}
    quiet: list[int] = []
    for code in np.unique(caller[caller >= 0]):
        m = caller == code
        s = ServiceTraceStats(peer, window_stats(dur[m & ~a], own[m & ~a], err[m & ~a], own_err[m & ~a]),
                              window_stats(dur[m & a], own[m & a], err[m & a], own_err[m & a]))
        c = check_split(s, dur[m], own[m], err[m], own_err[m], a[m], start[m])
        if c.own_latency or c.own_errors:
            changed[int(code)] = c
        elif s.before.requests >= MIN_REQUESTS and s.after.requests >= MIN_REQUESTS:
            quiet.append(int(code))
    if not changed or not quiet:
        return check, []
    # A quiet caller counts only when its calls while the others suffered are clearly better
    # than theirs (not merely too few, or made at another time, to show the change).
    hit = np.isin(caller, list(changed)) & a
    slow = any(c.own_latency for c in changed.values())
    bad = hit & ((own > np.quantile(own[~a], 0.95)) if slow and (~a).any() else own_err)
    if not bad.any():
        return check, []
    during = (start >= start[bad].min()) & (start <= start[bad].max())
    hit &= during
    steady = []
    for code in quiet:
        m = (caller == code) & a & during
        if m.sum() < MIN_REQUESTS:
            continue
        if slow:
            clear = mann_whitney_greater(own[hit], own[m]) < ALPHA
        else:
            rate = own_err[hit].mean()
            clear = poisson_lower(int(own_err[m].sum()), rate * int(m.sum())) < ALPHA
        if clear:
            steady.append(code)
    if not steady:
        return check, []
    held = ", ".join(sorted({_label(who_is[c]) for c in steady})[:3])
    found = []
    for code, c in changed.items():
        who, pod = who_is[code]
        if not pod and any(who_is[s][0] == who for s in steady):
            continue
        for signal, hit in (("client_latency", c.own_latency), ("client_errors", c.own_errors)):
            if hit:
                p, size, onset = hit
                what = "got slower" if signal == "client_latency" else "fail more"
                f = trace_finding(who, signal, p, size, onset, 0.0, ("own",) + (("error",) if "err" in signal else ()),
                             f"{_label(who_is[code])}: its calls to {peer} {what} while calls from {held} to {peer} "
                             f"held — the trouble is on {who}'s side (its network, client or pool)")
                found.append(replace(f, component=f"pod/{pod}" if pod else ""))
    return Check(None, None, None, None), found


def _label(caller: tuple[str, str]) -> str:
    return f"{caller[0]} ({caller[1]})" if caller[1] else caller[0]


def _attribute(stats: dict[str, ServiceTraceStats], checks: dict[str, Check], graph: dict[str, set[str]]) -> list[Finding]:
    findings: list[Finding] = []
    for name, c in checks.items():
        s = stats[name]
        b, a = s.before, s.after
        if c.own_latency:
            p, size, onset = c.own_latency
            findings.append(trace_finding(
                name, "self_latency", p, size, onset, _ratio(a.own_ms[1], b.own_ms[1]), ("own",),
                f"{name}: own time p90 {b.own_ms[1]:.1f} ms -> {a.own_ms[1]:.1f} ms "
                f"(request p90 {b.latency_ms[1]:.1f} -> {a.latency_ms[1]:.1f} ms, {a.requests} requests after onset)"))
        elif c.latency:
            p, size, onset = c.latency
            origins = [x for x in descendants(graph, name) if x in checks and checks[x].own_latency is not None]
            findings.append(trace_finding(
                name, "latency", p, size * INHERITED_WEIGHT, onset, _ratio(a.latency_ms[1], b.latency_ms[1]), ("inherited",),
                f"{name}: request p90 {b.latency_ms[1]:.1f} ms -> {a.latency_ms[1]:.1f} ms while its own time held "
                f"({b.own_ms[1]:.1f} -> {a.own_ms[1]:.1f} ms); " + _explained(origins)))
        if c.own_errors:
            p, size, onset = c.own_errors
            findings.append(trace_finding(
                name, "error_rate", p, size, onset, a.own_error_rate - b.own_error_rate, ("own", "error"),
                f"{name}: own errors {100 * b.own_error_rate:.1f}% -> {100 * a.own_error_rate:.1f}% of requests "
                f"({a.own_errors} of {a.requests} after onset, not caused by callees)"))
        elif c.errors:
            p, size, onset = c.errors
            origins = [x for x in descendants(graph, name) if x in checks and checks[x].own_errors is not None]
            findings.append(trace_finding(
                name, "error_rate", p, size * INHERITED_WEIGHT, onset, a.error_rate - b.error_rate, ("inherited", "error"),
                f"{name}: errors {100 * b.error_rate:.1f}% -> {100 * a.error_rate:.1f}% of requests, propagated from "
                f"callees; " + _explained(origins)))
    return findings


def _failing_now(stats: dict[str, ServiceTraceStats], checks: dict[str, Check]) -> list[Finding]:
    """Spans that begin under SHORT_BASELINE_S before the split (an export of the last minutes)
    often hold no request from before the fault: a service whose own errors did not rise
    against that short stretch, but whose own error rate over all its requests stands far
    above the other services' (Poisson upper tail against their pooled rate, Bonferroni over
    the services), is where failures start now. Nothing says it failed less before: such a
    finding weighs from UNCOMPARED_WEIGHT (a few per cent failing) towards 0.9 (most requests
    failing: few services fail that much all along), and a service failing as much before as
    after is named all the same (a chronic failure looks the same with so little history)."""
    totals = {n: (s.before.own_errors + s.after.own_errors, s.before.requests + s.after.requests)
              for n, s in stats.items()}
    all_err = sum(e for e, _ in totals.values())
    all_req = sum(r for _, r in totals.values())
    alpha = ALPHA / max(len(totals), 1)
    out = []
    for name, (k, n) in totals.items():
        if checks[name].own_errors or n == 0 or k == 0:
            continue
        pool = (all_err - k + 0.5) / (all_req - n + 1.0)
        rate = k / n
        if rate - pool < MIN_ERROR_RISE:
            continue
        p = poisson_upper(k, pool * n)
        if p >= alpha:
            continue
        # nothing says it is new; but few services fail a large share of their requests all along
        plausibly_new = UNCOMPARED_WEIGHT + (1.0 - UNCOMPARED_WEIGHT) * 0.8 * (1.0 - np.exp(-rate / CHRONIC_RATE))
        out.append(trace_finding(name, "error_rate", p, plausibly_new * (1.0 - np.exp(-(rate - pool) / 0.05)), None,
                            rate - pool, ("own", "error", "uncompared"),
                            f"{name}: {100 * rate:.1f}% of its requests fail here ({k} of {n}, not caused by "
                            f"callees) while the other services fail {100 * pool:.2f}% (no requests from before "
                            f"the onset to compare with)"))
    return out


def _explained(origins: list[str]) -> str:
    return f"explained by downstream {', '.join(origins)}" if origins else "no downstream origin found in traces"


def _ratio(after: float, before: float) -> float:
    return after / before if before > 0 else float("inf") if after > 0 else 1.0
