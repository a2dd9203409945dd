"""Span trees, vectorised: parents, self time, service entries and the service call graph.

Input is columns (numpy arrays or sequences), one value per span, as in the `spans`
table: `trace_id`, `span_id`, `parent_span_id` ('' / 'root' / None for a root),
`service`, `operation`, `start` (unix seconds), `duration_us`, and optionally `status`
(OK / ERROR / UNSET) and `http_status` (NaN, None or 0 when absent).

Definitions used by trace analysis:

- parent: the span of the same trace whose span id is the parent id (-1 for roots and
  for orphans whose parent was not exported);
- self time: duration minus the time covered by the span's children, where children
  are clipped to the parent's interval and overlapping (parallel) children are counted
  once (union of intervals);
- entry span: a root or orphan, or a span whose parent belongs to another service — one
  request handled by a service; its *segment* is itself plus the same-service spans
  below it, and its own time is the sum of their self times;
- error: status ERROR or HTTP status >= 500.

Every step is a handful of numpy sorts, searchsorted and bincount calls; the only
Python loops are dictionary factorisations of the id columns (~0.1 s per million).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from aiops.analytics.categorical import factorize, lookup

_ROOT_PARENTS = frozenset({"", "root", "0", "0000000000000000", "None", "null"})
_MAX_DEPTH_STEPS = 64
SKEW_MIN_CALLS = 3      # calls of a caller -> callee pair needed to estimate their clock skew


@dataclass(frozen=True)
class Spans:
    """Span columns, validated and converted (ids/names as object arrays, times as float)."""

    trace_id: np.ndarray
    span_id: np.ndarray
    parent_span_id: np.ndarray
    service: np.ndarray
    operation: np.ndarray
    start: np.ndarray            # unix seconds
    duration_us: np.ndarray
    status: np.ndarray
    http_status: np.ndarray      # float, NaN when absent
    pod: np.ndarray | None = None  # emitting pod ('' when unknown), when the input has one

    def __len__(self) -> int:
        return len(self.start)

    @classmethod
    def from_columns(cls, columns: Mapping[str, Sequence[object]]) -> "Spans":
        """Build from a mapping of column name -> values (e.g. DuckDB `fetchnumpy()`).

        Raises ValueError naming the column when a required one is missing or lengths differ.
        """
        required = ("trace_id", "span_id", "parent_span_id", "service", "start", "duration_us")
        missing = [c for c in required if c not in columns]
        if missing:
            raise ValueError(f"span columns missing: {', '.join(missing)}")
        n = len(columns["start"])
        for name, values in columns.items():
            if name in cls.__dataclass_fields__ and len(values) != n:
                raise ValueError(f"span column {name} has {len(values)} values, start has {n}")
        blank = np.full(n, "", dtype=object)
        return cls(
            trace_id=_text(columns["trace_id"]),
            span_id=_text(columns["span_id"]),
            parent_span_id=_text(columns["parent_span_id"]),
            service=_text(columns["service"]),
            operation=_text(columns["operation"]) if "operation" in columns else blank,
            start=_number(columns["start"]),
            duration_us=np.nan_to_num(np.maximum(_number(columns["duration_us"]), 0.0)),
            status=_text(columns["status"]) if "status" in columns else blank,
            http_status=_number(columns["http_status"]) if "http_status" in columns else np.full(n, np.nan),
            pod=_text(columns["pod"]) if "pod" in columns else None,
        )


@dataclass(frozen=True)
class SpanTree:
    """Structure derived from `Spans`; arrays are aligned with the input rows."""

    services: list[str]          # service names; `service_code` indexes this
    service_code: np.ndarray     # int64
    parent: np.ndarray           # int64 row of the parent span, -1 for roots/orphans
    self_us: np.ndarray          # float, duration minus union of clipped children
    entry: np.ndarray            # bool, first span of a request inside a service
    segment: np.ndarray          # int64 row of the entry span each span belongs to
    own_us: np.ndarray           # float, on entry rows: sum of self time of its segment
    error: np.ndarray            # bool, status ERROR or http >= 500
    callee_error: np.ndarray     # bool, on entry rows: a callee entry below it failed


def build_span_tree(spans: Spans) -> SpanTree:
    """Parents, self/own time, entries/segments and errors for every span."""
    n = len(spans)
    parent = _parents(spans)
    service_code, services = factorize(spans.service)
    self_us = spans.duration_us - _covered_by_children(spans, parent, service_code)
    has_parent = parent >= 0
    entry = ~has_parent
    entry[has_parent] = service_code[parent[has_parent]] != service_code[has_parent]
    segment = _segments(parent, entry)
    own_us = np.zeros(n)
    own_us[entry] = np.bincount(segment, weights=self_us, minlength=n)[entry]
    error = _errors(spans)
    called = entry & has_parent & error
    callee_error = np.zeros(n, dtype=bool)
    callee_error[segment[parent[called]]] = True
    return SpanTree(services, service_code, parent, self_us, entry, segment, own_us, error, callee_error & entry)


@dataclass(frozen=True)
class EdgeStats:
    caller: str
    callee: str
    calls: int                   # callee entry spans under a caller span
    errors: int                  # of which failed
    mean_duration_us: float      # mean duration of those callee entry spans


def call_edges(tree: SpanTree, spans: Spans, rows: np.ndarray | None = None) -> dict[tuple[str, str], EdgeStats]:
    """Service -> callee edges with call counts (optionally only for the given rows)."""
    mask = tree.entry & (tree.parent >= 0)
    if rows is not None:
        keep = np.zeros(len(mask), dtype=bool)
        keep[rows] = True
        mask &= keep
    callee_rows = np.flatnonzero(mask)
    s = len(tree.services)
    pair = tree.service_code[tree.parent[callee_rows]] * s + tree.service_code[callee_rows]
    calls = np.bincount(pair, minlength=s * s)
    errors = np.bincount(pair, weights=tree.error[callee_rows], minlength=s * s)
    total = np.bincount(pair, weights=spans.duration_us[callee_rows], minlength=s * s)
    out = {}
    for p in np.flatnonzero(calls):
        caller, callee = tree.services[p // s], tree.services[p % s]
        out[(caller, callee)] = EdgeStats(caller, callee, int(calls[p]), int(errors[p]), float(total[p] / calls[p]))
    return out


def service_call_graph(spans: Spans | Mapping[str, Sequence[object]]) -> dict[str, set[str]]:
    """Caller service -> set of callee services (every service with spans is a key)."""
    if not isinstance(spans, Spans):
        spans = Spans.from_columns(spans)
    tree = build_span_tree(spans)
    graph: dict[str, set[str]] = {name: set() for name in tree.services}
    for caller, callee in call_edges(tree, spans):
        graph[caller].add(callee)
    return graph


def _parents(spans: Spans) -> np.ndarray:
    """Row of each span's parent in the same trace, -1 when root or not exported.

    Span ids are usually unique across traces: then a span id -> row dict answers every
    parent directly and a trace check confirms it. When ids repeat across traces, parents
    are matched on (trace, span id) keys with a sort and searchsorted instead.
    """
    n = len(spans)
    trace_code, _ = factorize(spans.trace_id)
    row_of = dict(zip(spans.span_id.tolist(), range(n)))
    repeated = len(row_of) < n
    for marker in _ROOT_PARENTS:
        row_of.pop(marker, None)
    parent = lookup(spans.parent_span_id, row_of)
    if repeated:
        parent = _parents_by_key(spans, trace_code, row_of, parent)
    else:
        has = parent >= 0
        wrong = np.flatnonzero(has)[trace_code[parent[has]] != trace_code[has]]
        parent[wrong] = -1
    parent[parent == np.arange(n)] = -1  # a span naming itself as parent is a root
    return parent


def _parents_by_key(spans: Spans, trace_code: np.ndarray, row_of: dict, parent: np.ndarray) -> np.ndarray:
    """Parents matched on (trace, span id) when span ids repeat across traces."""
    n = len(spans)
    span_code = lookup(spans.span_id, row_of)      # any row holding the same id: a code
    parent_code = parent                            # same coding for the parent ids
    width = n + 1
    key = trace_code * width + (span_code + 1)
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    out = np.full(n, -1, dtype=np.int64)
    has = parent_code >= 0
    wanted = trace_code[has] * width + (parent_code[has] + 1)
    pos = np.minimum(np.searchsorted(sorted_key, wanted), n - 1)
    found = sorted_key[pos] == wanted
    out[np.flatnonzero(has)[found]] = order[pos[found]]
    return out


def _covered_by_children(spans: Spans, parent: np.ndarray, service_code: np.ndarray | None = None) -> np.ndarray:
    """Per span, microseconds of its interval covered by the union of its children."""
    n = len(spans)
    child = np.flatnonzero(parent >= 0)
    covered = np.zeros(n)
    if len(child) == 0:
        return covered
    p = parent[child]
    p_dur = spans.duration_us[p]
    rel = np.nan_to_num((spans.start[child] - spans.start[p]) * 1e6)   # a missing start: at the parent's
    if service_code is not None:
        c_dur = spans.duration_us[child]
        skew, skewed = _edge_skew(rel, c_dur, p_dur, service_code[p], service_code[child])
        rel = rel - skew
        # a call of a skewed pair is synchronous: once de-skewed it lies wholly inside its parent
        fits = skewed & (c_dur <= p_dur)
        rel[fits] = np.clip(rel[fits], 0.0, (p_dur - c_dur)[fits])
    s = np.clip(rel, 0.0, p_dur)
    e = np.clip(rel + spans.duration_us[child], 0.0, p_dur)
    order = np.lexsort((s, p))
    p, s, e = p[order], s[order], e[order]
    # separate parents on one axis, then a global running max of ends is a per-parent one
    group = np.concatenate(([0], np.cumsum(p[1:] != p[:-1])))
    offset = group * (float(p_dur.max()) + 1.0)
    s, e = s + offset, e + offset
    reach = np.maximum.accumulate(e)
    prev = np.concatenate(([-np.inf], reach[:-1]))
    piece = np.maximum(e - np.maximum(s, prev), 0.0)
    covered += np.bincount(p, weights=piece, minlength=n)
    return np.minimum(covered, spans.duration_us)


def _edge_skew(rel: np.ndarray, c_dur: np.ndarray, p_dur: np.ndarray, p_svc: np.ndarray,
               c_svc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per child span, the clock skew (us) of its service relative to its parent's service,
    and whether its pair of services was found skewed.

    Hosts' clocks disagree: a callee's spans may start before their caller's or after it
    has ended, which would make the caller's time look like its own. For one caller ->
    callee pair of services the skew is a constant d with, for every call,
    `rel + child - parent <= d <= rel` (the child fits inside its parent). When at least
    `SKEW_MIN_CALLS` calls of a pair exist and most of them do not fit inside their parent,
    d is the middle of the intersection of those intervals; if they do not
    intersect, and most calls even *start* outside their parent (impossible for a
    synchronous call without skew), the median of each call's nearest value. Other pairs
    and same-service children get 0: an asynchronous child that starts inside its parent
    and outlives it by varying amounts stays as it is.
    """
    out = np.zeros(len(rel))
    skewed = np.zeros(len(rel), dtype=bool)
    cross = np.flatnonzero(p_svc != c_svc)
    if len(cross) == 0:
        return out, skewed
    misfit = (rel[cross] < 0) | (rel[cross] + c_dur[cross] > p_dur[cross])
    if not misfit.any():
        return out, skewed
    outside = (rel[cross] < 0) | (rel[cross] > p_dur[cross])
    width = int(max(p_svc.max(), c_svc.max())) + 1
    edge = p_svc[cross] * width + c_svc[cross]
    order = np.argsort(edge, kind="stable")
    rows, e = cross[order], edge[order]
    starts = np.flatnonzero(np.concatenate(([True], e[1:] != e[:-1])))
    counts = np.diff(np.append(starts, len(e)))
    n_misfit = np.add.reduceat(misfit[order].astype(np.int64), starts)
    n_out = np.add.reduceat(outside[order].astype(np.int64), starts)
    hi = rel[rows]
    lo = hi + c_dur[rows] - p_dur[rows]
    lo_max = np.maximum.reduceat(lo, starts)
    hi_min = np.minimum.reduceat(hi, starts)
    for g in np.flatnonzero((counts >= SKEW_MIN_CALLS) & (2 * n_misfit >= counts)):
        sl = slice(starts[g], starts[g] + counts[g])
        if lo_max[g] <= hi_min[g]:
            d = 0.5 * (lo_max[g] + hi_min[g])
        elif 2 * n_out[g] >= counts[g]:
            d = float(np.median(np.clip(0.0, lo[sl], hi[sl])))
        else:
            continue
        out[rows[sl]] = d
        skewed[rows[sl]] = True
    return out, skewed


