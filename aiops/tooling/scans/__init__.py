"""The survey scans: broad looks at every signal of the window that produce findings.

Each is an ordinary tool, `(ToolContext, args) -> ToolResult`, registered like the data
tools; what a scan learns besides findings (the traced call graph, dependencies named in
error logs) travels on its result's typed effects. A new scan is a module here with one
function and a line in `register_scans`.
"""

from __future__ import annotations

from aiops.tooling.base import FunctionTool, ToolSpec, needs_store
from aiops.tooling.registry import ToolRegistry
from aiops.tooling.scans.changes import changes_scan
from aiops.tooling.scans.logs import logs_scan
from aiops.tooling.scans.metrics import metrics_scan
from aiops.tooling.scans.traces import traces_scan

_EMPTY = {"type": "object", "properties": {}, "required": []}

SCANS = [
    ("metrics.scan", "metrics", "Scan every metric series of the window against its baseline: which series "
     "shifted, since when, by how much (robust z). The first thing to run.", metrics_scan),
    ("logs.scan", "logs", "Mine log templates of every service: new or surging templates after the onset, "
     "error templates, and services named in other services' error lines.", logs_scan),
    ("traces.scan", "traces", "Build the call graph from spans and find which service's own latency or errors "
     "changed (self time vs time in callees), before vs after the onset.", traces_scan),
    ("changes.scan", "changes", "Deploys, config changes and Kubernetes warnings near the onset, scored by how "
     "close before the onset they happened.", changes_scan),
]


def register_scans(registry: ToolRegistry) -> None:
    for name, specialist, description, fn in SCANS:
        registry.register(FunctionTool(ToolSpec(name, description, _EMPTY, specialist), fn, needs_store))
