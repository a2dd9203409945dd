"""What a model sees of the investigation: compact findings, never raw series (habit 7).

Everything built from the monitored systems' data is fenced: each tool result in a
<tool_result> block, the evidence digest in <evidence_digest>, the incident in <incident>
and a reached diagnosis in <diagnosis>. No fence tag can be forged from inside (any
spelling of one in the data is defused, whatever its case or spacing), a tool name the
model made up is shown only in a safe spelling, and each result is cut to its share of the
context window — saying so when it is cut.
"""

from __future__ import annotations

import re

from aiops.agent.state import RunState, StepRecord
from aiops.analytics.ranking import is_own
from aiops.timeutil import to_rfc3339

CHARS_PER_TOKEN = 4
DIGEST_SUSPECTS = 8
EVIDENCE_LINES = 4
FENCES = ("tool_result", "evidence_digest", "incident", "diagnosis")
_FENCE_TAG = re.compile(r"<(\s*/?\s*)(" + "|".join(FENCES) + r")", re.IGNORECASE)
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


def _clean(text: str) -> str:
    """Data can never close (or open) a fence: `</tool_result` becomes `<\\/tool_result`."""
    return _FENCE_TAG.sub(lambda m: "<\\" + m.group(1).strip() + m.group(2), text)


def safe_name(name: str) -> str:
    """A tool name as a fence header may show it (a model's invented name is data too)."""
    return _UNSAFE_NAME.sub("?", str(name))[:80]


def fenced(tag: str, text: str) -> str:
    """`text` (already cleaned or capped) inside a <tag> data fence."""
    return f"<{tag}>\n{text}\n</{tag}>"


CUT_BACK = 1000      # a cut moves back to a whitespace this close, so no token (a secret) is split


def cap(text: str, limit: int) -> str:
    """The cleaned text, cut to `limit` characters at a line end (else between words): half a
    secret is one the gateway's redaction may no longer recognise (`password: "two wo`), so a
    line, or at least a token, is dropped whole rather than split."""
    text = _clean(text)
    if len(text) <= limit:
        return text
    cut = limit
    if text[limit] != "\n":
        floor = max(0, limit - CUT_BACK)
        line_end = text.rfind("\n", 0, limit)
        space = max(text.rfind(" ", 0, limit + 1), text.rfind("\t", 0, limit + 1))
        cut = line_end if line_end >= floor else space if space >= floor else limit
    return text[:cut] + f"\n[truncated: {len(text) - cut} more characters not shown]"


def fence(record: StepRecord, limit: int) -> str:
    step, res = record.step, record.result
    args = ", ".join(f"{k}={v!r}" for k, v in step.args.items())
    tool = safe_name(step.tool)
    head = f'<tool_result step="{safe_name(step.id)}" tool="{tool}" status="{res.status}">'
    query = f"ran: {cap(res.query, 300)}\n" if res.query else ""
    more = "\n[the tool itself cut its output]" if res.truncated else ""
    return f"{head}\ncall: {tool}({_clean(args)})\n{query}{cap(res.summary, limit)}{more}\n</tool_result>"


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
    return fenced("incident", _clean("\n".join(lines)))


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
    return fenced("evidence_digest", cap("\n".join(out), budget_chars))


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
    return fenced("diagnosis", cap("\n".join(out), limit))
