"""Log evidence: new or surging templates, error templates, per service."""

from __future__ import annotations

from aiops.agent.evidence import Investigation, StepResult
from aiops.analytics.logs import analyse_logs
from aiops.analytics.mentions import find_mentions


def log_findings(inv: Investigation) -> StepResult:
    w = inv.incident.window
    rec = inv.store.log_records(w.start, w.end)
    n = len(rec["ts"])
    if n == 0:
        return StepResult("no_data", "no log records in the window")
    found = analyse_logs(rec["ts"], rec["service"], rec["message"], rec["level"], inv.baseline_end, w.end,
                         window_start=w.start, pods=rec["pod"], known_services=inv.services)
    mentions = find_mentions(rec["ts"], rec["service"], rec["message"], rec["level"], inv.services,
                             inv.baseline_end, w.start, w.end)
    for emitter, deps in mentions.edges.items():
        inv.inferred.setdefault(emitter, set()).update(deps)
    found = found + mentions.findings
    inv.add(found)
    blamed = f", {len(mentions.findings)} services named in others' errors" if mentions.findings else ""
    return StepResult("ok", f"{n} log lines mined, {len(found) - len(mentions.findings)} notable templates{blamed}", found)
