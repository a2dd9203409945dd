"""The agent's survey tools: broad scans of every signal that produce findings.

Each wraps one evidence step (aiops.agent.*_evidence) and hands back compact findings plus
what the ranking needs beside them (the traced call graph, dependencies named in error
logs) in `data`, so concurrent calls never write to the run's state directly.
"""

from __future__ import annotations

from typing import Any, Callable

from aiops.agent.evidence import Investigation, StepResult, changes_step, logs_step, metrics_step, traces_step
from aiops.tooling import FunctionTool, ToolContext, ToolRegistry, ToolResult, ToolSpec

_EMPTY = {"type": "object", "properties": {}, "required": []}


def _scratch(ctx: ToolContext) -> Investigation:
    return Investigation(incident=ctx.incident, store=ctx.store, settings=ctx.settings,
                         baseline_end=ctx.baseline_end, onset=ctx.onset, services=list(ctx.services))


def _wrap(step: Callable[[Investigation], StepResult], query: str) -> Callable[[ToolContext, dict[str, Any]], ToolResult]:
    def run(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
        inv = _scratch(ctx)
        res = step(inv)
        data = {"graph": {k: sorted(v) for k, v in inv.graph.items()},
                "inferred": {k: sorted(v) for k, v in inv.inferred.items()}}
        return ToolResult(res.status, res.summary, query=query, findings=list(res.findings),
                          data={k: v for k, v in data.items() if v})
    return run


def _needs(table: str) -> Callable[[ToolContext], str | None]:
    def check(ctx: ToolContext) -> str | None:
        if ctx.store is None:
            return "no telemetry store"
        return None
    return check


def register_evidence_tools(registry: ToolRegistry) -> None:
    specs = [
        ("metrics.scan", "metrics", "Scan every metric series of the window against its baseline: which series "
         "shifted, since when, by how much (robust z). The first thing to run.", metrics_step,
         "metric_grid(window, counter rates) -> shift scan of every series"),
        ("logs.scan", "logs", "Mine log templates of every service: new or surging templates after the onset, "
         "error templates, and services named in other services' error lines.", logs_step,
         "log_records(window) -> template mining, rate changes, mentions"),
        ("traces.scan", "traces", "Build the call graph from spans and find which service's own latency or errors "
         "changed (self time vs time in callees), before vs after the onset.", traces_step,
         "span_table(window) -> call graph, self-time and error attribution"),
        ("changes.scan", "changes", "Deploys, config changes and Kubernetes warnings near the onset, scored by how "
         "close before the onset they happened.", changes_step, "events(window - 1h) -> change scoring"),
    ]
    for name, specialist, desc, step, query in specs:
        registry.register(FunctionTool(ToolSpec(name, desc, _EMPTY, specialist), _wrap(step, query),
                                       _needs(specialist)))
