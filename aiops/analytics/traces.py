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

import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from aiops.analytics.spantree import EdgeStats, Spans, build_span_tree, call_edges
from aiops.domain import Finding

ALPHA = 1e-3
MIN_REQUESTS = 5              # per side, for a latency comparison
MIN_LATENCY_REL = 0.2         # own p90 must rise by >= 20 %
MIN_LATENCY_MS = 1.0          # ... and by >= 1 ms
MIN_ERROR_RISE = 0.01         # own error rate must rise by >= 1 percentage point
INHERITED_WEIGHT = 0.5


@dataclass(frozen=True)
class WindowStats:
    requests: int
    errors: int
    own_errors: int
    latency_ms: tuple[float, float, float]      # p50, p90, p99 of request duration
    own_ms: tuple[float, float, float]          # p50, p90, p99 of own time

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    @property
    def own_error_rate(self) -> float:
        return self.own_errors / self.requests if self.requests else 0.0


@dataclass(frozen=True)
class ServiceTraceStats:
    service: str
    before: WindowStats
    after: WindowStats


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
) -> TraceAnalysis:
    """Findings (best first), the service call graph and per-service before/after stats."""
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
    after = spans.start[req] >= baseline_end
    own_error = tree.error[req] & ~tree.callee_error[req]
    bounds = np.searchsorted(svc, np.arange(len(tree.services) + 1))

    stats: dict[str, ServiceTraceStats] = {}
    checks: dict[str, _Check] = {}
    for code, name in enumerate(tree.services):
        sl = slice(bounds[code], bounds[code + 1])
        rows, a = req[sl], after[sl]
        if len(rows) == 0:
            continue
        dur, own = spans.duration_us[rows] / 1000.0, tree.own_us[rows] / 1000.0
        err, own_err = tree.error[rows], own_error[sl]
        stats[name] = ServiceTraceStats(name, _window(dur[~a], own[~a], err[~a], own_err[~a]),
                                        _window(dur[a], own[a], err[a], own_err[a]))
        checks[name] = _check(stats[name], dur, own, err, own_err, a, spans.start[rows])

    findings = _attribute(stats, checks, graph)
    findings.sort(key=lambda f: (-f.score, f.service, f.signal))
    return TraceAnalysis(findings[:max_findings], graph, edges, stats)


@dataclass(frozen=True)
class _Check:
    own_latency: tuple[float, float, float] | None    # (p_value, size, onset) when own time rose
    latency: tuple[float, float, float] | None        # same for request duration
    own_errors: tuple[float, float, float] | None     # (p_value, size, onset) when own errors rose
    errors: tuple[float, float, float] | None


def _check(s: ServiceTraceStats, dur, own, err, own_err, a, start) -> _Check:  # noqa: ANN001
    def latency(values: np.ndarray, p90s: tuple[float, float]) -> tuple[float, float, float] | None:
        before_p90, after_p90 = p90s
        if s.before.requests < MIN_REQUESTS or s.after.requests < MIN_REQUESTS:
            return None
        rise = after_p90 - before_p90
        rel = rise / max(before_p90, MIN_LATENCY_MS)
        if rise < MIN_LATENCY_MS or rel < MIN_LATENCY_REL:
            return None
        p = min(1.0, 2.0 * min(_mann_whitney_greater(values[a], values[~a]), _exceedance(values[a], values[~a])))
        if p >= ALPHA:
            return None
        return p, 1.0 - np.exp(-rel), _change_point(values > before_p90, start)

    def errors(flags: np.ndarray, before: int, after: int) -> tuple[float, float, float] | None:
        n_b, n_a = s.before.requests, s.after.requests
        if n_a == 0:
            return None
        rate_b = (before + 0.5) / (n_b + 1.0)
        rise = after / n_a - before / max(n_b, 1)
        if rise < MIN_ERROR_RISE:
            return None
        p = _poisson_upper(after, rate_b * n_a)
        if p >= ALPHA:
            return None
        return p, 1.0 - np.exp(-rise / 0.05), _change_point(flags, start)

    return _Check(
        own_latency=latency(own, (s.before.own_ms[1], s.after.own_ms[1])),
        latency=latency(dur, (s.before.latency_ms[1], s.after.latency_ms[1])),
        own_errors=errors(own_err, s.before.own_errors, s.after.own_errors),
        errors=errors(err, s.before.errors, s.after.errors),
    )


