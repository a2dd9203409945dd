"""`traces.scan`: the call graph, and which service's own time or errors changed."""

from __future__ import annotations

from typing import Any

import numpy as np

from aiops.analytics.baseline import onset_search, signal_baseline_end
from aiops.analytics.peers import attribute_to_peers, peer_names, timed_peers
from aiops.analytics.spantree import Spans
from aiops.analytics.traces import analyse_traces
from aiops.tooling.base import ToolContext, ToolResult

QUERY = "span_table(window) -> call graph, self-time and error attribution"


def traces_scan(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    w = ctx.incident.window
    table = ctx.store.span_table(w.start, w.end)
    n = len(table["span_id"])
    if n == 0:
        return ToolResult("no_data", "no spans in the window", query=QUERY)
    spans = Spans.from_columns(table)
    # Client spans into untraced dependencies (databases, caches, brokers) are the peer's time.
    spans, moved = attribute_to_peers(spans, peer_names(table["attrs"]), ctx.services)
    baseline_end = signal_baseline_end(ctx.baseline_end, ctx.onset, float(np.min(table["start"])))
    hint, lead = onset_search(ctx.baseline_end, ctx.onset, w)
    result = analyse_traces(spans, baseline_end, w.end, window_start=w.start, client_side=moved,
                            search_from=hint - lead if ctx.onset is not None else None)
    graph = {k: tuple(sorted(v)) for k, v in result.graph.items()}
    edges = sum(len(v) for v in result.graph.values())
    peers = f", untraced peers seen through client spans: {', '.join(sorted(moved))}" if moved else ""
    changes = sum(1 for f in result.findings if "share" not in f.tags)    # time shares are context, not changes
    timed = timed_peers(result.services, moved)
    return ToolResult("ok", f"{n} spans, {edges} call edges, {changes} changes{peers}", query=QUERY,
                      findings=list(result.findings), graph=graph, timed=timed)
