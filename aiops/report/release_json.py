"""The post-release report as JSON (schema_version 1): everything the Markdown and HTML show,
for programs. Non-finite numbers become null."""

from __future__ import annotations

import json
import math
from typing import Any

from aiops.release.model import ReleaseReport
from aiops.report.json_report import diagnosis_to_dict
from aiops.timeutil import to_rfc3339

SCHEMA_VERSION = 1


def _num(x: float | None, digits: int = 6) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return float(f"{x:.{digits}g}")


def release_to_dict(report: ReleaseReport) -> dict[str, Any]:
    w = report.windows
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "release_report",
        "release": report.release,
        "verdict": report.verdict,
        "deployed_at": to_rfc3339(w.deployed_at),
        "windows": {"baseline": {"start": to_rfc3339(w.before.start), "end": to_rfc3339(w.before.end)},
                    "after": {"start": to_rfc3339(w.after.start), "end": to_rfc3339(w.after.end)}},
        "history_days_used": report.history_days_used,
        "services": list(report.services),
        "counts": report.counts(),
        "checks": [
            {"check": c.check, "category": c.category, "service": c.service, "status": c.status,
             "summary": c.summary, "before": _num(c.before), "after": _num(c.after), "change": _num(c.change),
             "unit": c.unit, "p_value": _num(c.p_value, 3), "evidence": list(c.evidence), "seasonal": c.seasonal}
            for c in report.checks
        ],
        "deploys": [{"at": to_rfc3339(round(d.at, 3)), "service": d.service, "kind": d.kind, "message": d.message,
                     "names_release": d.names_release}
                    for d in report.deploys],
        "diagnosis": diagnosis_to_dict(report.diagnosis) if report.diagnosis is not None else None,
        "missing_evidence": list(report.missing),
        "notes": list(report.notes),
        "thresholds": dict(report.thresholds),
        "source": report.source,
        "duration_s": round(report.duration_s, 3),
    }


def render_release_json(report: ReleaseReport) -> str:
    return json.dumps(release_to_dict(report), indent=2, ensure_ascii=False, allow_nan=False)
