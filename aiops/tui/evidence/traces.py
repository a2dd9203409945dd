"""Trace evidence: the call paths into a service, slow or failing after the onset.

A request handled by the service is one of its entry spans (`aiops.analytics.spantree`).
Its path is the chain of entry spans above it, root first (`frontend GET /cart →
checkout PlaceOrder → inventory Reserve`). Paths are compared before/after the split:
p90 latency, error counts (and which errors the service raised itself), and the slowest
traces after the onset are listed by id for a trace viewer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aiops.analytics.spantree import Spans, build_span_tree

MAX_DEPTH = 32


@dataclass(frozen=True)
class PathView:
    path: str
    before: int
    after: int
    p90_before_ms: float
    p90_after_ms: float
    errors_after: int
    own_errors_after: int            # failed without a failing callee: the service's own errors

    @property
    def slowdown(self) -> float:
        if not np.isfinite(self.p90_before_ms) or self.p90_before_ms <= 0:
            return float("inf") if self.after else 1.0
        return self.p90_after_ms / self.p90_before_ms


@dataclass(frozen=True)
class SlowTrace:
    trace_id: str
    start: float
    duration_ms: float
    error: bool
    path: str


@dataclass(frozen=True)
class TraceEvidence:
    requests: int
    paths: list[PathView]
    slowest: list[SlowTrace]


def _p90(values: np.ndarray) -> float:
    return float(np.quantile(values, 0.9)) if len(values) else float("nan")


def trace_evidence(columns: dict, service: str, split: float, limit: int = 8) -> TraceEvidence:
    """Paths into `service` ranked by errors after the split, then by slowdown."""
    spans = Spans.from_columns(columns)
    if len(spans) == 0:
        return TraceEvidence(0, [], [])
    tree = build_span_tree(spans)
    rows = np.flatnonzero(tree.entry & (spans.service == service))
    if len(rows) == 0:
        return TraceEvidence(0, [], [])
    labels = np.array([f"{s} {o}".strip() for s, o in zip(spans.service, spans.operation)], dtype=object)
    paths = labels[rows].copy()
    cur = tree.parent[rows]
    for _ in range(MAX_DEPTH):
        live = cur >= 0
        if not live.any():
            break
        at = cur[live]
        is_entry = tree.entry[at]
        idx = np.flatnonzero(live)[is_entry]
        paths[idx] = labels[at[is_entry]] + " → " + paths[idx]
        cur[live] = tree.parent[at]
    after = spans.start[rows] >= split
    dur_ms = spans.duration_us[rows] / 1000.0
    err = tree.error[rows]
    own_err = err & ~tree.callee_error[rows]
    views = []
    for p in np.unique(paths):
        m = paths == p
        a, b = m & after, m & ~after
        views.append(PathView(path=str(p), before=int(b.sum()), after=int(a.sum()), p90_before_ms=_p90(dur_ms[b]),
                              p90_after_ms=_p90(dur_ms[a]), errors_after=int(err[a].sum()),
                              own_errors_after=int(own_err[a].sum())))
    views.sort(key=lambda v: (-v.errors_after, -min(v.slowdown, 1e9) if v.after else 0.0, -v.after))
    late = np.flatnonzero(after)
    late = late[np.argsort(-dur_ms[late], kind="stable")][:5]
    slowest = [SlowTrace(trace_id=str(spans.trace_id[rows[i]]), start=float(spans.start[rows[i]]),
                         duration_ms=float(dur_ms[i]), error=bool(err[i]), path=str(paths[i])) for i in late]
    return TraceEvidence(len(rows), views[:limit], slowest)
