"""The post-release report as Markdown: short enough for a PR comment or a CI step summary
(GitHub caps a comment at 65 536 characters; the full check table folds away, and is cut
before the limit)."""

from __future__ import annotations

from aiops.release.model import CheckResult, ReleaseReport
from aiops.release.units import format_check_change, format_p, format_value, label
from aiops.safe_text import map_strings
from aiops.timeutil import to_rfc3339

MAX_CHARS = 60_000
_ICON = {"fail": "❌", "warn": "⚠️", "pass": "✅", "skip": "⏭️"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _row(c: CheckResult) -> str:
    before = format_value(c.before, c.unit) if c.before is not None else ""
    after = format_value(c.after, c.unit) if c.after is not None else ""
    change = format_check_change(c) if c.change is not None else ""
    p = format_p(c.p_value) if c.p_value is not None else ""
    return (f"| {_ICON[c.status]} {c.status} | {_cell(c.service)} | {_cell(label(c.check))} | {_cell(before)} | "
            f"{_cell(after)} | {_cell(change)} | {p} |")


_HEAD = ["| status | service | check | before | after | change | p |", "|---|---|---|---|---|---|---|"]


def render_release_markdown(report: ReleaseReport, max_root_causes: int = 3) -> str:
    report = map_strings(report)       # control characters from the data shown as escapes
    w = report.windows
    counts = report.counts()
    deployed = report.deployed_services
    out = [f"## {_ICON[report.verdict]} Release `{report.release}`: **{report.verdict.upper()}**", "",
           f"Deployed {to_rfc3339(w.deployed_at)} · baseline {to_rfc3339(w.before.start)} → {to_rfc3339(w.before.end)}"
           f" · after → {to_rfc3339(w.after.end)} · {len(report.services)} services · "
           f"{report.history_days_used} previous day(s) for seasonality", "",
           " · ".join(f"{_ICON[s]} {counts[s]} {s}" for s in ("fail", "warn", "pass", "skip")), ""]
    flagged = report.by_status("fail", "warn")
    if flagged:
        out += ["### Failing and warning checks", "", *_HEAD, *(_row(c) for c in flagged), ""]
        for c in flagged[:10]:
            extra = f" — {_cell(c.seasonal)}" if c.seasonal else ""
            out.append(f"- **{_cell(c.service)} · {_cell(label(c.check))}**: {_cell(c.summary)}{extra}")
            out += [f"  - {_cell(e)}" for e in c.evidence[:3] if not e.startswith("source:")]
        out.append("")
    else:
        out += ["No check found a significant and meaningful change after the release.", ""]
    d = report.diagnosis
    if d is not None:
        out += ["### Likely root cause", ""]
        if not d.root_causes:
            out.append("The diagnosis found no anomalous service.")
        for rc in d.root_causes[:max_root_causes]:
            tag = " (deployed in this release)" if rc.service in deployed else ""
            out.append(f"{rc.rank}. **{_cell(rc.service)}**{tag} — `{rc.fault}`, confidence {rc.confidence:.0%}: "
                       f"{_cell(rc.summary)}")
        out.append("")
    if report.deploys:
        out += ["### Deploys and changes", ""]
        out += [f"- `{to_rfc3339(round(e.at, 3))}` **{_cell(e.service)}**: {_cell(e.message)}" for e in report.deploys[:10]]
        out.append("")
    if report.missing:
        out += ["### Missing evidence", ""] + [f"- {_cell(m)}" for m in report.missing] + [""]
    if report.notes:
        out += [f"> {_cell(n)}" for n in report.notes] + [""]
    head = "\n".join(out)
    table = ["<details><summary>All " + str(len(report.checks)) + " checks</summary>", "", *_HEAD]
    tail = ["", "</details>", "", "<sub>Thresholds: " + ", ".join(f"{k} = {v:g}" for k, v in report.thresholds.items())
            + f" · {report.duration_s:.1f} s</sub>", ""]
    budget = MAX_CHARS - len(head) - sum(len(x) + 1 for x in table + tail) - 200
    shown = 0
    for c in report.checks:
        row = _row(c)
        if budget - len(row) - 1 < 0:
            table.append(f"| … | {len(report.checks) - shown} more checks in the JSON/HTML report | | | | | |")
            break
        table.append(row)
        budget -= len(row) + 1
        shown += 1
    return head + "\n" + "\n".join(table + tail)
