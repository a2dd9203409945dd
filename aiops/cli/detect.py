"""`aiops detect` and `aiops forecast`: analytics on one exported series CSV.

`detect` (the fixed contract for `timestamp,value` input): output CSV
`timestamp,value,score,anomaly`, one row per input row in input order, timestamp and value
echoed exactly as given, score in [0, 1], anomaly 0/1 from the default settings; causal
by default (each row judged only on the rows at or before it in time). A wide input
(`timestamp,<series1>,<series2>,...`, no `value` column) is scored jointly as one entity
and echoed as `timestamp,<series...>,score,anomaly`. `anomaly` marks the first row of each
anomalous episode (`--mark start`, what a monitor alerts on) or every row of it
(`--mark all`). `--format json` gives one document with the rows and the episodes.

`forecast`: a forecast with prediction intervals over `--horizon`, and with `--capacity`
the time until the series reaches it; text (with a terminal plot), csv or json.

numpy and the analytics are imported inside the commands (`aiops --help` stays fast).
"""

from __future__ import annotations

import csv
import json
import math
import sys
from pathlib import Path
from typing import Optional

import typer

from aiops.cli.series_csv import Output, SeriesTable, read_series_csv, read_table_csv
from aiops.errors import BadInputError
from aiops.writing import OutputFile

MARKS = ("start", "all")


