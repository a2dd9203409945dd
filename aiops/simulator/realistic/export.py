"""Writing a realistic case: metrics with a histogram `le` label, and the files the plan keeps.

Logs, spans and events go through the classic writers (formats vary the same way); the
metrics writer here knows the per-case columns: `service` or only `pod`, a `le` column
when a latency histogram is exported, no pod at all for per-service cloud aggregates.
"""

from __future__ import annotations

import math
from pathlib import Path

from aiops.simulator import naming
from aiops.simulator.realistic.metrics import Sampled
from aiops.simulator.realistic.timeline import CasePlan
from aiops.simulator.writer import ExportOptions, write_file
from aiops.timeutil import to_rfc3339


def export_options(seed: int, plan: CasePlan) -> ExportOptions:
    rng = naming.stream(seed, "realistic:export")
    return ExportOptions(
        metrics=True, logs=plan.logs is not None, spans=plan.spans is not None, events=plan.events,
        logs_format=str(rng.choice(["csv", "jsonl", "files"], p=[0.45, 0.35, 0.2])),
        logs_time=str(rng.choice(["rfc3339", "unix_ns", "unix_s"], p=[0.5, 0.3, 0.2])),
        logs_service=rng.random() >= 0.15, logs_level=rng.random() >= 0.3,
        spans_format=str(rng.choice(["csv", "jsonl"], p=[0.6, 0.4])), spans_end=rng.random() < 0.25)


def write_metric_rows(path: Path, series: list[Sampled], namespace: str, plan: CasePlan, seed: int,
                      compress: bool) -> None:
    rng = naming.stream(seed, "realistic:export:metrics")
    pods = any(s.pod for s in series)
    histo = any(s.le for s in series)
    header = ["timestamp", "metric", "value"] + (["service"] if plan.service_column or not pods else []) + (
        ["pod", "namespace"] if pods else []) + (["le"] if histo else [])
    lines = [",".join(header)]
    for s in series:
        keep = rng.random(s.ts.size) >= plan.missing_rate
        ts, vals = s.ts[keep], s.values[keep]
        labels = ([s.service] if plan.service_column or not pods else []) + ([s.pod, namespace] if pods else []) + (
            [s.le] if histo else [])
        head = f",{_csv_field(s.metric)},"
        tail = "," + ",".join(_csv_field(x) for x in labels)
        stamps = ([to_rfc3339(round(float(t), 3)) for t in ts] if plan.metrics_rfc3339
                  else [f"{t:.3f}" if plan.scrape < 300 else f"{t:.0f}" for t in ts.tolist()])
        for t, v in zip(stamps, vals.tolist()):
            val = "%.10g" % v if math.isfinite(v) else ""
            lines.append(t + head + val + tail)
    write_file(path, "\n".join(lines) + "\n", compress)


def _csv_field(text: str) -> str:
    return f'"{text}"' if any(c in text for c in ',"\n') else text