def _attribute(stats: dict[str, ServiceTraceStats], checks: dict[str, _Check], graph: dict[str, set[str]]) -> list[Finding]:
    findings: list[Finding] = []
    for name, c in checks.items():
        s = stats[name]
        b, a = s.before, s.after
        if c.own_latency:
            p, size, onset = c.own_latency
            findings.append(_finding(
                name, "self_latency", p, size, onset, _ratio(a.own_ms[1], b.own_ms[1]), ("own",),
                f"{name}: own time p90 {b.own_ms[1]:.1f} ms -> {a.own_ms[1]:.1f} ms "
                f"(request p90 {b.latency_ms[1]:.1f} -> {a.latency_ms[1]:.1f} ms, {a.requests} requests after onset)"))
        elif c.latency:
            p, size, onset = c.latency
            origins = _downstream(name, graph, lambda x: checks[x].own_latency is not None if x in checks else False)
            findings.append(_finding(
                name, "latency", p, size * INHERITED_WEIGHT, onset, _ratio(a.latency_ms[1], b.latency_ms[1]), ("inherited",),
                f"{name}: request p90 {b.latency_ms[1]:.1f} ms -> {a.latency_ms[1]:.1f} ms while its own time held "
                f"({b.own_ms[1]:.1f} -> {a.own_ms[1]:.1f} ms); " + _explained(origins)))
        if c.own_errors:
            p, size, onset = c.own_errors
            findings.append(_finding(
                name, "error_rate", p, size, onset, a.own_error_rate - b.own_error_rate, ("own", "error"),
                f"{name}: own errors {100 * b.own_error_rate:.1f}% -> {100 * a.own_error_rate:.1f}% of requests "
                f"({a.own_errors} of {a.requests} after onset, not caused by callees)"))
        elif c.errors:
            p, size, onset = c.errors
            origins = _downstream(name, graph, lambda x: checks[x].own_errors is not None if x in checks else False)
            findings.append(_finding(
                name, "error_rate", p, size * INHERITED_WEIGHT, onset, a.error_rate - b.error_rate, ("inherited", "error"),
                f"{name}: errors {100 * b.error_rate:.1f}% -> {100 * a.error_rate:.1f}% of requests, propagated from "
                f"callees; " + _explained(origins)))
    return findings


def _finding(service: str, signal: str, p: float, size: float, onset: float, magnitude: float,
             tags: tuple[str, ...], summary: str) -> Finding:
    x = min(-np.log10(max(p, 1e-300)), 300.0)
    score = (1.0 - 10.0 ** (-x / 10.0)) * size
    return Finding(kind="trace", service=service, signal=signal, score=float(np.clip(score, 0.0, 1.0)),
                   summary=summary, onset=onset, direction=1, magnitude=float(magnitude),
                   ref=f"spans:service={service}", tags=tags)


def _downstream(service: str, graph: dict[str, set[str]], is_origin) -> list[str]:  # noqa: ANN001
    """Services reachable from `service` (breadth first) whose own behaviour changed."""
    seen, frontier, found = {service}, [service], []
    while frontier:
        nxt = []
        for s in frontier:
            for callee in sorted(graph.get(s, ())):
                if callee not in seen:
                    seen.add(callee)
                    nxt.append(callee)
                    if is_origin(callee):
                        found.append(callee)
        frontier = nxt
    return found


def _explained(origins: list[str]) -> str:
    return f"explained by downstream {', '.join(origins)}" if origins else "no downstream origin found in traces"


def _window(dur, own, err, own_err) -> WindowStats:  # noqa: ANN001
    return WindowStats(len(dur), int(err.sum()), int(own_err.sum()), _quantiles(dur), _quantiles(own))


def _quantiles(values: np.ndarray) -> tuple[float, float, float]:
    if len(values) == 0:
        return (float("nan"),) * 3
    q = np.quantile(values, (0.5, 0.9, 0.99))
    return float(q[0]), float(q[1]), float(q[2])


def _ratio(after: float, before: float) -> float:
    return after / before if before > 0 else float("inf") if after > 0 else 1.0


def _change_point(flags: np.ndarray, start: np.ndarray) -> float:
    """Start time of the request after which `flags` become more frequent (CUSUM minimum);
    `start` is sorted ascending."""
    x = flags.astype(float)
    if len(x) < 2 or x.min() == x.max():
        return float(start[0])
    cusum = np.cumsum(x - x.mean())
    k = int(np.argmin(cusum))
    return float(start[min(k + 1, len(start) - 1)])


def _mann_whitney_greater(after: np.ndarray, before: np.ndarray) -> float:
    """One-sided p-value that `after` tends to be larger than `before` (Mann-Whitney U,
    normal approximation with tie correction and continuity correction)."""
    n1, n2 = len(after), len(before)
    values = np.concatenate((after, before))
    order = np.argsort(values, kind="stable")
    ranked = values[order]
    n = n1 + n2
    starts = np.flatnonzero(np.concatenate(([True], ranked[1:] != ranked[:-1])))
    sizes = np.diff(np.append(starts, n))
    mid = starts + (sizes + 1) / 2.0                      # average 1-based rank of each tie run
    ranks = np.empty(n)
    ranks[order] = np.repeat(mid, sizes)
    u = ranks[:n1].sum() - n1 * (n1 + 1) / 2.0
    ties = float((sizes.astype(float) ** 3 - sizes).sum())
    var = n1 * n2 / 12.0 * ((n + 1) - ties / (n * (n - 1)))
    if var <= 0:
        return 1.0
    z = (u - n1 * n2 / 2.0 - 0.5) / math.sqrt(var)
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def _exceedance(after: np.ndarray, before: np.ndarray, q: float = 0.95) -> float:
    """One-sided p-value that more `after` values exceed the `before` q-quantile than before
    (binomial tail). Catches "a share of requests became very slow", which a rank test on a
    handful of sampled requests misses."""
    if len(after) == 0 or len(before) == 0:
        return 1.0
    from scipy.special import betainc

    thr = float(np.quantile(before, q))
    p0 = (float((before > thr).sum()) + 0.5) / (len(before) + 1.0)
    k = int((after > thr).sum())
    return 1.0 if k == 0 else float(betainc(k, len(after) - k + 1, p0))


def _poisson_upper(k: int, lam: float) -> float:
    """P(X >= k) for X ~ Poisson(lam)."""
    from scipy.special import gammainc

    return 1.0 if k <= 0 else float(gammainc(k, max(lam, 1e-12)))
