"""Markdown report: fits a ticket or a PR comment."""

from __future__ import annotations

from aiops.domain import Diagnosis
from aiops.safe_text import map_strings
from aiops.timeutil import to_rfc3339


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(d: Diagnosis, max_causes: int = 5) -> str:
    d = map_strings(d)                 # control characters from the data shown as escapes
    inc = d.incident
    out = [f"# Diagnosis: {inc.title}", ""]
    out.append(f"- Window: {to_rfc3339(inc.window.start)} → {to_rfc3339(inc.window.end)}")
    if inc.started_at is not None:
        out.append(f"- Symptom began: {to_rfc3339(inc.started_at)}")
    if inc.alert:
        out.append("- Alert: " + ", ".join(f"`{k}={v}`" for k, v in inc.alert.items()))
    out.append(f"- Reasoner: {d.reasoner} · run `{d.run_id}` · trace `{d.trace_id or '-'}` · {d.duration_s:.2f} s")
    if d.prompt_versions:
        out.append("- Prompts: " + ", ".join(f"{k} {v}" for k, v in sorted(d.prompt_versions.items())))
    out.append("")
    if d.root_causes:
        top = d.root_causes[0]
        out += ["## Most likely root cause", "", f"**{top.service}** ({top.component or 'service'}) — "
                f"`{top.fault}`, confidence {top.confidence:.0%}", "", top.summary, ""]
        out += ["### Evidence", ""]
        out += [f"- **{e.kind}**: {e.summary}" + (f" (`{e.ref}`)" if e.ref else "") for e in top.evidence] or ["- none"]
        out += ["", "## Ranked candidates", "", "| # | service | fault | confidence | summary |", "|---|---|---|---|---|"]
        for rc in d.root_causes[:max_causes]:
            out.append(f"| {rc.rank} | {_cell(rc.service)} | {_cell(rc.fault)} | {rc.confidence:.0%} | {_cell(rc.summary)} |")
        out.append("")
    else:
        out += ["## No root cause found", "", "No service showed anomalous behaviour in the window.", ""]
    if d.timeline:
        out += ["## Timeline", ""]
        out += [f"- `{to_rfc3339(t.at)}` **{t.service}** — {t.summary}" for t in d.timeline]
        out.append("")
    if d.remediation:
        out += ["## Remediation", ""] + [f"1. {r}" for r in d.remediation] + [""]
    if d.runbooks:
        out += ["## Runbooks", ""] + [f"- [{r.title}]({r.source}) (score {r.score:.2f})" for r in d.runbooks] + [""]
    if d.missing_evidence:
        out += ["## Could not check", ""] + [f"- {m}" for m in d.missing_evidence] + [""]
    if d.notes:
        out += ["## Notes", ""] + [f"- {n}" for n in d.notes] + [""]
    return "\n".join(out)
