"""Log evidence: new or surging templates, error templates, per service."""

from __future__ import annotations

from aiops.agent.evidence import Investigation, StepResult
from aiops.analytics.logs import analyse_logs


def log_findings(inv: Investigation) -> StepResult:
    w = inv.incident.window
    rec = inv.store.log_records(w.start, w.end)
    n = len(rec["ts"])
    if n == 0:
        return StepResult("no_data", "no log records in the window")
    found = analyse_logs(rec["ts"], rec["service"], rec["message"], rec["level"], inv.baseline_end, w.end,
                         window_start=w.start, pods=rec["pod"])
    inv.add(found)
    return StepResult("ok", f"{n} log lines mined, {len(found)} notable templates", found)