def _segments(parent: np.ndarray, entry: np.ndarray) -> np.ndarray:
    """Row of the nearest entry span at or above each span (pointer jumping)."""
    rows = np.arange(len(parent))
    up = np.where(entry, rows, parent)
    for _ in range(_MAX_DEPTH_STEPS):
        nxt = up[up]
        if np.array_equal(nxt, up):
            break
        up = nxt
    stuck = ~entry[up]  # a parent cycle without an entry: each span stands alone
    up[stuck] = rows[stuck]
    return up


def _errors(spans: Spans) -> np.ndarray:
    codes, names = factorize(spans.status)
    failed = np.array([str(x).strip().upper() in ("ERROR", "STATUS_CODE_ERROR", "2") for x in names], dtype=bool)
    by_status = failed[codes] if len(names) else np.zeros(len(spans), dtype=bool)
    with np.errstate(invalid="ignore"):
        return by_status | (spans.http_status >= 500)


def _text(values: Sequence[object]) -> np.ndarray:
    arr = np.asarray(np.ma.filled(values, "") if np.ma.isMaskedArray(values) else values, dtype=object)
    if arr.ndim != 1:
        raise ValueError("span columns must be one-dimensional")
    none = np.equal(arr, None)
    if none.any():
        arr = arr.copy()
        arr[none] = ""
    return arr


def _number(values: Sequence[object]) -> np.ndarray:
    if np.ma.isMaskedArray(values):
        return np.ma.filled(np.ma.asarray(values).astype(float), np.nan)
    arr = np.asarray(values, dtype=object if not isinstance(values, np.ndarray) else None)
    try:
        return np.asarray(arr, dtype=float)
    except (TypeError, ValueError):
        return np.array([np.nan if v is None or v == "" else float(v) for v in arr], dtype=float)
