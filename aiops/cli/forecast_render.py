"""Rendering of `aiops forecast`: a text summary with a terminal plot, CSV rows, a JSON document."""

from __future__ import annotations

import csv
import json
import math
from typing import IO


def _human(seconds: float) -> str:
    s = abs(seconds)
    if s < 120:
        return f"{seconds:.0f}s"
    if s < 7200:
        return f"{seconds / 60:.0f}m"
    if s < 172800:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


def _when(ts: float | None) -> str | None:
    from aiops.timeutil import to_rfc3339

    return None if ts is None else to_rfc3339(round(ts))


def _stamp(ts: float, numeric: bool) -> str:
    from aiops.timeutil import to_rfc3339

    if numeric:
        return f"{ts:.0f}" if float(ts).is_integer() else f"{ts:.3f}"
    return to_rfc3339(ts)


def write_forecast_csv(out: IO[str], fc: object, numeric_timestamps: bool) -> None:
    """timestamp,forecast,lower,upper — timestamps in the input's style (unix s or RFC 3339)."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["timestamp", "forecast", "lower", "upper"])
    for t, m, lo, hi in zip(fc.timestamps, fc.mean, fc.lower, fc.upper):
        writer.writerow([_stamp(t, numeric_timestamps), f"{m:.6g}", f"{lo:.6g}", f"{hi:.6g}"])


def _exhaustion_dict(ex: object) -> dict | None:
    if ex is None:
        return None
    finite = (lambda v: None if v is None or not math.isfinite(v) else v)
    return {
        "limit": finite(ex.limit),
        "direction": ex.direction,
        "status": ex.status,
        "current": finite(ex.current),
        "eta": _when(ex.eta),
        "eta_early": _when(ex.eta_early),
        "eta_late": _when(ex.eta_late),
        "eta_unix": ex.eta,
    }


def render_forecast_json(fc: object, ex: object, horizon_s: float) -> str:
    doc = {
        "method": fc.method,
        "season_points": fc.season_points,
        "step_s": fc.step,
        "horizon_s": horizon_s,
        "level": fc.level,
        "points": [
            {"timestamp": _when(t), "unix": float(t), "forecast": float(m), "lower": float(lo), "upper": float(hi)}
            for t, m, lo, hi in zip(fc.timestamps, fc.mean, fc.lower, fc.upper)
        ],
        "exhaustion": _exhaustion_dict(ex),
    }
    return json.dumps(doc, indent=2, allow_nan=False)


def render_forecast_text(fc: object, ex: object, horizon_s: float, name: str) -> str:
    last_t, last_y = float(fc.history_timestamps[-1]), float(fc.history[-1])
    lines = [
        f"{name}: {len(fc.history)} points every {_human(fc.step)}; {fc.method}",
        f"  now   {_when(last_t)}  {last_y:.6g}",
        f"  +{_human(horizon_s):<5} {_when(float(fc.timestamps[-1]))}  {fc.mean[-1]:.6g}"
        f"  [{fc.lower[-1]:.6g} .. {fc.upper[-1]:.6g}]  ({fc.level:.0%} interval)",
    ]
    limit = None
    if ex is not None:
        limit = ex.limit if math.isfinite(ex.limit) else None
        if ex.status == "no_limit":
            lines.append("  capacity: no limit given and none implied (use --capacity NUMBER)")
        elif ex.status == "already":
            lines.append(f"  capacity {ex.limit:.6g}: already reached (now {ex.current:.6g})")
        elif ex.status == "not_approaching":
            lines.append(f"  capacity {ex.limit:.6g}: not approaching it (now {ex.current:.6g})")
        elif ex.eta is None:
            lines.append(f"  capacity {ex.limit:.6g}: not reached within the projected span")
        else:
            early = _human(ex.eta_early - last_t) if ex.eta_early is not None else "?"
            late = _human(ex.eta_late - last_t) if ex.eta_late is not None else "later"
            tail = "" if ex.status == "reaches" else " (beyond the horizon)"
            lines.append(
                f"  capacity {ex.limit:.6g}: reached in ~{_human(ex.eta - last_t)} ({_when(ex.eta)}),"
                f" between {early} and {late}{tail}"
            )
    lines.append("")
    lines.extend(text_plot(fc, limit))
    return "\n".join(lines) + "\n"


def text_plot(fc: object, limit: float | None = None, width: int = 64, height: int = 12) -> list[str]:
    """A plain-text plot: history (•), forecast (━), interval band (░), limit (┄), now (│)."""
    import numpy as np

    ht, hy = np.asarray(fc.history_timestamps), np.asarray(fc.history)
    t_now, t_end = float(ht[-1]), float(fc.timestamps[-1])
    t_start = max(float(ht[0]), t_now - 3 * (t_end - t_now))
    keep = ht >= t_start
    ht, hy = ht[keep], hy[keep]
    ys = np.concatenate([hy, fc.lower, fc.upper])
    lo, hi = float(np.nanmin(ys)), float(np.nanmax(ys))
    if limit is not None and lo - (hi - lo) * 0.5 <= limit <= hi + (hi - lo) * 0.5:
        lo, hi = min(lo, limit), max(hi, limit)
    if hi - lo <= 0:
        lo, hi = lo - 1.0, hi + 1.0
    grid = [[" "] * width for _ in range(height)]

    def col(t: float) -> int:
        return min(width - 1, max(0, int((t - t_start) / max(t_end - t_start, 1e-9) * (width - 1))))

    def row(v: float) -> int:
        return min(height - 1, max(0, int(round((hi - v) / (hi - lo) * (height - 1)))))

    for t, a, b in zip(fc.timestamps, fc.upper, fc.lower):
        for r in range(row(a), row(b) + 1):
            grid[r][col(t)] = "░"
    if limit is not None and lo <= limit <= hi:
        r = row(limit)
        grid[r] = [c if c != " " else "┄" for c in grid[r]]
    c_now = col(t_now)
    for r in range(height):
        if grid[r][c_now] == " ":
            grid[r][c_now] = "│"
    for t, m in zip(fc.timestamps, fc.mean):
        grid[row(m)][col(t)] = "━"
    for t, v in zip(ht, hy):
        if np.isfinite(v):
            grid[row(v)][col(t)] = "•"
    labels = {0: hi, (height - 1) // 2: (hi + lo) / 2, height - 1: lo}
    out = [f"{labels[r]:>11.5g} ┤" + "".join(grid[r]) if r in labels else " " * 12 + "│" + "".join(grid[r]) for r in range(height)]
    out.append(" " * 12 + "└" + "─" * width)
    left, right = _when(t_start) or "", _when(t_end) or ""
    out.append(" " * 13 + left + " " * max(1, width - len(left) - len(right)) + right)
    return out
