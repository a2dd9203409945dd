"""Error trace paths around a release: which failing call paths are new or more frequent.

A failed trace is summarised by the paths of its *origin* spans: spans that failed (status
ERROR or HTTP >= 500) while none of their children did — where the error started. The path
is the chain of `service:operation` from the trace's root down to that span, e.g.
`frontend:POST /cart/checkout > checkout:PlaceOrder > payment:Charge`. Its service is the
origin span's service.

Per path, traces are counted in the baseline window (and the same hours of previous days)
and after the release, by the origin span's start. The expected count after the release
is the baseline share of traces with that path times the number of traces after it (0.5
pseudo-count, so a path never seen has a small expectation); p is the Poisson upper tail.
Failed traces come in bursts (one slow dependency times out five requests in a second), so
for a path that failed in fewer than half of the baseline's minutes the test counts
*active minutes* (minutes with at least one failed trace) instead, as for log templates;
p is Bonferroni-adjusted by the number of paths that failed after the release.
`new`: the path never failed in any baseline window. Graded like log templates
(`aiops.analytics.release_logs.LogGate`): a new error path with enough traces fails, a
surging one warns or fails by its ratio.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from aiops.analytics.release_compare import Status, poisson_upper
from aiops.analytics.release_logs import LogGate
from aiops.analytics.spantree import Spans, build_span_tree

MIN_RATIO = 1.5
MAX_DEPTH = 32
MAX_ORIGINS = 50_000


@dataclass(frozen=True)
class ErrorPath:
    service: str               # where the error started
    path: str                  # root ... > origin, as service:operation
    n_before: int              # failed traces with this path in the baseline window
    n_history: int             # ... in the previous days' windows
    n_after: int
    traces_before: int         # all traces in the baseline windows (previous days included)
    traces_after: int
    ratio: float               # share after / share before (pseudo-count before)
    p_value: float             # Bonferroni-adjusted over the paths that failed after the release
    new: bool
    example_trace: str
    first_after: float


Window = tuple[float, float]


def compare_error_paths(spans: Spans | Mapping[str, Sequence[object]], before: Window, after: Window,
                        history: Sequence[tuple[Window, Window]] = (), min_ratio: float = MIN_RATIO) -> list[ErrorPath]:
    """New or more frequent error paths after the release, most significant first.

    `history` holds the (before, after) windows of previous days; the expected share of a
    path after the release is its pooled baseline share, or its share in the same
    after-hours of previous days when that is higher."""
    if not isinstance(spans, Spans):
        spans = Spans.from_columns(spans)
    if len(spans) == 0:
        return []
    tree = build_span_tree(spans)
    n = len(spans)
    failed_child = np.zeros(n, dtype=bool)
    has_parent = tree.parent >= 0
    failed_child[tree.parent[has_parent & tree.error]] = True
    origins = np.flatnonzero(tree.error & ~failed_child)[:MAX_ORIGINS]
    start = spans.start
    windows = [before, *(w for day in history for w in day), after]
    last = len(windows) - 1
    same_hours = list(range(2, last, 2))

    def window_of(ts: np.ndarray) -> np.ndarray:     # index into `windows`, -1 = none
        w = np.full(len(ts), -1)
        for i, (lo, hi) in enumerate(windows):
            w[(ts >= lo) & (ts < hi)] = i
        return w

    roots = np.flatnonzero(~has_parent)
    traces = np.zeros(len(windows))
    for i in range(len(windows)):
        traces[i] = len(set(spans.trace_id[roots[window_of(start[roots]) == i]].tolist()))
    if traces[last] == 0:
        return []
    origin_window = window_of(start[origins])
    label = np.array([f"{s}:{o}" for s, o in zip(spans.service, spans.operation)], dtype=object)
    failed: dict[tuple[str, str, int], None] = {}
    minutes: dict[tuple[str, int, int], None] = {}
    first: dict[str, tuple[float, str]] = {}
    for row, i in zip(origins, origin_window):
        if i < 0:
            continue
        chain, cur = [], int(row)
        for _ in range(MAX_DEPTH):
            chain.append(label[cur])
            cur = int(tree.parent[cur])
            if cur < 0:
                break
        path = " > ".join(reversed(chain))
        failed[(path, str(spans.trace_id[row]), int(i))] = None
        minutes[(path, int(i), int((start[row] - windows[i][0]) // 60.0))] = None
        if i == last and (path not in first or start[row] < first[path][0]):
            first[path] = (float(start[row]), str(spans.trace_id[row]))
    paths = sorted(first)
    if not paths:
        return []
    index = {p: k for k, p in enumerate(paths)}
    c = np.zeros((len(paths), len(windows)))
    m = np.zeros((len(paths), len(windows)))
    for path, _, i in failed:
        if path in index:
            c[index[path], i] += 1
    for path, i, _ in minutes:
        if path in index:
            m[index[path], i] += 1
    lengths = np.array([(hi - lo) / 60.0 for lo, hi in windows])
    base_traces, t_base = traces[:last].sum(), lengths[:last].sum()
    share = (c[:, :last].sum(axis=1) + 0.5) / max(base_traces, 1.0)
    active = (m[:, :last].sum(axis=1) + 0.5) / t_base
    if same_hours:
        share = np.maximum(share, (c[:, same_hours].sum(axis=1) + 0.5) / max(traces[same_hours].sum(), 1.0))
        active = np.maximum(active, (m[:, same_hours].sum(axis=1) + 0.5) / lengths[same_hours].sum())
    p_traces = poisson_upper(c[:, last], share * traces[last])
    p_minutes = poisson_upper(m[:, last], active * lengths[last])
    frequent = m[:, :last].sum(axis=1) >= 0.5 * t_base
    p_values = np.minimum(np.where(frequent, p_traces, p_minutes) * len(paths), 1.0)
    ratio = (c[:, last] / traces[last]) / share
    out = []
    for k, path in enumerate(paths):
        if ratio[k] < min_ratio:
            continue
        t0, trace = first[path]
        base = c[k, :last].sum()
        out.append(ErrorPath(service=path.rsplit(" > ", 1)[-1].split(":", 1)[0], path=path, n_before=int(c[k, 0]),
                             n_history=int(base - c[k, 0]), n_after=int(c[k, last]), traces_before=int(base_traces),
                             traces_after=int(traces[last]), ratio=float(ratio[k]), p_value=float(p_values[k]),
                             new=bool(base == 0), example_trace=trace, first_after=t0))
    out.sort(key=lambda e: (e.p_value, -e.n_after, e.path))
    return out


def grade_path(change: ErrorPath, gate: LogGate) -> Status:
    """pass / warn / fail for one error path: significance and size are both needed."""
    if not change.p_value < gate.alpha or change.n_after < gate.min_lines:
        return "pass"
    if change.new or change.ratio >= gate.surge_fail:
        return "fail"
    return "warn" if change.ratio >= gate.surge_warn else "pass"
