"""Trace evidence: the call graph, and which service's own time or errors changed."""

from __future__ import annotations

from aiops.agent.evidence import Investigation, StepResult
from aiops.analytics.traces import analyse_traces


def trace_findings(inv: Investigation) -> StepResult:
    w = inv.incident.window
    spans = inv.store.span_table(w.start, w.end)
    n = len(spans["span_id"])
    if n == 0:
        return StepResult("no_data", "no spans in the window")
    result = analyse_traces(spans, inv.baseline_end, w.end, window_start=w.start)
    inv.graph = {k: set(v) for k, v in result.graph.items()}
    inv.add(result.findings)
    edges = sum(len(v) for v in inv.graph.values())
    return StepResult("ok", f"{n} spans, {edges} call edges, {len(result.findings)} changes", result.findings)
