"""Trace paths: the chain of service:operation entries from a request's root to a span.

`path_stats` groups the entry spans of one service by the path that led to them and
compares before vs after a cut: calls, error share and p90 duration. Slow or newly failing
paths show *which* callers' requests a service's trouble hurts (and through whom).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aiops.analytics.spantree import SpanTree, Spans

MAX_DEPTH = 12


@dataclass(frozen=True)
class PathStats:
    path: str                     # "frontend:GET /cart -> cart:GetCart -> redis:GET"
    calls_before: int
    calls_after: int
    errors_before: int
    errors_after: int
    p90_ms_before: float
    p90_ms_after: float

    @property
    def error_rate_after(self) -> float:
        return self.errors_after / self.calls_after if self.calls_after else 0.0

    @property
    def error_rate_before(self) -> float:
        return self.errors_before / self.calls_before if self.calls_before else 0.0


def _label(spans: Spans, row: int) -> str:
    op = str(spans.operation[row] or "")
    return f"{spans.service[row]}:{op}" if op else str(spans.service[row])


def entry_path(spans: Spans, tree: SpanTree, row: int) -> str:
    """The entry spans from the root down to `row`'s segment entry, as one string."""
    parts: list[str] = []
    node = int(tree.segment[row])
    for _ in range(MAX_DEPTH):
        parts.append(_label(spans, node))
        parent = int(tree.parent[node])
        if parent < 0:
            break
        node = int(tree.segment[parent])
    return " -> ".join(reversed(parts))


def _p90_ms(values: np.ndarray) -> float:
    return float(np.percentile(values, 90)) / 1000.0 if values.size else float("nan")


def path_stats(spans: Spans, tree: SpanTree, service: str, cut: float, limit: int = 10) -> list[PathStats]:
    """Paths into `service`'s entry spans, worst first (new errors, then slow-down, then volume)."""
    rows = np.flatnonzero(tree.entry & (spans.service == service))
    if rows.size == 0:
        return []
    paths = np.array([entry_path(spans, tree, int(r)) for r in rows], dtype=object)
    after = spans.start[rows] >= cut
    out: list[PathStats] = []
    for p in sorted(set(paths.tolist())):
        sel = paths == p
        b, a = sel & ~after, sel & after
        dur = spans.duration_us[rows]
        err = tree.error[rows]
        out.append(PathStats(p, int(b.sum()), int(a.sum()), int(err[b].sum()), int(err[a].sum()),
                             _p90_ms(dur[b]), _p90_ms(dur[a])))

    def badness(s: PathStats) -> tuple[float, float, int]:
        err_rise = s.error_rate_after - s.error_rate_before
        slow = (s.p90_ms_after / s.p90_ms_before) if s.p90_ms_before and s.p90_ms_before == s.p90_ms_before \
            and s.p90_ms_after == s.p90_ms_after else 1.0
        return (-round(err_rise, 3), -round(slow, 3), -s.calls_after)

    out.sort(key=lambda s: (*badness(s), s.path))
    return out[:limit]


@dataclass(frozen=True)
class CalleeLink:
    """How one callee's time relates to a caller's own (self) time, request by request."""

    callee: str
    calls_after: int
    r: float                      # correlation of the caller's own time with time in this callee, after the cut
    callee_ms_before: float       # median time per request spent in the callee, before / after
    callee_ms_after: float
    own_ms_before: float          # the caller's median own time per request, before / after
    own_ms_after: float


def own_time_links(spans: Spans, tree: SpanTree, service: str, cut: float, min_calls: int = 10) -> list[CalleeLink]:
    """For each callee of `service`: does the caller's own time move with the time spent in it?

    A caller whose self time rises exactly as much as a callee's duration, request by
    request, is not slow itself: it waits on that callee outside the callee's spans (a
    client-side pool or queue, retries, unparented or clock-skewed child spans). Strongest
    correlation first.
    """
    entries = np.flatnonzero(tree.entry & (spans.service == service))
    if entries.size == 0:
        return []
    position = {int(e): i for i, e in enumerate(entries)}
    children = np.flatnonzero(tree.entry & (tree.parent >= 0))
    parent_entry = tree.segment[tree.parent[children]]
    mine = np.array([int(p) in position for p in parent_entry], dtype=bool)
    children, parent_entry = children[mine], parent_entry[mine]
    own = tree.own_us[entries] / 1000.0
    after = spans.start[entries] >= cut
    links: list[CalleeLink] = []
    for callee in sorted(set(spans.service[children].tolist()) - {service}):
        sel = spans.service[children] == callee
        per_request = np.zeros(entries.size)
        np.add.at(per_request, [position[int(p)] for p in parent_entry[sel]], spans.duration_us[children[sel]] / 1000.0)
        called = per_request > 0
        m = after & called
        if m.sum() < min_calls or np.std(own[m]) == 0 or np.std(per_request[m]) == 0:
            continue
        r = float(np.corrcoef(own[m], per_request[m])[0, 1])
        b = ~after & called
        links.append(CalleeLink(callee, int(m.sum()), r,
                                float(np.median(per_request[b])) if b.any() else float("nan"),
                                float(np.median(per_request[m])),
                                float(np.median(own[~after])) if (~after).any() else float("nan"),
                                float(np.median(own[after]))))
    links.sort(key=lambda link: (-link.r, link.callee))
    return links
