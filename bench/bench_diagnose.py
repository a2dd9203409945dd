"""Wall time of `aiops diagnose` on 15-minute bundles of >= 40 services (all signals).

Goal: p50 <= 3 s for a 40-service, 15-minute bundle. The train-ticket-like topology
has 35 services; to reach 40, the metrics and logs of a few services are cloned under new
names (`<service>-copy`), so the metric scan and log mining see 40 services' worth of data
(spans are left as simulated). Prints in-process (pipeline only) and end-to-end CLI figures.

Usage: python bench/bench_diagnose.py [cases] [--services 40]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aiops.agent.events import Answer
from aiops.agent.session import diagnose
from aiops.config import load_settings
from aiops.simulator import FAULT_KINDS
from aiops.simulator.bundle import simulate, write_incident


def _rename(row: dict, names: dict[str, str]) -> dict | None:
    """A copy of a metric/log row of one of `names`' services under the new name, else None."""
    svc = row.get("service") or ""
    pod = row.get("pod") or ""
    old = svc if svc in names else next((s for s in names if pod.startswith(s + "-") or pod == s), None)
    if old is None:
        return None
    new = dict(row)
    if svc:
        new["service"] = names[old]
    if pod:
        new["pod"] = names[old] + pod[len(old):]
    return new


def widen(bundle: Path, target: int) -> int:
    """Clone services' metrics and logs until the bundle has `target` services; return the count."""
    with (bundle / "metrics.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    fields = list(rows[0])
    services = sorted({r.get("service") or r["pod"].rsplit("-", 2)[0] for r in rows})
    extra = {s: f"{s}-copy" for s in [s for s in services if not s.endswith("-copy")][: max(0, target - len(services))]}
    if not extra:
        return len(services)
    clones = [c for c in (_rename(r, extra) for r in rows) if c is not None]
    with (bundle / "metrics.csv").open("a", newline="") as fh:
        csv.DictWriter(fh, fieldnames=fields, lineterminator="\n").writerows(clones)
    if (bundle / "logs.csv").exists():
        with (bundle / "logs.csv").open(newline="") as fh:
            logs = list(csv.DictReader(fh))
        with (bundle / "logs.csv").open("a", newline="") as fh:
            csv.DictWriter(fh, fieldnames=list(logs[0]), lineterminator="\n").writerows(c for c in (_rename(r, extra) for r in logs) if c)
    elif (bundle / "logs.jsonl").exists():
        lines = [json.loads(x) for x in (bundle / "logs.jsonl").read_text().splitlines() if x.strip()]
        with (bundle / "logs.jsonl").open("a") as fh:
            fh.writelines(json.dumps(c) + "\n" for c in (_rename(r, extra) for r in lines) if c)
    elif (bundle / "logs").is_dir():
        for old, new in extra.items():
            if (bundle / "logs" / f"{old}.log").exists():
                shutil.copy(bundle / "logs" / f"{old}.log", bundle / "logs" / f"{new}.log")
    return len(services) + len(extra)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cases", nargs="?", type=int, default=6)
    ap.add_argument("--services", type=int, default=40)
    args = ap.parse_args()
    settings = load_settings(None, env={})
    kinds = list(FAULT_KINDS)
    inproc, cli, sizes = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.cases):
            sim = simulate(kinds[i % len(kinds)], 5000 + i, "trainticket", duration_s=900, full_signals=True)
            bundle = write_incident(sim, Path(tmp) / f"b{i}")
            sizes.append(widen(bundle, args.services))
            t0 = time.perf_counter()
            for event in diagnose(bundle, settings):
                if isinstance(event, Answer):
                    assert event.diagnosis.root_causes
            inproc.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "aiops", "diagnose", "--bundle", str(bundle), "--format", "json"],
                           check=True, stdout=subprocess.DEVNULL)
            cli.append(time.perf_counter() - t0)
    print(f"bundles: {args.cases} x 15 min, train-ticket topology widened to {min(sizes)}-{max(sizes)} services, "
          f"metrics+logs+traces+events; load average {os.getloadavg()[0]:.2f}")
    print(f"diagnose in-process: p50 {statistics.median(inproc):.2f} s, max {max(inproc):.2f} s")
    print(f"aiops diagnose CLI (incl. interpreter start): p50 {statistics.median(cli):.2f} s, max {max(cli):.2f} s")


if __name__ == "__main__":
    main()
