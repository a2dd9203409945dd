"""Diagnosis accuracy on a freshly simulated corpus: top-1/3/5 by fault kind and s/case.

    python bench/bench_eval.py [--cases 60] [--seed 777001] [--keep DIR]

Equivalent to `aiops simulate --corpus DIR --cases N --seed S` then `aiops eval --corpus DIR`.
Goal (60 cases, seeds not used while developing): top-1 >= 90 %, top-3 >= 98 %.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=60)
    ap.add_argument("--seed", type=int, default=777001)
    ap.add_argument("--keep", type=Path, help="write the corpus here (kept) instead of a temporary directory")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = args.keep or Path(tmp) / "corpus"
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "aiops", "simulate", "--corpus", str(corpus), "--cases", str(args.cases),
                        "--seed", str(args.seed), "--force"], check=True, stdout=subprocess.DEVNULL)
        print(f"simulated {args.cases} cases (seed {args.seed}) in {time.perf_counter() - t0:.0f} s; "
              f"load average {os.getloadavg()[0]:.2f}", flush=True)
        subprocess.run([sys.executable, "-m", "aiops", "eval", "--corpus", str(corpus)], check=True)


if __name__ == "__main__":
    main()
