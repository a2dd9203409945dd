"""The post-release report as one self-contained HTML file: inline CSS and SVG, no script,
no font, image or stylesheet from anywhere else, so it opens offline and as a CI artifact."""

from __future__ import annotations

from dataclasses import replace
from html import escape

from aiops.release.model import CheckResult, ReleaseReport
from aiops.release.units import format_check_change, format_p, format_value, label
from aiops.report.release_svg import render_chart
from aiops.safe_text import map_strings
from aiops.timeutil import to_rfc3339

MAX_CHARTS = 16
_PREFERRED = ("latency_p90", "latency_p99", "latency_p50", "latency_mean", "error_rate", "traffic", "cpu", "memory")
_CSS = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0;background:#f6f8fa;color:#1f2328}
main{max-width:980px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 10px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
.meta{color:#57606a;font-size:14px;margin:4px 0}
.badge{display:inline-block;padding:2px 10px;border-radius:12px;font-weight:600;font-size:13px;color:#fff;vertical-align:middle}
.fail{background:#cf222e}.warn{background:#bf8700}.pass{background:#1a7f37}.skip{background:#6e7781}
.counts span{margin-right:14px;font-size:14px}
.card{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:12px 16px;margin:12px 0}
.card h3{font-size:15px;margin:0 0 6px}.card p{margin:4px 0;font-size:14px}
.card ul{margin:6px 0 8px 18px;padding:0;font-size:13px;color:#424a53}
table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f6f8fa}
.deployed{font-size:12px;color:#0969da;font-weight:600}
svg.chart{display:block;max-width:100%;height:auto;margin-top:8px}
.legend{font-size:12px;color:#57606a}
"""


def _badge(status: str) -> str:
    return f'<span class="badge {escape(status)}">{escape(status.upper())}</span>'


def _chart_checks(report: ReleaseReport) -> list[CheckResult]:
    flagged = [c for c in report.checks if c.status in ("fail", "warn") and c.chart is not None]
    if flagged:
        return flagged[:MAX_CHARTS]
    deployed = report.deployed_services or set(report.services[:1])
    shown = [c for c in report.checks if c.chart is not None and c.service in deployed and c.check in _PREFERRED]
    shown.sort(key=lambda c: (c.service, _PREFERRED.index(c.check)))
    return shown[:4]


def _check_card(c: CheckResult, report: ReleaseReport, deployed: set[str]) -> str:
    w = report.windows
    tag = ' <span class="deployed">deployed in this release</span>' if c.service in deployed else ""
    out = [f'<div class="card check" data-status="{escape(c.status)}">',
           f"<h3>{_badge(c.status)} {escape(label(c.check))} · {escape(c.service)}{tag}</h3>",
           f"<p>{escape(c.summary)}</p>"]
    if c.evidence or c.seasonal:
        items = [*c.evidence, *([c.seasonal] if c.seasonal else [])]
        out.append("<ul>" + "".join(f"<li>{escape(e)}</li>" for e in items) + "</ul>")
    if c.chart is not None:
        out.append(render_chart(c.chart, w.deployed_at, w.before.start, w.after.end, c.status, report.release,
                                check_id=f"{c.check}:{c.service}"))
    out.append("</div>")
    return "".join(out)


def _diagnosis(report: ReleaseReport, deployed: set[str], max_causes: int) -> str:
    d = report.diagnosis
    if d is None:
        return ""
    out = ["<h2>Likely root cause (diagnosis of the after window)</h2>"]
    if not d.root_causes:
        out.append("<p>The diagnosis found no anomalous service.</p>")
    for rc in d.root_causes[:max_causes]:
        tag = ' <span class="deployed">deployed in this release</span>' if rc.service in deployed else ""
        out.append(f'<div class="card cause"><h3>{rc.rank}. {escape(rc.service)}{tag} — '
                   f"{escape(rc.fault)}, confidence {rc.confidence:.0%}</h3><p>{escape(rc.summary)}</p>")
        if rc.evidence:
            out.append("<ul>" + "".join(f"<li>{escape(e.kind)}: {escape(e.summary)}</li>" for e in rc.evidence[:4])
                       + "</ul>")
        out.append("</div>")
    return "".join(out)


def render_release_html(report: ReleaseReport, max_root_causes: int = 3) -> str:
    report = map_strings(report)       # control characters from the data shown as escapes
    w = report.windows
    deployed = report.deployed_services
    counts = report.counts()
    body = [f"<h1>{_badge(report.verdict)} Release {escape(report.release)}</h1>",
            f'<p class="meta">deployed {to_rfc3339(w.deployed_at)} · baseline {to_rfc3339(w.before.start)} → '
            f"{to_rfc3339(w.before.end)} · after → {to_rfc3339(w.after.end)} · "
            f"{report.history_days_used} previous day(s) used for seasonality</p>",
            f'<p class="meta">{len(report.services)} services checked'
            + (f" · source: {escape(report.source)}" if report.source else "")
            + f" · {report.duration_s:.1f} s</p>",
            '<p class="counts">' + "".join(f"<span>{_badge(s)} {counts[s]}</span>" for s in ("fail", "warn", "pass", "skip"))
            + "</p>"]
    body.append(_diagnosis(report, deployed, max_root_causes))
    flagged = report.by_status("fail", "warn")
    body.append(f"<h2>{'Failing and warning checks' if flagged else 'Checks'}</h2>")
    if not flagged:
        body.append("<p>Every check passed. The charts show the released service's signals.</p>")
    body.append('<p class="legend">Charts: grey = baseline window, tinted = after the release, red line = release '
                "time, dashed = baseline level, dotted = the same hours one day earlier.</p>")
    charted = {id(c) for c in _chart_checks(report)}
    for c in flagged:
        body.append(_check_card(c, report, deployed) if id(c) in charted else
                    _check_card(replace(c, chart=None), report, deployed))
    for c in report.checks:
        if id(c) in charted and c.status not in ("fail", "warn"):
            body.append(_check_card(c, report, deployed))
    if report.deploys:
        body.append("<h2>Deploys and changes around the release</h2><ul>" + "".join(
            f"<li>{to_rfc3339(round(d.at, 3))} <b>{escape(d.service)}</b>: {escape(d.message)}</li>"
            for d in report.deploys) + "</ul>")
    body.append("<h2>All checks</h2><table><tr><th>status</th><th>service</th><th>check</th><th>before</th>"
                "<th>after</th><th>change</th><th>p</th></tr>")
    for c in report.checks:
        body.append(f"<tr><td>{_badge(c.status)}</td><td>{escape(c.service)}</td><td>{escape(label(c.check))}</td>"
                    f"<td>{escape(format_value(c.before, c.unit))}</td><td>{escape(format_value(c.after, c.unit))}</td>"
                    f"<td>{escape(format_check_change(c))}</td><td>{escape(format_p(c.p_value))}</td></tr>")
    body.append("</table>")
    if report.missing or report.notes:
        body.append("<h2>Missing evidence and notes</h2><ul>" + "".join(
            f"<li>{escape(m)}</li>" for m in (*report.missing, *report.notes)) + "</ul>")
    body.append("<h2>Thresholds</h2><p class=\"meta\">" + escape(", ".join(f"{k} = {v:g}" for k, v in report.thresholds.items()))
                + "</p>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>Release {escape(report.release)}: {report.verdict}</title><style>{_CSS}</style></head>"
            f"<body><main>{''.join(body)}</main></body></html>\n")