def detect_command(
    input_path: Path = typer.Option(..., "--input", "-i", help="CSV with a header row: timestamp,value (one series) or timestamp,<series1>,<series2>,... (scored jointly)."),
    fmt: str = typer.Option("csv", "--format", "-f", help="csv (timestamp,value,score,anomaly) or json (rows and episodes)."),
    detector: str = typer.Option("adaptive", "--detector", "-d", help="adaptive, ensemble, seasonal_mad, level_shift, spike, ewma or holt."),
    threshold: Optional[float] = typer.Option(None, "--threshold", "-t", help="Score (0-1) from which an episode starts [default: analytics.anomaly_threshold = 0.9]."),
    mark: str = typer.Option("start", "--mark", "-m", help="Which rows get anomaly=1: start (the first row of each anomalous episode, an alert) or all (every row of it)."),
    columns: Optional[str] = typer.Option(None, "--columns", help="Comma-separated value columns of a wide CSV to score (default: all but timestamp)."),
    warmup: Optional[int] = typer.Option(None, "--warmup", help="Rows that only teach what is normal: no anomaly among them [default: analytics.warmup_points = 300]."),
    non_causal: bool = typer.Option(False, "--non-causal", help="Learn normal behaviour only from the first part (analytics.baseline_fraction) and judge every row against it."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to this file instead of standard output."),
) -> None:
    """Score every row of a series CSV for anomalies (score 0-1, anomaly 0/1)."""
    if fmt not in ("csv", "json"):
        raise BadInputError(f"--format {fmt!r}: use csv or json")
    if threshold is not None and not 0.0 < threshold < 1.0:
        raise BadInputError(f"--threshold {threshold!r}: must be between 0 and 1")
    if mark not in MARKS:
        raise BadInputError(f"--mark {mark!r}: use start or all")
    from aiops.cli.global_options import load_cli_settings

    if warmup is not None and not 10 <= warmup <= 1_000_000:
        raise BadInputError(f"--warmup {warmup!r}: must be from 10 to 1000000 rows")
    settings = load_cli_settings({"analytics.anomaly_threshold": threshold, "analytics.warmup_points": warmup})
    level = settings.analytics.anomaly_threshold
    wanted = [c for c in columns.split(",") if c.strip()] if columns else None
    table = read_table_csv(input_path, wanted)
    scores, flags, episodes = score_table(table, detector, level, not non_causal, settings.analytics.baseline_fraction, mark,
                                         warmup=settings.analytics.warmup_points)
    with Output(output) as out:
        if fmt == "csv":
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(["timestamp", *(table.names if table.wide else ["value"]), "score", "anomaly"])
            for raw_ts, raw, s, a in zip(table.raw_timestamps, table.raw_values, scores, flags):
                writer.writerow([raw_ts, *raw, f"{s:.6f}", a])
            return
        doc = {
            "input": str(input_path),
            "detector": detector,
            "threshold": level,
            "causal": not non_causal,
            "mark": mark,
            "warmup": settings.analytics.warmup_points,
            "columns": table.names if table.wide else ["value"],
            "rows": len(scores),
            "anomalies": int(sum(flags)),
            "episodes": episodes,
            "points": [_point(table, i, s, a) for i, (s, a) in enumerate(zip(scores, flags))],
        }
        json.dump(doc, out, indent=2, allow_nan=False)
        out.write("\n")


def _finite(v: float) -> float | None:
    return None if math.isnan(v) else v


def _point(table: SeriesTable, i: int, score: float, flag: int) -> dict:
    point: dict = {"timestamp": table.raw_timestamps[i]}
    if table.wide:
        point["values"] = {name: _finite(v) for name, v in zip(table.names, table.values[i])}
    else:
        point["value"] = _finite(table.values[i][0])
    point["score"] = round(float(score), 6)
    point["anomaly"] = int(flag)
    return point


def score_table(table: SeriesTable, detector: str, level: float, causal: bool, baseline_fraction: float,
                mark: str = "start", warmup: int = 300) -> tuple[list[float], list[int], list[dict]]:
    """Scores, 0/1 marks (input row order) and the episodes (time order) of a read table."""
    import numpy as np

    from aiops.analytics.detectors.alarms import detect_table
    from aiops.analytics.detectors.registry import detector_factory

    try:
        detector_factory(detector)
    except BadInputError as exc:
        raise BadInputError(f"--detector: {exc}") from None
    n = len(table.values)
    if n == 0:
        return [], [], []
    ts = np.asarray(table.timestamps, dtype=float)
    order = np.argsort(ts, kind="stable")
    x = np.asarray(table.values, dtype=float)[order].T
    t = ts[order]
    cut = float(t[0] + baseline_fraction * (t[-1] - t[0]))
    if not causal and np.searchsorted(t, cut, side="left") < 8:
        causal = True   # too short for a baseline: judge each row on the rows before it
    result = detect_table(x, t, detector=detector, level=level, causal=causal, baseline_end=cut, warmup=warmup)
    out_scores = np.empty(n)
    out_flags = np.empty(n, dtype=np.int64)
    out_scores[order] = result.score
    out_flags[order] = result.marks(mark)
    episodes = []
    for a, b, cols in result.episodes():
        episodes.append({
            "start": table.raw_timestamps[order[a]],
            "end": table.raw_timestamps[order[b]],
            "rows": b - a + 1,
            "columns": [table.names[c] if table.wide else "value" for c in cols],
            "peak_score": round(float(result.score[a : b + 1].max()), 6),
        })
    return out_scores.tolist(), out_flags.tolist(), episodes


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
    from aiops.cli.forecast_render import render_forecast_json, render_forecast_text, write_forecast_csv
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
    values = series.column(0)

    from aiops.analytics.forecast import forecast_series, time_to_exhaustion

    print(f"fitting a forecast for {input_path} ...", file=sys.stderr)
    try:
        fc = forecast_series(values, series.timestamps, horizon_s, method=method, level=level)
        ex = None
        if capacity is not None:
            ex = time_to_exhaustion(values, series.timestamps, capacity=limit, horizon=horizon_s, level=level)
    except ValueError as exc:
        raise BadInputError(f"{input_path}: {exc}") from None
    with Output(output) as out:
        if fmt == "csv":
            write_forecast_csv(out, fc, series.numeric_timestamps)
        elif fmt == "json":
            out.write(render_forecast_json(fc, ex, horizon_s) + "\n")
        else:
            out.write(render_forecast_text(fc, ex, horizon_s, str(input_path)))
