"""Per-service before/after checks of trace data: the request statistics on each side of a
split, where the split is tried (`cuts`), the latency and error tests (`check_split`) and a check
turned into a finding (`trace_finding`). `aiops.analytics.traces` walks the call graph over
them; see its docstring for the tests and the score."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aiops.analytics.stattests import change_point, exceedance, mann_whitney_greater, poisson_upper
from aiops.domain import Finding

ALPHA = 1e-3
MIN_REQUESTS = 5              # per side, for a latency comparison
MIN_CUT_REQUESTS = 4          # requests before an earlier change point tried as the split (and enough
                              # before it for a latency comparison there)
MIN_LATENCY_REL = 0.2         # own p90 must rise by >= 20 %
MIN_LATENCY_MS = 1.0          # ... and by >= 1 ms
MIN_ERROR_RISE = 0.01         # own error rate must rise by >= 1 percentage point


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
class Check:
    own_latency: tuple[float, float, float] | None    # (p_value, size, onset) when own time rose
    latency: tuple[float, float, float] | None        # same for request duration
    own_errors: tuple[float, float, float] | None     # (p_value, size, onset) when own errors rose
    errors: tuple[float, float, float] | None

    def strength(self) -> float:
        """-log10 p of the strongest change found (0 when none): which cut shows it best."""
        ps = [c[0] for c in (self.own_latency, self.own_errors, self.latency, self.errors) if c]
        return float(-np.log10(max(min(ps), 1e-300))) if ps else 0.0


def cuts(start: np.ndarray, own: np.ndarray, own_err: np.ndarray, baseline_end: float,
          search_from: float | None) -> list[tuple[float, int]]:
    """Where one service's before/after split is tried: the run's baseline end and, when the
    service's own time or own errors changed earlier (an alert that fired late leaves the
    spans before it already faulty), that change point — the split of its request sequence
    (at least MIN_REQUESTS a side) with the largest standardised difference of mean log own
    time, and the CUSUM point where own errors start to come more often. Each with the number
    of splits its search tried: a change point found by searching must be that much more
    significant (Bonferroni)."""
    cuts = [(baseline_end, 1)]
    n = len(start)
    early = int(np.searchsorted(start, baseline_end, side="left"))
    if search_from is None or early <= MIN_CUT_REQUESTS or n - early < MIN_REQUESTS:
        return cuts
    first = max(MIN_CUT_REQUESTS, int(np.searchsorted(start, search_from, side="left")))
    if first >= early:
        return cuts
    y = np.log(np.maximum(own, 1e-3))
    c = np.cumsum(y)
    k = np.arange(first, early)
    m1 = c[k - 1] / k
    m2 = (c[-1] - c[k - 1]) / (n - k)
    sd = float(np.std(y)) or 1.0
    t = (m2 - m1) / (sd * np.sqrt(1.0 / k + 1.0 / (n - k)))
    if len(t) and t.max() > 0:
        cuts.append((float(start[k[int(np.argmax(t))]]), len(k)))
    if own_err[:early].any() or own_err[early:].any():
        cp = change_point(own_err, start)
        if start[first] <= cp < baseline_end:
            cuts.append((cp, early - first))
    return cuts


def check_split(s: ServiceTraceStats, dur, own, err, own_err, a, start, alpha: float = ALPHA) -> Check:  # noqa: ANN001
    def latency(values: np.ndarray, p90s: tuple[float, float]) -> tuple[float, float, float] | None:
        before_p90, after_p90 = p90s
        if s.before.requests < min(MIN_REQUESTS, MIN_CUT_REQUESTS) or s.after.requests < MIN_REQUESTS:
            return None
        rise = after_p90 - before_p90
        rel = rise / max(before_p90, MIN_LATENCY_MS)
        if rise < MIN_LATENCY_MS or rel < MIN_LATENCY_REL:
            return None
        p = min(1.0, 2.0 * min(mann_whitney_greater(values[a], values[~a]), exceedance(values[a], values[~a])))
        if p >= alpha:
            return None
        return p, 1.0 - np.exp(-rel), change_point(values > before_p90, start)

    def errors(flags: np.ndarray, before: int, after: int) -> tuple[float, float, float] | None:
        n_b, n_a = s.before.requests, s.after.requests
        if n_a == 0:
            return None
        rate_b = (before + 0.5) / (n_b + 1.0)
        rise = after / n_a - before / max(n_b, 1)
        if rise < MIN_ERROR_RISE:
            return None
        p = poisson_upper(after, rate_b * n_a)
        if p >= alpha:
            return None
        return p, 1.0 - np.exp(-rise / 0.05), change_point(flags, start)

    return Check(
        own_latency=latency(own, (s.before.own_ms[1], s.after.own_ms[1])),
        latency=latency(dur, (s.before.latency_ms[1], s.after.latency_ms[1])),
        own_errors=errors(own_err, s.before.own_errors, s.after.own_errors),
        errors=errors(err, s.before.errors, s.after.errors),
    )


def trace_finding(service: str, signal: str, p: float, size: float, onset: float | None, magnitude: float,
             tags: tuple[str, ...], summary: str) -> Finding:
    x = min(-np.log10(max(p, 1e-300)), 300.0)
    score = (1.0 - 10.0 ** (-x / 10.0)) * size
    return Finding(kind="trace", service=service, signal=signal, score=float(np.clip(score, 0.0, 1.0)),
                   summary=summary, onset=onset, direction=1, magnitude=float(magnitude),
                   ref=f"spans:service={service}", tags=tags)


def window_stats(dur, own, err, own_err) -> WindowStats:  # noqa: ANN001
    return WindowStats(len(dur), int(err.sum()), int(own_err.sum()), _quantiles(dur), _quantiles(own))


def _quantiles(values: np.ndarray) -> tuple[float, float, float]:
    if len(values) == 0:
        return (float("nan"),) * 3
    q = np.quantile(values, (0.5, 0.9, 0.99))
    return float(q[0]), float(q[1]), float(q[2])
