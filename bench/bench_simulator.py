"""How fast the simulator writes bundles and how big they are.

    python bench/bench_simulator.py [--kinds memory_leak,crash_loop] [--seeds 3]
    python bench/bench_simulator.py --profile realistic [--seeds 2]

Prints, per topology (per style for the realistic profile): CPU seconds to simulate and to
write, plain and gzip sizes, and the number of metric samples, log lines and spans (means over
the seeds and kinds run).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from aiops.simulator import FAULT_KINDS, TOPOLOGY_NAMES, simulate, write_incident
from aiops.simulator.realistic import REALISTIC_KINDS, STYLES, simulate_realistic, write_realistic


def _size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kinds", default=",".join(FAULT_KINDS))
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--profile", choices=["classic", "realistic"], default="classic")
    args = ap.parse_args()
    if args.profile == "realistic":
        _realistic(args.seeds)
        return
    kinds = [k for k in args.kinds.split(",") if k]
    print(f"{'topology':12} {'sim cpu s':>9} {'write s':>8} {'plain MB':>9} {'gzip MB':>8} "
          f"{'samples':>8} {'logs':>6} {'spans':>6}   (mean of {len(kinds) * args.seeds} bundles)")
    with tempfile.TemporaryDirectory() as tmp:
        for topo in TOPOLOGY_NAMES:
            acc = dict(sim=0.0, write=0.0, plain=0, gz=0, samples=0, logs=0, spans=0)
            n = 0
            for kind in kinds:
                for seed in range(args.seeds):
                    c0 = time.process_time()
                    sim = simulate(kind, seed, topo, full_signals=True)
                    c1 = time.process_time()
                    plain = write_incident(sim, Path(tmp) / f"{topo}-{kind}-{seed}")
                    c2 = time.process_time()
                    gz = write_incident(sim, Path(tmp) / f"{topo}-{kind}-{seed}-gz", compress=True)
                    acc["sim"] += c1 - c0
                    acc["write"] += c2 - c1
                    acc["plain"] += _size(plain)
                    acc["gz"] += _size(gz)
                    acc["samples"] += sum(s.ts.size for s in sim.series)
                    acc["logs"] += len(sim.logs)
                    acc["spans"] += len(sim.spans)
                    n += 1
            m = {k: v / n for k, v in acc.items()}
            print(f"{topo:12} {m['sim']:9.2f} {m['write']:8.2f} {m['plain'] / 1e6:9.2f} {m['gz'] / 1e6:8.2f} "
                  f"{m['samples']:8.0f} {m['logs']:6.0f} {m['spans']:6.0f}")


def _realistic(seeds: int) -> None:
    print(f"{'style':14} {'sim cpu s':>9} {'write s':>8} {'plain MB':>9} {'gzip MB':>8} "
          f"{'samples':>8} {'logs':>6} {'spans':>6}   (mean of {len(REALISTIC_KINDS) * seeds} bundles)")
    with tempfile.TemporaryDirectory() as tmp:
        for style in STYLES:
            acc = dict(sim=0.0, write=0.0, plain=0, gz=0, samples=0, logs=0, spans=0)
            n = 0
            for kind in REALISTIC_KINDS:
                for seed in range(seeds):
                    c0 = time.process_time()
                    sim = simulate_realistic(kind, seed, style)
                    c1 = time.process_time()
                    plain = write_realistic(sim, Path(tmp) / f"{style}-{kind}-{seed}")
                    c2 = time.process_time()
                    gz = write_realistic(sim, Path(tmp) / f"{style}-{kind}-{seed}-gz", compress=True)
                    acc["sim"] += c1 - c0
                    acc["write"] += c2 - c1
                    acc["plain"] += _size(plain)
                    acc["gz"] += _size(gz)
                    acc["samples"] += sum(s.ts.size for s in sim.metrics)
                    acc["logs"] += len(sim.logs)
                    acc["spans"] += len(sim.spans)
                    n += 1
            m = {k: v / n for k, v in acc.items()}
            print(f"{style:14} {m['sim']:9.2f} {m['write']:8.2f} {m['plain'] / 1e6:9.2f} {m['gz'] / 1e6:8.2f} "
                  f"{m['samples']:8.0f} {m['logs']:6.0f} {m['spans']:6.0f}")


if __name__ == "__main__":
    main()
