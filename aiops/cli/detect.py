"""`aiops detect` and `aiops forecast`: analytics on one exported `timestamp,value` CSV.

`detect` (the fixed contract): output CSV `timestamp,value,score,anomaly`, one row per
input row in input order, timestamp and value echoed exactly as given, score in [0, 1],
anomaly 0/1 from the default threshold; causal by default (each row judged only on the
rows at or before it in time). `--format json` gives one document with the same rows.

`forecast`: a forecast with prediction intervals over `--horizon`, and with `--capacity`
the time until the series reaches it; text (with a terminal plot), csv or json.

numpy and the analytics are imported inside the commands (`aiops --help` stays fast).
"""

from __future__ import annotations

import csv
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Optional

import typer

from aiops.errors import BadInputError
from aiops.writing import OutputFile

_MISSING = {"", "nan", "na", "n/a", "null", "none"}


@dataclass
class SeriesFile:
    path: Path
    raw_timestamps: list[str]
    raw_values: list[str]
    timestamps: list[float]
    values: list[float]

    @property
    def numeric_timestamps(self) -> bool:
        return all(_is_number(t) for t in self.raw_timestamps[:50])


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_series_csv(path: Path) -> SeriesFile:
    """Read a `timestamp,value` CSV (other columns ignored); BadInputError names file + line."""
    from aiops.timeutil import parse_timestamp

    if not path.is_file():
        raise BadInputError(f"{path}: no such file")
    out = SeriesFile(path, [], [], [], [])
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                raise BadInputError(f"{path}: empty file; expected a header row 'timestamp,value'")
            names = [h.strip().lower() for h in header]
            for column in ("timestamp", "value"):
                if column not in names:
                    raise BadInputError(f"{path}: line 1: missing column {column!r} (header: {','.join(header)})")
            i_ts, i_val = names.index("timestamp"), names.index("value")
            for row in reader:
                if not row or all(not cell.strip() for cell in row):
                    continue   # a blank line is not a row
                line = reader.line_num
                raw_ts = row[i_ts] if i_ts < len(row) else ""
                raw_val = row[i_val] if i_val < len(row) else ""
                try:
                    ts = parse_timestamp(raw_ts)
                except ValueError:
                    raise BadInputError(f"{path}: line {line}: bad timestamp {raw_ts!r}") from None
                text = raw_val.strip()
                if text.lower() in _MISSING:
                    value = math.nan
                else:
                    try:
                        value = float(text)
                    except ValueError:
                        raise BadInputError(f"{path}: line {line}: value {raw_val!r} is not a number") from None
                out.raw_timestamps.append(raw_ts)
                out.raw_values.append(raw_val)
                out.timestamps.append(ts)
                out.values.append(value)
    except UnicodeDecodeError as exc:
        raise BadInputError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except csv.Error as exc:
        raise BadInputError(f"{path}: line {reader.line_num}: {exc}") from None
    except OSError as exc:
        raise BadInputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return out


class _Output(OutputFile):
    """Standard output, or --output FILE (aiops.writing: replaced atomically, a device or link
    written through, a full disk a one-line WriteError naming the file)."""

    def __init__(self, path: Optional[Path]) -> None:
        super().__init__(path, "--output")


