"""What `aiops serve` sends: a Slack-compatible incoming-webhook message, a generic JSON
document, and Markdown for the files — from a diagnosis, or from a failure to make one.

The Slack message (Block Kit, with a plain `text` fallback) has the incident title, the top
causes with their confidence, evidence links (the alert's source and the metric evidence as
Prometheus graph queries), the runbooks cited and the run id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from aiops.domain import Diagnosis, Evidence

TOP = 3
EVIDENCE = 4
_SELECTOR = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(:rate)?(\{.*\})?$")


@dataclass
class Outcome:
    """One incident's result, whatever the sink: the diagnosis, or why there is none."""

    incident: str                       # the service's incident id
    title: str
    alerts: list[dict[str, Any]]        # labels, startsAt, generatorURL of the incident's alerts
    diagnosis: Diagnosis | None = None
    error: str = ""                     # why the diagnosis failed
    alert_count: int = 0
    links: dict[str, str] = field(default_factory=dict)


def graph_link(base: str, ref: str, window_s: float) -> str:
    """A Prometheus graph URL for a metric evidence ref (a series selector), '' otherwise."""
    m = _SELECTOR.match(ref.strip())
    if not base or not m:
        return ""
    name, rate, labels = m.group(1), m.group(2), m.group(3) or ""
    expr = f"rate({name}{labels}[5m])" if rate else f"{name}{labels}"
    minutes = max(5, int(window_s // 60))
    return f"{base.rstrip('/')}/graph?" + urlencode({"g0.expr": expr, "g0.tab": "0", "g0.range_input": f"{minutes}m"},
                                                    quote_via=quote)


def _evidence(d: Diagnosis, base: str) -> list[tuple[Evidence, str]]:
    out: list[tuple[Evidence, str]] = []
    for cause in d.root_causes[:1]:
        for ev in cause.evidence:
            link = graph_link(base, ev.ref, d.incident.window.seconds) if ev.kind == "metric" else ""
            out.append((ev, link))
    return out[:EVIDENCE]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(o: Outcome, link_base: str = "") -> dict[str, Any]:
    title = o.title[:140] or "incident"
    sources = sorted({a.get("generatorURL", "") for a in o.alerts if a.get("generatorURL")})[:2]
    if o.diagnosis is None:
        text = f"aiops could not diagnose: {title} — {o.error}"
        return {"text": text, "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": f"Not diagnosed: {title}"[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": _escape(o.error)[:2900]}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"incident {o.incident} · {o.alert_count} alert(s)"}]}]}
    d = o.diagnosis
    causes = [c for c in d.root_causes[:TOP] if c.confidence > 0]
    lines = [f"{c.rank}. *{_escape(c.service)}* — {_escape(c.fault.replace('_', ' '))} ({c.confidence:.0%})"
             for c in causes] or ["no anomalous behaviour found in the evidence"]
    top = causes[0] if causes else None
    text = f"aiops: {title} — " + (f"top cause {top.service} ({top.fault.replace('_', ' ')}, {top.confidence:.0%})"
                                   if top else "no cause found")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Top causes*\n" + "\n".join(lines)}},
    ]
    ev_lines = []
    for ev, link in _evidence(d, link_base):
        summary = _escape(ev.summary[:160])
        ev_lines.append(f"• <{link}|{summary}>" if link else f"• {summary}")
    ev_lines += [f"• <{u}|alert source>" for u in sources]
    if ev_lines:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "*Evidence*\n" + "\n".join(ev_lines)[:2900]}})
    if d.runbooks:
        rb = "\n".join(f"• {_escape(r.title)} (`{_escape(r.source)}`)" for r in d.runbooks[:3])
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "*Runbooks*\n" + rb}})
    memory = [n for n in d.notes if n.startswith("incident memory: seen")]
    context = f"run {d.run_id} · incident {o.incident} · {o.alert_count} alert(s) · {d.duration_s:.1f} s"
    if d.missing_evidence:
        context += f" · {len(d.missing_evidence)} source(s) missing"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _escape(m)[:300]} for m in memory[:1]]
                   + [{"type": "mrkdwn", "text": context}]})
    return {"text": text, "blocks": blocks}


def json_document(o: Outcome) -> dict[str, Any]:
    from aiops.report.json_report import diagnosis_to_dict

    return {"incident": o.incident, "title": o.title, "alert_count": o.alert_count, "alerts": o.alerts,
            "status": "diagnosed" if o.diagnosis is not None else "failed", "error": o.error,
            "diagnosis": diagnosis_to_dict(o.diagnosis) if o.diagnosis is not None else None}


def markdown_document(o: Outcome) -> str:
    if o.diagnosis is None:
        return f"# Not diagnosed: {o.title}\n\nincident {o.incident}: {o.error}\n"
    from aiops.report.render import render

    return render(o.diagnosis, "markdown")
