"""Trivial rankings on an evaluation corpus: what any diagnosis must beat.

    python bench/eval_baselines.py --corpus DIR [--json]

Per case (bundles with a truth.toml), four rankings of the services, each using the alert
time (`started_at`) as the only onset hint:

- random: expected top-k of a uniform ranking (k / services with data);
- metric shift: each series' |median after - median before| over the robust spread of the
  before part (counters - series that never decrease - as per-second increases), the
  service's largest;
- span-latency shift: the same on the durations of each service's spans;
- error logs: lines at error level or mentioning error/exception/fail, per service.

Printed overall and per truth tag. A stand-in until `aiops eval` prints its own baselines.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from aiops.evaluation.runner import find_cases
from aiops.evaluation.truth import read_truth
from aiops.telemetry.bundle import load_bundle

_ERROR = re.compile(r"error|exception|fail", re.IGNORECASE)


def _shift(ts: np.ndarray, v: np.ndarray, t0: float) -> float:
    ok = np.isfinite(v)
    ts, v = ts[ok], v[ok]
    if v.size >= 3 and np.all(np.diff(v) >= 0) and v[-1] > v[0]:
        dt = np.diff(ts)
        keep = dt > 0
        ts, v = ts[1:][keep], (np.diff(v)[keep] / dt[keep])
    before, after = v[ts < t0], v[ts >= t0]
    if before.size == 0 or after.size == 0:
        return 0.0
    med = float(np.median(before))
    spread = 1.4826 * float(np.median(np.abs(before - med))) + 0.05 * abs(med) + 1e-9
    return abs(float(np.median(after)) - med) / spread


def _rank(scores: dict[str, float], services: list[str]) -> list[str]:
    return sorted(services, key=lambda s: (-scores.get(s, -1.0), s))


def rankings(bundle: Path) -> tuple[dict[str, list[str]], int]:
    loaded = load_bundle(bundle)
    store, t0 = loaded.store, loaded.incident.started_at
    try:
        services = store.services()
        m = store.sql("SELECT service, metric, pod, labels, ts, value FROM metrics "
                      "ORDER BY service, metric, pod, labels, ts")
        metric: dict[str, float] = defaultdict(float)
        if len(m["ts"]):
            key = np.array([f"{a}\x00{b}\x00{c}\x00{d}" for a, b, c, d in
                            zip(m["service"], m["metric"], m["pod"], m["labels"])])
            cut = np.flatnonzero(key[1:] != key[:-1]) + 1
            vals = np.asarray(m["value"], dtype=float)
            for lo, hi in zip(np.r_[0, cut], np.r_[cut, len(key)]):
                svc = str(m["service"][lo])
                metric[svc] = max(metric[svc], _shift(m["ts"][lo:hi], vals[lo:hi], t0))
        s = store.sql("SELECT service, start, duration_us FROM spans ORDER BY service, start")
        span: dict[str, float] = {}
        for svc in set(s["service"].tolist()) if len(s["start"]) else ():
            sel = s["service"] == svc
            span[svc] = _shift(s["start"][sel], s["duration_us"][sel].astype(float), t0) if sel.sum() > 2 else 0.0
        lg = store.sql("SELECT service, level, message FROM logs")
        errors: dict[str, float] = defaultdict(float)
        for svc, level, msg in zip(lg["service"], lg["level"], lg["message"]) if len(lg["service"]) else ():
            if level in ("error", "fatal", "critical") or _ERROR.search(msg):
                errors[str(svc)] += 1
    finally:
        store.close()
    return {"metric shift": _rank(metric, services), "span-latency shift": _rank(span, services),
            "error logs": _rank(errors, services)}, len(services)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    hits: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for bundle in find_cases(args.corpus):
        truth = read_truth(bundle)
        assert truth is not None
        ranked, n = rankings(bundle)
        groups = ["all", *truth.tags, f"kind:{truth.kind}"]
        for g in groups:
            hits[g]["random top1"].append(1 / max(n, 1))
            hits[g]["random top3"].append(min(3, n) / max(n, 1))
            for name, order in ranked.items():
                pos = next((i for i, s in enumerate(order) if s in truth.services), None)
                hits[g][f"{name} top1"].append(float(pos is not None and pos < 1))
                hits[g][f"{name} top3"].append(float(pos is not None and pos < 3))
        print(f"{bundle.name}: done", file=sys.stderr)
    table = {g: {k: float(np.mean(v)) for k, v in cols.items()} | {"cases": len(cols["random top1"])}
             for g, cols in sorted(hits.items())}
    if args.json:
        print(json.dumps(table, indent=1))
        return
    names = ["random", "metric shift", "span-latency shift", "error logs"]
    print(f"{'group':28} {'cases':>5}  " + "  ".join(f"{n:>18}" for n in names) + "   (top-1 / top-3)")
    for g, row in table.items():
        cells = "  ".join(f"{row[n + ' top1']:8.1%} / {row[n + ' top3']:6.1%}" for n in names)
        print(f"{g:28} {row['cases']:5d}  {cells}")


if __name__ == "__main__":
    main()
