"""Markdown report: fits a ticket or a PR comment."""

from __future__ import annotations

from aiops.domain import Diagnosis
from aiops.safe_text import map_strings
from aiops.timeutil import to_rfc3339


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def verdict_line(d: Diagnosis) -> str:
    """The verdict in one sentence (the first thing every report says)."""
    if d.verdict == "insufficient_evidence":
        return "Insufficient evidence: " + ("; ".join(d.verdict_reasons) or "no telemetry was read")
    if d.verdict == "healthy" or not d.root_causes:
        alerted = any(r.startswith("yet alert ") for r in d.verdict_reasons)
        why = "; ".join(d.verdict_reasons) or "no service showed anomalous behaviour in the window"
        return ("No anomaly found: " if alerted else "Healthy: ") + why
    top = d.root_causes[0]
    return f"Most likely root cause: {top.service} ({top.fault.replace('_', ' ')}), confidence {top.confidence:.0%}"


def coverage_items(d: Diagnosis) -> list[str]:
    """What the diagnosis rests on, one item a line: read, not read."""
    cov = d.coverage
    out = []
    if cov.read:
        n = len(cov.all_services)
        per = "; ".join(f"{m} ({cov.rows[m]} rows, {len(cov.services.get(m, ()))} services)" for m in cov.read)
        out.append(f"Read: {per} — {n} services in all")
    out += [f"Source {s.name}: {s.status}" + (f" ({s.detail})" if s.detail else "") for s in cov.sources]
    return out


def not_checked(d: Diagnosis) -> list[str]:
    """Missing evidence beyond the sources the coverage already names as not read."""
    unread = [s.name + ":" for s in d.coverage.sources if s.status != "ok"]
    return [m for m in d.missing_evidence if not m.startswith(tuple(unread))] if unread else list(d.missing_evidence)


def render_markdown(d: Diagnosis, max_causes: int = 5) -> str:
    d = map_strings(d)                 # control characters from the data shown as escapes
    inc = d.incident
    out = [f"# Diagnosis: {inc.title}", "", f"**{_cell(verdict_line(d))}**", ""]
    if d.reasoner_note:
        out += [f"> Reasoner: {_cell(d.reasoner_note)}", ""]
    out.append(f"- Window: {to_rfc3339(inc.window.start)} → {to_rfc3339(inc.window.end)}")
    if inc.started_at is not None:
        out.append(f"- Symptom began: {to_rfc3339(inc.started_at)}")
    if inc.alert:
        out.append("- Alert: " + ", ".join(f"`{k}={v}`" for k, v in inc.alert.items()))
    out.append(f"- Reasoner: {d.reasoner} · run `{d.run_id}` · trace `{d.trace_id or '-'}` · {d.duration_s:.2f} s")
    if d.prompt_versions:
        out.append("- Prompts: " + ", ".join(f"{k} {v}" for k, v in sorted(d.prompt_versions.items())))
    out.append("")
    out += ["## Evidence coverage", ""] + [f"- {_cell(x)}" for x in coverage_items(d)]
    out += [f"- Could not check: {_cell(m)}" for m in not_checked(d)] + [""]
    if d.root_causes and d.verdict == "root_cause":
        top = d.root_causes[0]
        out += ["## Most likely root cause", "", f"**{top.service}** ({top.component or 'service'}) — "
                f"`{top.fault}`, confidence {top.confidence:.0%}", "", top.summary, ""]
        out += ["### Evidence", ""]
        out += [f"- **{e.kind}**: {e.summary}" + (f" (`{e.ref}`)" if e.ref else "") for e in top.evidence] or ["- none"]
        out += ["", "## Ranked candidates", "", "| # | service | fault | confidence | summary |", "|---|---|---|---|---|"]
        for rc in d.root_causes[:max_causes]:
            out.append(f"| {rc.rank} | {_cell(rc.service)} | {_cell(rc.fault)} | {rc.confidence:.0%} | {_cell(rc.summary)} |")
        out.append("")
    elif d.verdict == "insufficient_evidence":
        out += ["## Insufficient evidence", ""] + [f"- {_cell(r)}" for r in d.verdict_reasons] + [""]
    else:
        out += ["## No root cause found", ""] + [f"- {_cell(r)}" for r in d.verdict_reasons or
                                                 ["No service showed anomalous behaviour in the window."]] + [""]
    if d.timeline:
        out += ["## Timeline", ""]
        out += [f"- `{to_rfc3339(t.at)}` **{t.service}** — {t.summary}" for t in d.timeline]
        out.append("")
    if d.remediation:
        out += ["## Remediation", ""] + [f"1. {r}" for r in d.remediation] + [""]
    if d.runbooks:
        out += ["## Runbooks", ""] + [f"- [{r.title}]({r.source}) (score {r.score:.2f})" for r in d.runbooks] + [""]
    notes = [n for n in d.notes if n != d.reasoner_note]      # said at the top already
    if notes:
        out += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    return "\n".join(out)
