"""Trace evidence: the call graph, and which service's own time or errors changed."""

from __future__ import annotations

from aiops.agent.evidence import Investigation, StepResult
from aiops.analytics.peers import attribute_to_peers, peer_names
from aiops.analytics.spantree import Spans
from aiops.analytics.traces import analyse_traces


def trace_findings(inv: Investigation) -> StepResult:
    w = inv.incident.window
    table = inv.store.span_table(w.start, w.end)
    n = len(table["span_id"])
    if n == 0:
        return StepResult("no_data", "no spans in the window")
    spans = Spans.from_columns(table)
    # Client spans into untraced dependencies (databases, caches, brokers) are the peer's time.
    spans, moved = attribute_to_peers(spans, peer_names(table["attrs"]), inv.services)
    result = analyse_traces(spans, inv.baseline_end, w.end, window_start=w.start, client_side=moved)
    inv.graph = {k: set(v) for k, v in result.graph.items()}
    inv.add(result.findings)
    edges = sum(len(v) for v in inv.graph.values())
    peers = f", untraced peers seen through client spans: {', '.join(sorted(moved))}" if moved else ""
    return StepResult("ok", f"{n} spans, {edges} call edges, {len(result.findings)} changes{peers}", result.findings)
