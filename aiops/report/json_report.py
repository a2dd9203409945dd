"""The diagnosis JSON document fixed by the spec (schema_version 1), plus our extensions:
`verdict` (root_cause | healthy | insufficient_evidence) with its reasons and `coverage`
(the sources read, rows and services per modality in the window, what was not checked)."""

from __future__ import annotations

import json
from typing import Any

from aiops.domain import MODALITIES, Coverage, Diagnosis
from aiops.timeutil import to_rfc3339

SCHEMA_VERSION = 1


def diagnosis_to_dict(d: Diagnosis) -> dict[str, Any]:
    inc = d.incident
    incident: dict[str, Any] = {
        "title": inc.title,
        "window": {"start": to_rfc3339(inc.window.start), "end": to_rfc3339(inc.window.end)},
    }
    if inc.started_at is not None:
        incident["started_at"] = to_rfc3339(inc.started_at)
    if inc.alert:
        incident["alert"] = dict(inc.alert)
    return {
        "schema_version": SCHEMA_VERSION,
        "verdict": d.verdict,
        "verdict_reasons": list(d.verdict_reasons),
        "coverage": coverage_to_dict(d.coverage, d.missing_evidence),
        "incident": incident,
        "root_causes": [
            {
                "rank": rc.rank,
                "service": rc.service,
                "component": rc.component,
                "fault": rc.fault,
                "confidence": round(float(rc.confidence), 4),
                "summary": rc.summary,
                "evidence": [
                    {"kind": e.kind, "summary": e.summary, "ref": e.ref}
                    | ({"at": to_rfc3339(e.at)} if e.at is not None else {})
                    for e in rc.evidence
                ],
            }
            for rc in d.root_causes
        ],
        "remediation": list(d.remediation),
        "runbooks": [{"title": r.title, "source": r.source, "score": round(float(r.score), 4)} for r in d.runbooks],
        "usage": {
            "llm_calls": d.usage.llm_calls,
            "prompt_tokens": d.usage.prompt_tokens,
            "completion_tokens": d.usage.completion_tokens,
            "cost_usd": round(float(d.usage.cost_usd), 6),
        },
        "run_id": d.run_id,
        "duration_s": round(float(d.duration_s), 3),
        # extensions (the spec allows more fields)
        "trace_id": d.trace_id,
        "reasoner": d.reasoner,
        "reasoner_note": d.reasoner_note,
        "prompt_versions": dict(d.prompt_versions),
        "timeline": [
            {"at": to_rfc3339(t.at), "service": t.service, "kind": t.kind, "summary": t.summary} for t in d.timeline
        ],
        "missing_evidence": list(d.missing_evidence),
        "notes": list(d.notes),
    }


def coverage_to_dict(c: Coverage, missing: tuple[str, ...] = ()) -> dict[str, Any]:
    """What was read (sources; rows and services per modality in the window) and what not."""
    return {
        "sources": [{"name": s.name, "status": s.status, "detail": s.detail} for s in c.sources],
        "modalities": {m: {"rows": int(c.rows.get(m, 0)), "services": list(c.services.get(m, ()))} for m in MODALITIES},
        "services": list(c.all_services),
        "not_checked": list(missing),
    }


def render_json(d: Diagnosis) -> str:
    return json.dumps(diagnosis_to_dict(d), indent=2, ensure_ascii=False)
