"""`changes.scan`: deploys, config changes and cluster warnings near the onset."""

from __future__ import annotations

from typing import Any

from aiops.analytics.changes import analyse_events
from aiops.tooling.base import ToolContext, ToolResult

QUERY = "events(window - 1h) -> change scoring"
LOOKBACK_S = 3600.0


def changes_scan(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    w = ctx.incident.window
    events = ctx.store.events(w.start - LOOKBACK_S, w.end)
    if not events:
        return ToolResult("no_data", "no change or cluster events", query=QUERY)
    found = analyse_events(events, ctx.onset or ctx.baseline_end, ctx.baseline_end)
    return ToolResult("ok", f"{len(events)} events, {len(found)} relevant", query=QUERY, findings=list(found))
