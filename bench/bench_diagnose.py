"""Wall time of `aiops diagnose` on 15-minute train-ticket-like bundles (35 services, all signals).

Issue 3 goal: p50 <= 3 s. Prints in-process (pipeline only) and end-to-end CLI figures.
Usage: python bench/bench_diagnose.py [cases]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aiops.agent.events import Answer
from aiops.agent.pipeline import diagnose
from aiops.config import load_settings
from aiops.simulator import FAULT_KINDS
from aiops.simulator.bundle import simulate, write_incident


def main() -> None:
    cases = int(sys.argv[1]) if len(sys.argv) > 1 else 6
    settings = load_settings(None, env={})
    kinds = list(FAULT_KINDS)
    inproc, cli, services = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(cases):
            sim = simulate(kinds[i % len(kinds)], 5000 + i, "trainticket", duration_s=900, full_signals=True)
            bundle = write_incident(sim, Path(tmp) / f"b{i}")
            t0 = time.perf_counter()
            for event in diagnose(bundle, settings):
                if isinstance(event, Answer):
                    services.append(len(event.diagnosis.root_causes))
            inproc.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "aiops", "diagnose", "--bundle", str(bundle), "--format", "json"],
                           check=True, stdout=subprocess.DEVNULL)
            cli.append(time.perf_counter() - t0)
    print(f"bundles: {cases} x 15 min, train-ticket topology (35 services), metrics+logs+traces+events")
    print(f"diagnose in-process: p50 {statistics.median(inproc):.2f} s, max {max(inproc):.2f} s")
    print(f"aiops diagnose CLI (incl. interpreter start): p50 {statistics.median(cli):.2f} s, max {max(cli):.2f} s")


if __name__ == "__main__":
    main()
