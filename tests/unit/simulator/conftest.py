"""Fixtures for simulator tests: one severe bundle per fault kind, read back with plain csv/json.

Bundles are read without aiops.telemetry (the loader is tested on its own): this is what a
user with `csv`, `json` and `gzip` would see.
"""

from __future__ import annotations

import csv
import functools
import gzip
import io
import json
import math
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest

from aiops.timeutil import parse_timestamp

# One bundle per fault kind: (topology, target, seed). Severe, every signal present.
CASES = {
    "cpu_saturation": ("webshop", "productcatalog", 11),
    "memory_leak": ("trainticket", "ts-order-service", 12),
    "latency_injection": ("webshop", "inventory", 13),
    "exception_burst": ("trainticket", "ts-basic-service", 14),
    "bad_deploy": ("webshop", "cart", 15),
    "dependency_down": ("trainticket", "ts-order-mongo", 16),
    "packet_loss": ("webshop", "auth", 17),
    "disk_full": ("webshop", "postgres", 18),
    "connection_pool_exhaustion": ("trainticket", "ts-station-service", 19),
    "crash_loop": ("webshop", "shipping", 20),
}

_POD_SUFFIX = re.compile(r"(-[bcdfghjklmnpqrstvwxz2456789]{6,10}-[bcdfghjklmnpqrstvwxz2456789]{5}|-\d+)$")


def service_of_pod(pod: str) -> str:
    return _POD_SUFFIX.sub("", pod)


def data_file(bundle: Path, name: str) -> Path | None:
    for p in (bundle / name, bundle / f"{name}.gz"):
        if p.exists():
            return p
    return None


def read_text(path: Path) -> str:
    raw = path.read_bytes()
    return gzip.decompress(raw).decode() if path.suffix == ".gz" else raw.decode()


def read_csv(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(read_text(path))))


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in read_text(path).splitlines() if line.strip()]


def read_toml(path: Path) -> dict:
    return tomllib.loads(path.read_text())


def timestamp(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return parse_timestamp(value)


@functools.lru_cache(maxsize=16)
def read_metrics(bundle: Path) -> list[dict]:
    rows = read_csv(data_file(bundle, "metrics.csv"))
    out = []
    for r in rows:
        v = r["value"]
        out.append({"ts": timestamp(r["timestamp"]), "metric": r["metric"],
                    "value": float(v) if v not in ("", "NaN") else math.nan,
                    "pod": r["pod"], "service": r.get("service") or service_of_pod(r["pod"])})
    return out


def unwrap(message: str) -> str:
    if message.startswith('{"log":'):
        return json.loads(message)["log"].rstrip("\n")
    return message


@functools.lru_cache(maxsize=16)
def read_logs(bundle: Path) -> list[dict]:
    """Every log record as {ts, service, pod, level, message} whatever format the bundle uses."""
    out = []
    csv_path, jsonl_path = data_file(bundle, "logs.csv"), data_file(bundle, "logs.jsonl")
    if csv_path or jsonl_path:
        rows = read_csv(csv_path) if csv_path else read_jsonl(jsonl_path)
        for r in rows:
            out.append({"ts": parse_timestamp(r["timestamp"]), "pod": r.get("pod", ""),
                        "service": r.get("service") or service_of_pod(r.get("pod", "")),
                        "level": r.get("level", ""), "message": unwrap(r["message"]),
                        "trace_id": r.get("trace_id", "")})
        return out
    for path in sorted((bundle / "logs").iterdir()):
        service = path.name.split(".log")[0]
        for line in read_text(path).splitlines():
            stamp, _, message = line.partition(" ")
            out.append({"ts": parse_timestamp(stamp), "pod": "", "service": service, "level": "",
                        "message": message, "trace_id": ""})
    return out


def read_spans(bundle: Path) -> list[dict]:
    path = data_file(bundle, "spans.csv")
    return read_csv(path) if path else read_jsonl(data_file(bundle, "spans.jsonl"))


_INDEX: dict[int, tuple[list, dict]] = {}


def _by_metric(rows: list[dict]) -> dict[str, list[dict]]:
    key = id(rows)
    if key not in _INDEX or _INDEX[key][0] is not rows:
        index: dict[str, list[dict]] = {}
        for r in rows:
            index.setdefault(r["metric"], []).append(r)
        _INDEX[key] = (rows, index)
    return _INDEX[key][1]


def series(rows: list[dict], metric: str, service: str | None = None, pod: str | None = None
           ) -> tuple[np.ndarray, np.ndarray]:
    sel = [(r["ts"], r["value"]) for r in _by_metric(rows).get(metric, ())
           if (service is None or r["service"] == service) and (pod is None or r["pod"] == pod)]
    sel.sort()
    arr = np.array(sel, dtype=float).reshape(-1, 2)
    return arr[:, 0], arr[:, 1]


def counter_rate(ts: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-second increase between samples, dropping counter resets (like PromQL rate)."""
    ok = np.isfinite(values)
    ts, values = ts[ok], values[ok]
    d, dt = np.diff(values), np.diff(ts)
    keep = (d >= 0) & (dt > 0)
    return ts[1:][keep], d[keep] / dt[keep]


def before_after(ts: np.ndarray, values: np.ndarray, onset: float, settle: float = 60.0
                 ) -> tuple[np.ndarray, np.ndarray]:
    ok = np.isfinite(values)
    return values[ok & (ts < onset)], values[ok & (ts >= onset + settle)]


def truth_of(bundle: Path) -> dict:
    return read_toml(bundle / "truth.toml")["root_cause"][0]


@pytest.fixture(scope="session")
def fault_bundles(tmp_path_factory) -> dict[str, Path]:
    from aiops.simulator import generate_bundle

    root = tmp_path_factory.mktemp("sim")
    return {kind: generate_bundle(kind, seed, root / kind, topology=topo, target=target, severity="severe",
                                  full_signals=True)
            for kind, (topo, target, seed) in CASES.items()}


class Reader:
    """The helpers above, handed to tests as a fixture (test modules cannot import conftest)."""

    data_file = staticmethod(data_file)
    read_text = staticmethod(read_text)
    read_csv = staticmethod(read_csv)
    read_jsonl = staticmethod(read_jsonl)
    read_toml = staticmethod(read_toml)
    read_metrics = staticmethod(read_metrics)
    read_logs = staticmethod(read_logs)
    read_spans = staticmethod(read_spans)
    series = staticmethod(series)
    counter_rate = staticmethod(counter_rate)
    before_after = staticmethod(before_after)
    truth_of = staticmethod(truth_of)
    service_of_pod = staticmethod(service_of_pod)
    unwrap = staticmethod(unwrap)


@pytest.fixture(scope="session")
def rd() -> type[Reader]:
    return Reader
