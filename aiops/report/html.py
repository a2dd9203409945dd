"""Self-contained HTML report: one file, inline CSS, no scripts, no external assets.

Readable in light and dark mode (prefers-color-scheme); every value from the diagnosis is
escaped.
"""

from __future__ import annotations

from html import escape

from aiops.domain import Diagnosis
from aiops.report.markdown import coverage_items, not_checked, verdict_line
from aiops.safe_text import map_strings
from aiops.timeutil import to_rfc3339

_CSS = """
:root { --fg: #1f2328; --bg: #ffffff; --muted: #59636e; --line: #d1d9e0; --accent: #0969da;
        --bar: #cf222e; --card: #f6f8fa; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1; --line: #3d444d; --accent: #4493f8;
          --bar: #f85149; --card: #151b23; }
}
body { font: 15px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg);
       max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; border-bottom: 1px solid var(--line); }
.meta, .muted { color: var(--muted); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
.bar { display: inline-block; height: .6rem; background: var(--bar); border-radius: 2px; }
code { font-family: ui-monospace, monospace; font-size: .9em; }
.verdict { font-size: 1.1rem; } .verdict.insufficient_evidence { color: var(--bar); }
svg.chart { display: block; max-width: 100%; height: auto; margin-top: .5rem; }
a { color: var(--accent); }
"""


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _confidence(c: float) -> str:
    width = max(0.0, min(1.0, float(c))) * 5
    return f'<span class="bar" style="width:{width:.2f}rem"></span> {c:.0%}'


def _charts(d: Diagnosis) -> list[str]:
    """The series behind the top suspect's evidence (as in the TUI's evidence screen): the
    window before the onset shaded, after it tinted, the onset marked."""
    from aiops.release.model import Chart
    from aiops.report.release_svg import render_chart

    win = d.incident.window
    out = []
    for plot in d.charts:
        onset = plot.onset if plot.onset is not None and win.contains(plot.onset) else \
            d.incident.started_at if d.incident.started_at is not None else win.start + win.seconds / 2
        chart = Chart(title=plot.title, unit=plot.unit, timestamps=plot.timestamps, values=plot.values)
        svg = render_chart(chart, onset, win.start, win.end, "fail", "", check_id=plot.title, marker="onset")
        if svg:
            out.append(f'<p class="muted">{_e(plot.title)}</p>{svg}')
    return out


def render_html(d: Diagnosis, max_causes: int = 10) -> str:
    d = map_strings(d)                 # control characters from the data shown as escapes
    inc = d.incident
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>Diagnosis: {_e(inc.title)}</title><style>{_CSS}</style></head><body>",
           f"<h1>Diagnosis: {_e(inc.title)}</h1>", '<p class="meta">']
    meta = [f"Window {_e(to_rfc3339(inc.window.start))} → {_e(to_rfc3339(inc.window.end))}"]
    if inc.started_at is not None:
        meta.append(f"symptom began {_e(to_rfc3339(inc.started_at))}")
    if inc.alert:
        meta.append("alert " + " ".join(f"<code>{_e(k)}={_e(v)}</code>" for k, v in inc.alert.items()))
    meta.append(f"reasoner {_e(d.reasoner)} · run <code>{_e(d.run_id)}</code> · {d.duration_s:.2f} s")
    out += ["<br>".join(meta), "</p>", f'<p class="verdict {_e(d.verdict)}"><strong>{_e(verdict_line(d))}</strong></p>']
    if d.reasoner_note:
        out.append(f'<p class="muted">Reasoner: {_e(d.reasoner_note)}</p>')
    out += ["<h2>Evidence coverage</h2>", "<ul>"] + [f"<li>{_e(x)}</li>" for x in coverage_items(d)]
    out += [f"<li>Could not check: {_e(m)}</li>" for m in not_checked(d)] + ["</ul>"]
    if d.root_causes and d.verdict == "root_cause":
        top = d.root_causes[0]
        out += ["<h2>Most likely root cause</h2>", '<div class="card">',
                f"<p><strong>{_e(top.service)}</strong> ({_e(top.component or 'service')}) — <code>{_e(top.fault)}</code>, "
                f"confidence {top.confidence:.0%}</p>", f"<p>{_e(top.summary)}</p>", "<ul>"]
        out += [f"<li><strong>{_e(e.kind)}</strong>: {_e(e.summary)}"
                + (f' <span class="muted"><code>{_e(e.ref)}</code></span>' if e.ref else "") + "</li>"
                for e in top.evidence] or ["<li>no evidence</li>"]
        out += ["</ul>", *_charts(d), "</div>", "<h2>Ranked candidates</h2>",
                "<table><tr><th>#</th><th>service</th><th>fault</th><th>confidence</th><th>summary</th></tr>"]
        out += [f"<tr><td>{rc.rank}</td><td>{_e(rc.service)}</td><td>{_e(rc.fault)}</td>"
                f"<td>{_confidence(rc.confidence)}</td><td>{_e(rc.summary)}</td></tr>" for rc in d.root_causes[:max_causes]]
        out.append("</table>")
    else:
        title = "Insufficient evidence" if d.verdict == "insufficient_evidence" else "No root cause found"
        reasons = d.verdict_reasons or ("No service showed anomalous behaviour in the window.",)
        out += [f"<h2>{title}</h2>", "<ul>"] + [f"<li>{_e(r)}</li>" for r in reasons] + ["</ul>"]
    if d.timeline:
        out += ["<h2>Timeline</h2>", "<table>"]
        out += [f"<tr><td><code>{_e(to_rfc3339(t.at))}</code></td><td>{_e(t.service)}</td><td>{_e(t.summary)}</td></tr>"
                for t in d.timeline]
        out.append("</table>")
    if d.remediation:
        out += ["<h2>Remediation</h2>", "<ol>"] + [f"<li>{_e(r)}</li>" for r in d.remediation] + ["</ol>"]
    if d.runbooks:
        out += ["<h2>Runbooks</h2>", "<ul>"]
        out += [f"<li>{_e(r.title)} <span class=\"muted\"><code>{_e(r.source)}</code> (score {r.score:.2f})</span></li>"
                for r in d.runbooks]
        out.append("</ul>")
    notes = [n for n in d.notes if n != d.reasoner_note]      # said at the top already
    if notes:
        out += ["<h2>Notes</h2>", "<ul>"] + [f"<li>{_e(n)}</li>" for n in notes] + ["</ul>"]
    out.append("</body></html>")
    return "\n".join(out) + "\n"
