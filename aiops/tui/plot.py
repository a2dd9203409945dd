"""Terminal charts drawn with Braille dots (2x4 dots per cell) and block sparklines.

Pure functions returning rich `Text`; the widgets pass in styles taken from the textual
theme, so the charts read on light and dark terminals alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
from rich.text import Text

from aiops.analytics.units import format_quantity

_DOTS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))   # [sub-column][row within cell]
_BLOCKS = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class ChartStyles:
    line: str = ""
    marker: str = "bold"
    axis: str = "dim"


def compact_number(v: float) -> str:
    """1234.5 -> '1.23k', 0.000123 -> '123µ'; short enough for a 7-column gutter."""
    if not math.isfinite(v):
        return "nan"
    a = abs(v)
    if a == 0:
        return "0"
    for limit, div, suffix in ((1e12, 1e12, "T"), (1e9, 1e9, "G"), (1e6, 1e6, "M"), (1e4, 1e3, "k")):
        if a >= limit:
            return f"{v / div:.3g}{suffix}"
    if a >= 0.01:
        return f"{v:.3g}"
    for limit, mul, suffix in ((1e-3, 1e3, "m"), (1e-6, 1e6, "µ"), (1e-9, 1e9, "n")):
        if a >= limit:
            return f"{v * mul:.3g}{suffix}"
    return f"{v:.1e}"


def clock(ts: float, seconds: bool = False) -> str:
    """UTC time of day; HH:MM when the seconds are zero unless `seconds`."""
    dt = datetime.fromtimestamp(ts, tz=timezone.utc)
    return dt.strftime("%H:%M:%S") if dt.second or seconds else dt.strftime("%H:%M")


def column_means(timestamps: np.ndarray, values: np.ndarray, t0: float, t1: float, columns: int) -> np.ndarray:
    """Mean of the finite values falling in each of `columns` equal slices of [t0, t1]; NaN if none."""
    t = np.asarray(timestamps, dtype=float)
    v = np.asarray(values, dtype=float)
    keep = np.isfinite(v) & np.isfinite(t) & (t >= t0) & (t <= t1)
    span = max(t1 - t0, 1e-9)
    idx = np.clip(((t[keep] - t0) / span * columns).astype(np.int64), 0, columns - 1)
    sums = np.bincount(idx, weights=v[keep], minlength=columns)
    counts = np.bincount(idx, minlength=columns)
    out = np.full(columns, np.nan)
    np.divide(sums, counts, out=out, where=counts > 0)
    return out


def braille_cells(ys: np.ndarray, height: int, max_gap: int = 4) -> list[list[int]]:
    """Dot bits per cell ([row][column], row 0 at the top) for one y per dot column.

    `ys` are fractions in [0, 1] (NaN: no point). A point is joined to the previous one
    with a vertical run so the line stays continuous, across up to `max_gap` empty dot
    columns (a scrape interval coarser than a column); longer gaps stay open."""
    columns = (len(ys) + 1) // 2
    cells = [[0] * columns for _ in range(height)]
    rows = 4 * height
    prev: tuple[int, int] | None = None          # (column, row) of the last point drawn
    for c, y in enumerate(ys):
        if not math.isfinite(y):
            continue
        r = int(round(min(max(y, 0.0), 1.0) * (rows - 1)))
        joined = prev is not None and c - prev[0] <= max_gap + 1
        lo, hi = (min(r, prev[1]), max(r, prev[1])) if joined else (r, r)
        for rr in range(lo, hi + 1):
            top = rows - 1 - rr
            cells[top // 4][c // 2] |= _DOTS[c % 2][top % 4]
        prev = (c, r)
    return cells


def render_chart(timestamps: np.ndarray, values: np.ndarray, t0: float, t1: float, width: int, height: int,
                 onset: float | None = None, styles: ChartStyles = ChartStyles(), unit: str = "") -> Text:
    """A line chart `width` x (`height` + 1) cells: y labels on the left (in `unit`, see
    aiops.analytics.units, when given), the onset as a vertical marker, and a time axis
    (start, ▲onset, end) on the last line."""
    v = np.asarray(values, dtype=float)
    finite = v[np.isfinite(v)]
    lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    name = (lambda x: format_quantity(x, unit)) if unit else compact_number
    top_label, bottom_label = name(hi), name(lo)
    gutter = max(len(top_label), len(bottom_label)) + 1
    plot_w = max(width - gutter, 4)
    means = column_means(timestamps, v, t0, t1, 2 * plot_w)
    ys = (means - lo) / (hi - lo) if hi > lo else np.where(np.isfinite(means), 0.5, np.nan)
    cells = braille_cells(ys, height)
    marker = None
    if onset is not None and t0 <= onset <= t1:
        marker = min(int((onset - t0) / max(t1 - t0, 1e-9) * plot_w), plot_w - 1)
    out = Text(no_wrap=True, overflow="crop")
    for row in range(height):
        label = top_label if row == 0 else bottom_label if row == height - 1 else ""
        out.append(label.rjust(gutter - 1) + " ", styles.axis)
        line = "".join(chr(0x2800 + bits) for bits in cells[row])
        if marker is None:
            out.append(line, styles.line)
        else:
            out.append(line[:marker], styles.line)
            bits = cells[row][marker]
            out.append(chr(0x2800 + bits) if bits else "│", styles.marker)
            out.append(line[marker + 1:], styles.line)
        out.append("\n")
    out.append(" " * gutter)
    out.append_text(_time_axis(t0, t1, plot_w, marker, onset, styles))
    return out


def _time_axis(t0: float, t1: float, width: int, marker: int | None, onset: float | None, styles: ChartStyles) -> Text:
    axis = [" "] * width
    spans: list[tuple[int, int]] = []

    def place(text: str, at: int) -> None:
        at = max(0, min(at, width - len(text)))
        if at < 0 or any(at < e + 1 and s < at + len(text) + 1 for s, e in spans):
            return
        axis[at:at + len(text)] = text
        spans.append((at, at + len(text)))

    onset_text = ""
    if marker is not None and onset is not None:
        onset_text = "▲" + clock(onset) + " onset"
        place(onset_text, marker)
    place(clock(t0), 0)
    end = clock(t1)
    place(end, width - len(end))
    text = Text("".join(axis), styles.axis)
    if onset_text:
        pos = "".join(axis).find(onset_text)
        if pos >= 0:
            text.stylize(styles.marker, pos, pos + len(onset_text))
    return text


def sparkline(counts: np.ndarray, width: int) -> str:
    """Counts resampled to `width` cells as block characters (blank where zero)."""
    c = np.asarray(counts, dtype=float)
    if len(c) == 0 or width <= 0:
        return ""
    edges = np.linspace(0, len(c), width + 1).astype(int)
    sums = np.array([c[a:max(b, a + 1)].sum() for a, b in zip(edges[:-1], edges[1:])])
    top = sums.max()
    if top <= 0:
        return " " * width
    levels = np.ceil(sums / top * len(_BLOCKS)).astype(int)
    return "".join(" " if n <= 0 else _BLOCKS[min(n, len(_BLOCKS)) - 1] for n in levels)