def detect_command(
    input_path: Path = typer.Option(..., "--input", "-i", help="CSV with a header row and columns timestamp,value."),
    fmt: str = typer.Option("csv", "--format", "-f", help="csv (timestamp,value,score,anomaly) or json."),
    detector: str = typer.Option("ensemble", "--detector", "-d", help="ensemble, seasonal_mad, level_shift, spike, ewma or holt."),
    threshold: Optional[float] = typer.Option(None, "--threshold", "-t", help="Score (0-1) from which a row is an anomaly [default: analytics.anomaly_threshold = 0.9]."),
    non_causal: bool = typer.Option(False, "--non-causal", help="Judge all rows against a baseline fitted on the first part (analytics.baseline_fraction) instead of only earlier rows."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to this file instead of standard output."),
) -> None:
    """Score every row of a timestamp,value CSV for anomalies (score 0-1, anomaly 0/1)."""
    if fmt not in ("csv", "json"):
        raise BadInputError(f"--format {fmt!r}: use csv or json")
    if threshold is not None and not 0.0 < threshold < 1.0:
        raise BadInputError(f"--threshold {threshold!r}: must be between 0 and 1")
    from aiops.cli import load_cli_settings

    settings = load_cli_settings({"analytics.anomaly_threshold": threshold})
    level = settings.analytics.anomaly_threshold
    series = read_series_csv(input_path)
    scores, flags = score_series(series, detector, level, not non_causal, settings.analytics.baseline_fraction)
    with _Output(output) as out:
        if fmt == "csv":
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(["timestamp", "value", "score", "anomaly"])
            for raw_ts, raw_val, s, a in zip(series.raw_timestamps, series.raw_values, scores, flags):
                writer.writerow([raw_ts, raw_val, f"{s:.6f}", int(a)])
        else:
            doc = {
                "input": str(input_path),
                "detector": detector,
                "threshold": level,
                "causal": not non_causal,
                "rows": len(scores),
                "anomalies": int(sum(int(a) for a in flags)),
                "points": [
                    {"timestamp": raw_ts, "value": None if math.isnan(v) else v, "score": round(float(s), 6), "anomaly": int(a)}
                    for raw_ts, v, s, a in zip(series.raw_timestamps, series.values, scores, flags)
                ],
            }
            json.dump(doc, out, indent=2, allow_nan=False)
            out.write("\n")


def score_series(series: SeriesFile, detector: str, level: float, causal: bool, baseline_fraction: float) -> tuple[list[float], list[int]]:
    """Calibrated scores and 0/1 decisions, in input row order."""
    import numpy as np

    from aiops.analytics.detectors import Threshold, calibrated_scores, get_detector

    try:
        det = get_detector(detector)
    except BadInputError as exc:
        raise BadInputError(f"--detector: {exc}") from None
    n = len(series.values)
    if n == 0:
        return [], []
    ts = np.asarray(series.timestamps, dtype=float)
    order = np.argsort(ts, kind="stable")
    x = np.asarray(series.values, dtype=float)[order]
    t = ts[order]
    cut = float(t[0] + baseline_fraction * (t[-1] - t[0]))
    if not causal and np.searchsorted(t, cut, side="left") < 8:
        causal = True   # too short for a baseline: judge each row on the rows before it
    scores = calibrated_scores(det, x, t, causal=causal, baseline_end=cut)
    flags = Threshold(level).apply(scores, causal=causal)
    out_scores = np.empty(n)
    out_flags = np.empty(n, dtype=np.int8)
    out_scores[order] = scores
    out_flags[order] = flags
    return out_scores.tolist(), out_flags.tolist()


def forecast_command(
    input_path: Path = typer.Option(..., "--input", "-i", help="CSV with a header row and columns timestamp,value."),
    horizon: str = typer.Option("2h", "--horizon", "-H", help="How far ahead to forecast: 90m, 2h, 1d ..."),
    capacity: Optional[str] = typer.Option(None, "--capacity", help="A limit (number) to project the time to exhaustion against, or 'auto' (1.0 for a rising ratio, 0 for a falling quantity)."),
    fmt: str = typer.Option("text", "--format", "-f", help="text (summary and plot), csv (timestamp,forecast,lower,upper) or json."),
    method: str = typer.Option("auto", "--method", help="auto (ETS by AIC), ses, holt, damped or arima."),
    level: float = typer.Option(0.95, "--level", help="Coverage of the prediction interval (0-1)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to this file instead of standard output."),
) -> None:
    """Forecast a timestamp,value CSV with prediction intervals (and time to exhaustion)."""
    from aiops.timeutil import parse_duration

    if fmt not in ("text", "csv", "json"):
        raise BadInputError(f"--format {fmt!r}: use text, csv or json")
    try:
        horizon_s = parse_duration(horizon)
    except ValueError as exc:
        raise BadInputError(f"--horizon: {exc}") from None
    if horizon_s <= 0:
        raise BadInputError(f"--horizon {horizon!r}: must be > 0")
    if not 0.0 < level < 1.0:
        raise BadInputError(f"--level {level!r}: must be between 0 and 1")
    limit: float | None = None
    if capacity is not None and capacity.strip().lower() != "auto":
        try:
            limit = float(capacity)
        except ValueError:
            raise BadInputError(f"--capacity {capacity!r}: use a number or 'auto'") from None
    series = read_series_csv(input_path)

    from aiops.analytics.forecast import forecast_series, time_to_exhaustion

    print(f"fitting a forecast for {input_path} ...", file=sys.stderr)
    try:
        fc = forecast_series(series.values, series.timestamps, horizon_s, method=method, level=level)
        ex = None
        if capacity is not None:
            ex = time_to_exhaustion(series.values, series.timestamps, capacity=limit, horizon=horizon_s, level=level)
    except ValueError as exc:
        raise BadInputError(f"{input_path}: {exc}") from None
    with _Output(output) as out:
        if fmt == "csv":
            write_forecast_csv(out, fc, series.numeric_timestamps)
        elif fmt == "json":
            out.write(render_forecast_json(fc, ex, horizon_s) + "\n")
        else:
            out.write(render_forecast_text(fc, ex, horizon_s, str(input_path)))


# ---- forecast rendering ------------------------------------------------------------------


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
