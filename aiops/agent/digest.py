"""What a model sees of the investigation: compact findings, never raw series (habit 7).

Tool output is data from the monitored systems, so it is fenced in <tool_result> blocks
whose closing tag cannot be forged from inside, and each result is cut to its share of
the context window — saying so when it is cut.
"""

from __future__ import annotations

from aiops.agent.state import RunState, StepRecord
from aiops.analytics.ranking import is_own
from aiops.timeutil import to_rfc3339

CHARS_PER_TOKEN = 4
DIGEST_SUSPECTS = 8
EVIDENCE_LINES = 4


def _clean(text: str) -> str:
    """Data can never close (or open) a fence."""
    return text.replace("</tool_result", "<\\/tool_result").replace("<tool_result", "<\\tool_result")


def cap(text: str, limit: int) -> str:
    text = _clean(text)
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[truncated: {len(text) - limit} more characters not shown]"


def fence(record: StepRecord, limit: int) -> str:
    step, res = record.step, record.result
    args = ", ".join(f"{k}={v!r}" for k, v in step.args.items())
    head = f'<tool_result step="{step.id}" tool="{step.tool}" status="{res.status}">'
    query = f"ran: {cap(res.query, 300)}\n" if res.query else ""
    more = "\n[the tool itself cut its output]" if res.truncated else ""
    return f"{head}\ncall: {step.tool}({_clean(args)})\n{query}{cap(res.summary, limit)}{more}\n</tool_result>"


def incident_text(state: RunState) -> str:
    inc = state.incident
    lines = [f"Incident: {inc.title}", f"Window: {to_rfc3339(inc.window.start)} to {to_rfc3339(inc.window.end)}"]
    if inc.started_at is not None:
        lines.append(f"Symptom began: {to_rfc3339(inc.started_at)}")
    if inc.alert:
        lines.append("Alert: " + ", ".join(f"{k}={v}" for k, v in sorted(inc.alert.items())))
    if inc.symptom:
        lines.append(f"Symptom: {inc.symptom}")
    lines.append(f"Services with telemetry ({len(state.services)}): {', '.join(state.services)}")
    return "\n".join(lines)


def evidence_digest(state: RunState, budget_chars: int) -> str:
    """The offline ranking of suspects with their strongest evidence, in a few lines each."""
    ranked = state.rank()[:DIGEST_SUSPECTS]
    out = ["Evidence so far (suspects ranked by the evidence scorer; own = the service's own behaviour, "
           "symptom = may be inherited from a dependency):"]
    for i, c in enumerate(ranked, 1):
        if c.score <= 0:
            break
        onset = f", onset {to_rfc3339(c.onset)}" if c.onset is not None else ""
        expl = f", symptoms may be explained by {c.explained_by}" if c.explained_by else ""
        out.append(f"{i}. {c.service}: score {c.score:.2f} (own {c.own:.2f}, symptom {c.symptom:.2f}){onset}{expl}")
        for _, f in c.findings[:EVIDENCE_LINES]:
            out.append(f"   - [{f.kind}{', own' if is_own(f) else ''}] {f.summary}")
    if state.graph:
        edges = sorted(f"{a}->{b}" for a, bs in state.graph.items() for b in bs)
        out.append("Call graph (traces): " + ", ".join(edges[:60]))
    if state.inferred:
        named = sorted(f"{a} names {b}" for a, bs in state.inferred.items() for b in bs)
        out.append("Error logs name dependencies: " + ", ".join(named[:40]))
    if state.missing:
        out.append("Missing evidence: " + "; ".join(state.missing))
    return cap("\n".join(out), budget_chars)


def results_text(records: list[StepRecord], budget_chars: int) -> str:
    if not records:
        return ""
    share = max(400, budget_chars // len(records))
    return "\n".join(fence(r, share) for r in records)


def diagnosis_text(d, limit: int) -> str:  # noqa: ANN001 - aiops.domain.Diagnosis
    """The diagnosis as a model reads it: ranked causes with their evidence, remediation."""
    out = [f"Reasoner: {d.reasoner}"]
    for rc in d.root_causes[:5]:
        out.append(f"{rc.rank}. {rc.service} ({rc.fault}, confidence {rc.confidence:.2f}): {rc.summary}")
        out.extend(f"   - [{e.kind}] {e.summary}" for e in rc.evidence[:4])
    out.extend(f"Remediation: {r}" for r in d.remediation)
    out.extend(f"Could not check: {m}" for m in d.missing_evidence)
    return cap("\n".join(out), limit)
