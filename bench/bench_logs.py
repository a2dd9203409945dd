"""Throughput of `aiops logs templates` on a synthetic log (prints figures; not a test).

    python bench/bench_logs.py [--lines 200000]

Prints lines/s (wall clock, and CPU time of this process where it applies: on a shared
machine the CPU figure is the stable one) for: header recognition + mining alone, the in-process command (read + mine + CSV out), and
the installed CLI run as a subprocess (includes interpreter start-up). Goal: >= 100k lines/s.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STATEMENTS = [
    "{ts} INFO user {user} logged in from {ip}",
    "{ts} INFO GET /api/v1/orders/{n} 200 {ms}ms",
    "{ts} WARN slow query took {sec}s on table orders rows={n}",
    "{ts} ERROR failed to connect to payment-{k}.svc:8080: connection refused",
    "{ts} DEBUG request id={hex} trace={uuid} done",
    '{ts} DEBUG cache hit key="session:{n}" size={k}',
    "{ts} INFO pod checkout-{hex6}-{pod} ready after {ms}ms restarts={k}",
    "{ts} ERROR java.lang.IllegalStateException: order {n} in state {state}",
]


def write_log(path: Path, lines: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as out:
        for i in range(lines):
            out.write(rng.choice(STATEMENTS).format(
                ts=f"2023-01-29T08:{i // 6000 % 60:02d}:{i // 100 % 60:02d}.{i % 1000:03d}Z",
                user=rng.choice(["alice", "bob", "carol", "dave"]), ip=f"10.0.{rng.randrange(256)}.{rng.randrange(256)}",
                n=rng.randrange(10**6), ms=rng.randrange(900), sec=f"{rng.random() * 5:.3f}", k=rng.randrange(9),
                hex=f"{rng.getrandbits(64):016x}", uuid="4bf92f35-77b3-4da6-a3ce-%012x" % rng.getrandbits(48),
                hex6=f"{rng.getrandbits(36):09x}", pod="".join(rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=5)),
                state=rng.choice(["NEW", "PAID", "SHIPPED"]),
            ) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=200_000)
    args = parser.parse_args()
    from aiops.analytics.logtemplates import LogTemplater
    from aiops.cli.logs import templates_command

    with tempfile.TemporaryDirectory() as tmp:
        log, out = Path(tmp) / "app.log", Path(tmp) / "out.csv"
        write_log(log, args.lines)
        size_mb = log.stat().st_size / 1e6
        print(f"input: {args.lines} lines, {size_mb:.1f} MB")

        lines = log.read_text(encoding="utf-8").splitlines()
        t, c = time.perf_counter(), time.process_time()
        templater = LogTemplater(lines[:400])
        for line in lines:
            templater.add(line)
        summary = templater.miner.templates()
        dt, dc = time.perf_counter() - t, time.process_time() - c
        print(f"header + mining only:  {args.lines / dt:10,.0f} lines/s wall, {args.lines / dc:10,.0f} lines/s CPU"
              f"  ({templater.miner.cluster_count} shapes, {len(summary)} templates)")

        t, c = time.perf_counter(), time.process_time()
        templates_command(input_path=str(log), fmt="csv", output=out, sim_threshold=0.5, top=20)
        dt, dc = time.perf_counter() - t, time.process_time() - c
        print(f"in-process command:    {args.lines / dt:10,.0f} lines/s wall, {args.lines / dc:10,.0f} lines/s CPU  (read + mine + CSV)")

        t = time.perf_counter()
        before = os.times()
        subprocess.run([sys.executable, "-m", "aiops", "logs", "templates", "--input", str(log), "--format", "csv",
                        "--output", str(out)], check=True)
        after = os.times()
        dt = time.perf_counter() - t
        dc = (after.children_user - before.children_user) + (after.children_system - before.children_system)
        print(f"CLI (subprocess):      {args.lines / dt:10,.0f} lines/s wall, {args.lines / dc:10,.0f} lines/s CPU"
              f"  ({dt:.2f} s wall incl. start-up)")
        rows = sum(1 for _ in open(out, encoding="utf-8")) - 1
        print(f"rows written: {rows} (expected {args.lines})")


if __name__ == "__main__":
    main()
