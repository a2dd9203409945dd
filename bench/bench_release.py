"""Post-release gate (`aiops report`) over simulated releases: false fails, detections, time.

Simulates N clean releases (ordinary noise: diurnal traffic, drift, warm-up of the new pods,
spikes and restarts elsewhere, a CronJob, an always-noisy service) and M releases with a
regression (latency, errors, crash loop, new caught exception, CPU), writes each as a
bundle, loads it and runs the gate as `aiops report` does (deploy time from the bundle's
deploy event, default [release] settings: 1 h baseline, 15 min after, previous days used
when present). The kind of each release is known here because this script made it; no
truth.toml is read.

Prints: false-fail rate over the clean releases (with a 95 % Wilson interval) and their
warn rate; detection rate (verdict fail) over the regressions, per kind; how often the
failing checks name the released service, and how often the diagnosis' top 3 does; wall
times. Usage:

    python bench/bench_release.py [--clean 50] [--regressions 25] [--seed 1] [--history-days 1]
                                  [--no-diagnose] [--verbose]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from aiops.config import load_settings
from aiops.release.data import deployed_at_from_events, load_release_bundle
from aiops.release.gate import check_release
from aiops.release.model import ReleaseRequest, ReleaseWindows
from aiops.simulator.release import release_corpus_plan, simulate_release, write_release
from aiops.timeutil import parse_duration


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def run_case(kind: str, regression: str | None, topology: str, seed: int, history_days: int, tmp: Path,
             settings) -> dict:
    t0 = time.perf_counter()
    sim = simulate_release(kind, seed, topology, regression, history_days)
    bundle = write_release(sim, tmp / f"r{seed}")
    t1 = time.perf_counter()
    loaded = load_release_bundle(bundle)
    t2 = time.perf_counter()
    cfg = settings.release
    deployed_at = deployed_at_from_events(loaded.store, sim.plan.version)
    windows = ReleaseWindows(deployed_at, parse_duration(cfg.baseline), parse_duration(cfg.after), cfg.history_days)
    report = check_release(loaded.store, ReleaseRequest(sim.plan.version, windows), settings)
    t3 = time.perf_counter()
    loaded.store.close()
    for p in sorted(bundle.rglob("*"), reverse=True):
        p.unlink() if p.is_file() else p.rmdir()
    bundle.rmdir()
    failing = report.by_status("fail")
    top3 = [rc.service for rc in report.diagnosis.root_causes[:3]] if report.diagnosis else []
    return {"kind": kind, "regression": regression or "", "topology": topology, "seed": seed,
            "service": sim.plan.service, "verdict": report.verdict,
            "failing": [f"{c.check}:{c.service}" for c in failing],
            "warning": [f"{c.check}:{c.service}" for c in report.by_status("warn")],
            "names_service": any(c.service == sim.plan.service for c in failing),
            "diag_top3": sim.plan.service in top3, "diagnosed": report.diagnosis is not None,
            "history_used": report.history_days_used, "t_sim": t1 - t0, "t_load": t2 - t1, "t_check": t3 - t2,
            "change": sim.change}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clean", type=int, default=50)
    ap.add_argument("--regressions", type=int, default=25)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--history-days", type=int, default=1)
    ap.add_argument("--no-diagnose", action="store_true")
    ap.add_argument("--verbose", "-v", action="store_true")
    args = ap.parse_args()
    overrides = {"release.diagnose_on_fail": False} if args.no_diagnose else {}
    settings = load_settings(None, overrides=overrides, env={})
    rows = []
    plan = release_corpus_plan(args.clean, args.regressions, args.seed)
    with tempfile.TemporaryDirectory(prefix="bench-release-") as tmp:
        for i, (kind, regression, topology, seed) in enumerate(plan):
            row = run_case(kind, regression, topology, seed, args.history_days, Path(tmp), settings)
            rows.append(row)
            if args.verbose or (row["kind"] == "clean" and row["verdict"] == "fail") or \
                    (row["kind"] == "regression" and row["verdict"] != "fail"):
                print(f"[{i + 1}/{len(plan)}] {kind:10} {row['regression']:10} {topology:11} seed {seed:10} "
                      f"{row['service']:22} -> {row['verdict']:4} fail={row['failing'][:4]} warn={row['warning'][:3]}"
                      f" {row['change']}", file=sys.stderr)
    clean = [r for r in rows if r["kind"] == "clean"]
    bad = [r for r in rows if r["kind"] == "regression"]
    ff = sum(r["verdict"] == "fail" for r in clean)
    lo, hi = wilson(ff, len(clean))
    print(f"releases: {len(clean)} clean + {len(bad)} with a regression (seed {args.seed}, "
          f"{args.history_days} previous day(s) of history, default [release] settings)")
    if clean:
        warns = sum(r["verdict"] == "warn" for r in clean)
        print(f"clean releases: false-fail rate {ff}/{len(clean)} = {ff / len(clean):.1%} "
              f"(95% CI {lo:.1%}..{hi:.1%}); warn {warns}/{len(clean)}; pass {len(clean) - ff - warns}/{len(clean)}")
        causes = Counter(c.split(":")[0] for r in clean if r["verdict"] == "fail" for c in r["failing"])
        if causes:
            print(f"  checks behind the false fails: {dict(causes)}")
    if bad:
        det = sum(r["verdict"] == "fail" for r in bad)
        named = sum(r["names_service"] for r in bad if r["verdict"] == "fail")
        print(f"regressions: detection rate (verdict fail) {det}/{len(bad)} = {det / len(bad):.1%}; "
              f"failing checks name the released service in {named}/{det}")
        per = defaultdict(list)
        for r in bad:
            per[r["regression"]].append(r["verdict"])
        print("  per kind: " + ", ".join(f"{k} {v.count('fail')}/{len(v)} (warn {v.count('warn')})"
                                          for k, v in sorted(per.items())))
        diagnosed = [r for r in bad if r["diagnosed"]]
        if diagnosed:
            top = sum(r["diag_top3"] for r in diagnosed)
            print(f"  diagnosis run on {len(diagnosed)} failed releases; released service in its top 3: "
                  f"{top}/{len(diagnosed)}")
    for key, name in (("t_sim", "simulate+write bundle"), ("t_load", "load bundle"), ("t_check", "gate (checks"
                      + ("" if args.no_diagnose else " + diagnosis on fail") + ")")):
        vals = [r[key] for r in rows]
        print(f"time {name}: p50 {statistics.median(vals):.2f} s, max {max(vals):.2f} s")


if __name__ == "__main__":
    main()
