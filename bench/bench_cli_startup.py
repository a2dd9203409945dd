"""Cold wall time of `aiops --help` (goal: median <= 0.3 s).

Usage: python bench/bench_cli_startup.py [runs]
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    exe = shutil.which("aiops") or str(__import__("pathlib").Path(sys.executable).parent / "aiops")
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([exe, "--help"], check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    print(f"aiops --help: median {statistics.median(times) * 1000:.0f} ms, "
          f"min {min(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms over {runs} runs")


if __name__ == "__main__":
    main()
