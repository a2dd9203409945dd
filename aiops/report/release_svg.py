"""Before/after charts as inline SVG: no script, no external file, readable in any browser.

One chart per signal: the baseline window shaded grey, the after window tinted by the
check's status, the release time as a red vertical line, the baseline level as a dashed
line, the same hours one day earlier as a dotted grey line when known, and the signal
itself (gaps where buckets have no data).
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from html import escape

from aiops.release.model import Chart
from aiops.release.units import format_value

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 78, 14, 22, 30
AFTER_TINT = {"fail": "#fde2e1", "warn": "#fff1d6", "pass": "#e3f4e8", "skip": "#eef0f3"}


def _fmt_axis(value: float, unit: str) -> str:
    if unit in ("lines/min", "traces", "restarts"):
        return f"{value:.3g}"
    return format_value(value, unit)


def _time_label(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%H:%M")


def _paths(xs: list[float], ys: list[float]) -> list[str]:
    """Polyline point lists, split where a value is missing."""
    out, cur = [], []
    for x, y in zip(xs, ys):
        if y is None or not math.isfinite(y):
            if len(cur) > 1:
                out.append(" ".join(cur))
            cur = []
            continue
        cur.append(f"{x:.1f},{y:.1f}")
    if len(cur) > 1:
        out.append(" ".join(cur))
    elif len(cur) == 1:                       # a lone point: a tiny segment so it shows
        x, y = cur[0].split(",")
        out.append(f"{float(x) - 1.5:.1f},{y} {float(x) + 1.5:.1f},{y}")
    return out


def render_chart(chart: Chart, deployed_at: float, baseline_start: float, after_end: float, status: str,
                 release: str, check_id: str = "", marker: str = "") -> str:
    """One chart as an `<svg>` element (class "chart"); the vertical line at `deployed_at` is
    labelled `marker` (default "release <release>": a diagnosis marks the onset instead)."""
    ts = list(chart.timestamps)
    if not ts:
        return ""
    step = ts[1] - ts[0] if len(ts) > 1 else 60.0
    t0, t1 = min(ts[0], baseline_start), max(ts[-1] + step, after_end)
    finite = [v for v in chart.values if math.isfinite(v)]
    extra = [v for v in chart.previous_day if math.isfinite(v)]
    if chart.baseline is not None and math.isfinite(chart.baseline):
        extra.append(chart.baseline)
    lo, hi = (min(finite + extra), max(finite + extra)) if finite + extra else (0.0, 1.0)
    if chart.unit not in ("s",) and lo > 0 and lo < 0.35 * hi:
        lo = 0.0                              # counts and rates read better from 0
    if hi - lo <= 1e-12 * max(abs(hi), 1.0):
        flat = max(abs(lo) * 0.1, 1e-9)            # a flat series: a band around it, never below 0
        lo, hi = (max(0.0, lo - flat) if lo >= 0 else lo - flat), hi + flat
    pad = (hi - lo) * 0.08
    if lo != 0.0:                             # never below zero for data that is not
        lo = max(0.0, lo - pad) if lo > 0 else lo - pad
    hi = hi + pad
    pw, ph = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(t: float) -> float:
        return LEFT + (t - t0) / (t1 - t0) * pw

    def y(v: float) -> float:
        return TOP + (1.0 - (v - lo) / (hi - lo)) * ph

    mid = [t + step / 2 for t in ts]
    parts = [f'<svg class="chart" data-check="{escape(check_id)}" xmlns="http://www.w3.org/2000/svg" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
             f'aria-label="{escape(chart.title)}">', f"<title>{escape(chart.title)}</title>",
             f'<rect class="plot" x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="#ffffff" stroke="#d0d7de"/>',
             f'<rect class="before-window" x="{x(baseline_start):.1f}" y="{TOP}" '
             f'width="{max(x(deployed_at) - x(baseline_start), 0):.1f}" height="{ph}" fill="#f1f3f6"/>',
             f'<rect class="after-window" x="{x(deployed_at):.1f}" y="{TOP}" '
             f'width="{max(x(after_end) - x(deployed_at), 0):.1f}" height="{ph}" '
             f'fill="{AFTER_TINT.get(status, "#eef0f3")}"/>']
    for i in range(5):
        v = lo + (hi - lo) * i / 4
        parts.append(f'<line x1="{LEFT}" x2="{LEFT + pw}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#e3e7ec"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="11" '
                     f'fill="#57606a">{escape(_fmt_axis(v, chart.unit))}</text>')
    for i in range(6):
        t = t0 + (t1 - t0) * i / 5
        parts.append(f'<text x="{x(t):.1f}" y="{HEIGHT - 10}" text-anchor="middle" font-size="11" '
                     f'fill="#57606a">{_time_label(t)}</text>')
    if chart.previous_day:
        for pts in _paths([x(t) for t in mid], [y(v) if math.isfinite(v) else math.nan for v in chart.previous_day]):
            parts.append(f'<polyline class="previous-day" points="{pts}" fill="none" stroke="#8c959f" '
                         'stroke-width="1.2" stroke-dasharray="2 3"/>')
    if chart.baseline is not None and math.isfinite(chart.baseline):
        parts.append(f'<line class="baseline-level" x1="{LEFT}" x2="{LEFT + pw}" y1="{y(chart.baseline):.1f}" '
                     f'y2="{y(chart.baseline):.1f}" stroke="#57606a" stroke-width="1.2" stroke-dasharray="6 4"/>')
    for pts in _paths([x(t) for t in mid], [y(v) if math.isfinite(v) else math.nan for v in chart.values]):
        parts.append(f'<polyline class="series" points="{pts}" fill="none" stroke="#0969da" stroke-width="2" '
                     'stroke-linejoin="round"/>')
    rx = x(deployed_at)
    parts.append(f'<line class="release-marker" x1="{rx:.1f}" x2="{rx:.1f}" y1="{TOP - 4}" y2="{TOP + ph}" '
                 'stroke="#cf222e" stroke-width="2"/>')
    anchor = "end" if rx > LEFT + pw * 0.7 else "start"
    dx = -4 if anchor == "end" else 4
    parts.append(f'<text x="{rx + dx:.1f}" y="{TOP - 8}" text-anchor="{anchor}" font-size="11" fill="#cf222e">'
                 f"{escape(marker or f'release {release}')}</text>")
    parts.append("</svg>")
    return "".join(parts)
