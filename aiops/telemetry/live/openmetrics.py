"""A store's metric samples as OpenMetrics text, for `promtool tsdb create-blocks-from
openmetrics`: replay a bundle's metrics into a real Prometheus (tests, demos, drills).

Every series keeps its service, pod and labels; families are written contiguously with
`# TYPE <name> unknown` (counters stay raw counters), samples in time order, one value per
timestamp, missing samples left out, `# EOF` at the end.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, TextIO

_BAD_NAME = re.compile(r"[^a-zA-Z0-9_:]")
_BAD_LABEL = re.compile(r"[^a-zA-Z0-9_]")


def metric_name(name: str) -> str:
    out = _BAD_NAME.sub("_", name)
    return out if out and not out[0].isdigit() else "_" + out


def label_name(name: str) -> str:
    out = _BAD_LABEL.sub("_", name)
    out = out if out and not out[0].isdigit() else "_" + out
    return out if not out.startswith("__") else "x" + out


def escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(service: str, pod: str, labels_json: str) -> str:
    labels: dict[str, str] = {}
    for k, v in json.loads(labels_json or "{}").items():
        if v is not None and str(v) != "":
            labels[label_name(str(k))] = str(v)
    if service:
        labels["service"] = service
    if pod:
        labels["pod"] = pod
    return "{" + ",".join(f'{k}="{escape(v)}"' for k, v in sorted(labels.items())) + "}"


def write_openmetrics(store: Any, out: TextIO, start: float | None = None, end: float | None = None) -> int:
    """Write the store's metrics (optionally only [start, end]) as OpenMetrics; samples written."""
    where, params = "value IS NOT NULL AND isfinite(value)", {}
    if start is not None:
        where += " AND ts >= $start"
        params["start"] = float(start)
    if end is not None:
        where += " AND ts <= $end"
        params["end"] = float(end)
    n = 0
    family = None
    series_key = None
    last_ts = None
    with store.lock:
        cur = store.connection.execute(
            f"SELECT metric, service, pod, labels, ts, value FROM metrics WHERE {where} "
            "ORDER BY metric, service, pod, labels, ts", params)
        while rows := cur.fetchmany(50_000):
            lines = []
            for metric, service, pod, labels, ts, value in rows:
                name = metric_name(metric)
                if name != family:
                    lines.append(f"# TYPE {name} unknown")
                    family, series_key, last_ts = name, None, None
                key = (service, pod, labels)
                if key != series_key:
                    series_key, last_ts, label_text = key, None, _labels(service, pod, labels)
                stamp = round(float(ts), 3)
                if last_ts is not None and stamp <= last_ts:
                    continue            # one value per timestamp, strictly increasing
                last_ts = stamp
                lines.append(f"{name}{label_text} {_value(value)} {stamp:.3f}")
                n += 1
            out.write("\n".join(lines) + "\n" if lines else "")
    out.write("# EOF\n")
    return n


def _value(v: float) -> str:
    v = float(v)
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(v)
