"""Log-template and error-trace-path checks: one CheckResult per service that has logs
(or spans) in the compared windows, graded by its worst new or surging template (path)."""

from __future__ import annotations

import numpy as np

from aiops.analytics.logs import mine_messages
from aiops.analytics.release_logs import TemplateChange, compare_log_templates, grade_template
from aiops.analytics.release_traces import ErrorPath, compare_error_paths, grade_path
from aiops.config import ReleaseSettings
from aiops.release.model import Chart, CheckResult, ReleaseWindows, worst
from aiops.release.thresholds import log_gate
from aiops.release.units import format_p
from aiops.telemetry.reader import TelemetryReader
from aiops.timeutil import to_rfc3339

MAX_EVIDENCE = 6
CHART_BUCKET_S = 60.0


def _concat(parts: list[dict[str, np.ndarray]], columns: tuple[str, ...]) -> dict[str, np.ndarray]:
    out = {}
    for c in columns:
        arrays = [np.ma.filled(np.ma.asarray(p[c]), "" if c != "ts" and c != "start" else np.nan)
                  if np.ma.isMaskedArray(p[c]) else np.asarray(p[c]) for p in parts]
        out[c] = np.concatenate(arrays) if arrays else np.array([])
    return out


def _windows(windows: ReleaseWindows, days: list[int]) -> tuple[tuple[float, float], tuple[float, float], list]:
    """(before, after, [(before, after) of each previous day])."""
    b, a = windows.before, windows.after
    return (b.start, b.end), (a.start, a.end), [windows.days_back(d) for d in days]


def _short(text: str, n: int = 140) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def _describe_template(c: TemplateChange, status: str) -> str:
    what = f"new {c.log_class} template" if c.new else f"{c.log_class} template x{c.ratio:.1f}"
    return (f'{status}: {what} "{_short(c.template)}" ({c.n_after} lines after, {c.n_before} in the baseline, '
            f"{c.n_history} on previous days; first at {to_rfc3339(round(c.first_after))}; {format_p(c.p_value)})")


def log_checks(store: TelemetryReader, windows: ReleaseWindows, services: tuple[str, ...], days: list[int],
               cfg: ReleaseSettings) -> list[CheckResult]:
    before, after, history = _windows(windows, days)
    svc = list(services) or None
    spans = [(before[0], after[1])] + [(windows.days_back(d)[0][0], windows.days_back(d)[1][1]) for d in days]
    cols = ("ts", "service", "message", "level")
    rec = _concat([store.log_records(lo, hi, service=svc) for lo, hi in spans], cols)
    if len(rec["ts"]) == 0:
        return []
    mined = mine_messages(rec["message"].tolist())
    changes = compare_log_templates(rec["ts"], rec["service"], rec["message"], rec["level"], before, after, history,
                                    mined=mined)
    gate = log_gate(cfg)
    in_window = (rec["ts"] >= before[0]) & (rec["ts"] < after[1])
    out = []
    for service in sorted(set(rec["service"][in_window].tolist())):
        mine = [(c, grade_template(c, gate)) for c in changes if c.service == service]
        status = worst([s for _, s in mine])
        flagged = [(c, s) for c, s in mine if s != "pass"]
        notes = [(c, "info") for c, s in mine if s == "pass" and c.new][:3]
        if flagged:
            top = flagged[0][0]
            kind = "new" if top.new else f"x{top.ratio:.1f}"
            summary = (f"log templates of {service}: {len(flagged)} new or surging error/warning template(s); "
                       f'worst: {kind} "{_short(top.template, 90)}" ({top.n_after} lines after the release)')
        else:
            summary = f"log templates of {service}: no new or surging error templates"
        evidence = tuple(_describe_template(c, s) for c, s in (flagged + notes)[:MAX_EVIDENCE])
        chart = _template_chart(rec, mined, flagged[0][0], windows) if flagged else None
        top = flagged[0][0] if flagged else None
        out.append(CheckResult("log_templates", "logs", service, status, summary,
                               before=top.rate_before if top else None, after=top.rate_after if top else None,
                               change=top.ratio if top else None, unit="lines/min",
                               p_value=top.p_value if top else None, evidence=evidence, chart=chart))
    return out


def _template_chart(rec: dict, mined, change: TemplateChange, windows: ReleaseWindows) -> Chart:
    span = windows.span
    code = mined.template_ids.index(change.template_id)
    sel = (rec["service"] == change.service) & (mined.codes == code) & (rec["ts"] >= span.start) & (rec["ts"] < span.end)
    n = int(np.ceil(span.seconds / CHART_BUCKET_S))
    counts = np.bincount(((rec["ts"][sel] - span.start) // CHART_BUCKET_S).astype(np.int64), minlength=n)[:n]
    ts = span.start + CHART_BUCKET_S * np.arange(n)
    return Chart(title=f"{change.service} · log lines/min: {_short(change.template, 60)}", unit="lines/min",
                 timestamps=tuple(float(x) for x in ts), values=tuple(float(x) for x in counts),
                 baseline=change.rate_before)


def _describe_path(e: ErrorPath, status: str) -> str:
    what = "new error path" if e.new else f"error path x{e.ratio:.1f}"
    return (f"{status}: {what} {_short(e.path, 200)} ({e.n_after} failed traces of {e.traces_after} after, "
            f"{e.n_before} in the baseline, {e.n_history} on previous days; e.g. trace {e.example_trace}; "
            f"{format_p(e.p_value)})")


def trace_checks(store: TelemetryReader, windows: ReleaseWindows, services: tuple[str, ...], days: list[int],
                 cfg: ReleaseSettings) -> list[CheckResult]:
    before, after, history = _windows(windows, days)
    spans = [(before[0], after[1])] + [(windows.days_back(d)[0][0], windows.days_back(d)[1][1]) for d in days]
    parts = [store.span_table(lo, hi) for lo, hi in spans]
    cols = tuple(parts[0].keys())
    table = _concat(parts, cols)
    if len(table["start"]) == 0:
        return []
    changes = compare_error_paths(table, before, after, history)
    gate = log_gate(cfg)
    in_window = (table["start"] >= before[0]) & (table["start"] < after[1])
    present = set(table["service"][in_window].tolist())
    wanted = sorted(present & set(services)) if services else sorted(present)
    out = []
    for service in wanted:
        mine = [(e, grade_path(e, gate)) for e in changes if e.service == service]
        flagged = [(e, s) for e, s in mine if s != "pass"]
        status = worst([s for _, s in mine])
        if flagged:
            top = flagged[0][0]
            summary = (f"error trace paths from {service}: {len(flagged)} new or surging; worst: "
                       f"{_short(top.path, 120)} ({top.n_after} failed traces after, {top.n_before + top.n_history} before)")
        else:
            summary = f"error trace paths from {service}: none new or surging"
        top = flagged[0][0] if flagged else None
        out.append(CheckResult("error_paths", "traces", service, status, summary,
                               before=float(top.n_before + top.n_history) if top else None,
                               after=float(top.n_after) if top else None, change=top.ratio if top else None,
                               unit="traces", p_value=top.p_value if top else None,
                               evidence=tuple(_describe_path(e, s) for e, s in flagged[:MAX_EVIDENCE])))
    return out
