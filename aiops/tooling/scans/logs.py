"""`logs.scan`: new or surging log templates, error templates, per service, and the
services named in other services' error lines (inferred dependencies)."""

from __future__ import annotations

from typing import Any

import numpy as np

from aiops.analytics.baseline import signal_baseline_end
from aiops.analytics.logs import analyse_logs
from aiops.analytics.mentions import find_mentions
from aiops.tooling.base import ToolContext, ToolResult

QUERY = "log_records(window) -> template mining, rate changes, mentions"


def logs_scan(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    w = ctx.incident.window
    rec = ctx.store.log_records(w.start, w.end)
    n = len(rec["ts"])
    if n == 0:
        return ToolResult("no_data", "no log records in the window", query=QUERY)
    first, last = float(np.min(rec["ts"])), float(np.max(rec["ts"]))
    baseline_end = signal_baseline_end(ctx.baseline_end, ctx.onset, first)
    # rates are per time the logs cover: an export that begins a minute before the alert has
    # no lines from earlier in the window, which is not a quiet stretch
    start, end = max(w.start, first), min(w.end, max(last, baseline_end + 1.0))
    found = analyse_logs(rec["ts"], rec["service"], rec["message"], rec["level"], baseline_end, end,
                         window_start=start, pods=rec["pod"], known_services=ctx.services)
    mentions = find_mentions(rec["ts"], rec["service"], rec["message"], rec["level"], ctx.services,
                             baseline_end, start, end)
    found = found + mentions.findings
    blamed = f", {len(mentions.findings)} services named in others' errors" if mentions.findings else ""
    return ToolResult("ok", f"{n} log lines mined, {len(found) - len(mentions.findings)} notable templates{blamed}",
                      query=QUERY, findings=found,
                      inferred={emitter: tuple(sorted(deps)) for emitter, deps in mentions.edges.items()})
