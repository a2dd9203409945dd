"""Loghub-2k grouping accuracy of `aiops logs templates` on raw lines (prints figures; not a test).

    python bench/bench_loghub.py [--data DIR] [--against PYTHON] [--systems HDFS,Linux,...]

For each system S, `DIR/S/S_2k.log` (raw lines, header included) goes through the CLI
exactly as an operator runs it (`python -m aiops logs templates --input ... --format csv`,
default settings: one configuration for every system), and the template ids are scored
against the `EventId` column of `S_2k.log_structured.csv`.

Grouping accuracy as Loghub defines it: a line is correct when the set of lines sharing
its predicted template equals the set of lines sharing its true event; the score is the
share of correct lines. Printed beside it, per system and as a mean:

- baseline "digits masked": lines equal once every digit run is replaced (no header
  recognition, no mining);
- baseline "one per line": every line its own template (correct only for events seen once);
- with `--against PYTHON`: the same CLI run by another interpreter (e.g. the main
  checkout's `.venv/bin/python`), run from a neutral directory so it imports its own aiops.

The data directory defaults to $LOGHUB_DIR or /work/data/loghub; systems whose files are
missing are skipped with a message.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

SYSTEMS = ("HDFS", "Hadoop", "Spark", "Zookeeper", "BGL", "HPC", "Thunderbird", "Linux")
_DIGITS = re.compile(r"\d+")


def grouping_accuracy(predicted: list[str], truth: list[str]) -> float:
    """Share of lines whose predicted group equals their true group (Loghub's definition)."""
    by_pred: dict[str, set[int]] = defaultdict(set)
    by_true: dict[str, set[int]] = defaultdict(set)
    for i, (p, t) in enumerate(zip(predicted, truth)):
        by_pred[p].add(i)
        by_true[t].add(i)
    correct = sum(1 for p, t in zip(predicted, truth) if by_pred[p] == by_true[t])
    return correct / max(len(truth), 1)


def cli_template_ids(python: str, log: Path, cwd: str) -> tuple[list[str], float]:
    """Template id per line from the CLI, and the CPU seconds it took."""
    env = dict(os.environ, LITELLM_LOCAL_MODEL_COST_MAP="True")
    before = os.times()
    out = subprocess.run([python, "-m", "aiops", "logs", "templates", "--input", str(log), "--format", "csv"],
                         capture_output=True, text=True, check=True, cwd=cwd, env=env).stdout
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return [row["template_id"] for row in csv.DictReader(io.StringIO(out))], cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=os.environ.get("LOGHUB_DIR", "/work/data/loghub"))
    parser.add_argument("--against", default="", help="another Python whose `-m aiops` to score too (e.g. main's venv)")
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    args = parser.parse_args()
    data = Path(args.data)
    here = str(Path(__file__).resolve().parents[1])
    neutral = tempfile.mkdtemp(prefix="bench-loghub-")
    rows = []
    for system in args.systems.split(","):
        log = data / system / f"{system}_2k.log"
        truth_file = data / system / f"{system}_2k.log_structured.csv"
        if not log.exists() or not truth_file.exists():
            print(f"{system}: skipped ({log} or its _structured.csv is missing)")
            continue
        with open(truth_file, encoding="utf-8", newline="") as fh:
            truth = [r["EventId"] for r in csv.DictReader(fh)]
        raw = log.read_text(encoding="utf-8", errors="replace").split("\n")[: len(truth)]
        ids, cpu = cli_template_ids(sys.executable, log, here)
        if len(ids) != len(truth):
            raise SystemExit(f"{system}: the CLI gave {len(ids)} rows for {len(truth)} labelled lines")
        row = {
            "system": system,
            "aiops": grouping_accuracy(ids, truth),
            "templates": len(set(ids)),
            "events": len(set(truth)),
            "digits masked": grouping_accuracy([_DIGITS.sub("0", line) for line in raw], truth),
            "one per line": grouping_accuracy([str(i) for i in range(len(truth))], truth),
            "cpu": cpu,
        }
        if args.against:
            row["against"] = grouping_accuracy(cli_template_ids(args.against, log, neutral)[0], truth)
        rows.append(row)
    if not rows:
        raise SystemExit(f"no Loghub systems found under {data} (set --data or LOGHUB_DIR)")
    cols = ["aiops"] + (["against"] if args.against else []) + ["digits masked", "one per line"]
    print(f"{'system':<12} " + " ".join(f"{c:>13}" for c in cols) + f" {'templates':>10} {'events':>7} {'CLI cpu s':>9}")
    for r in rows:
        print(f"{r['system']:<12} " + " ".join(f"{r[c]:13.3f}" for c in cols)
              + f" {r['templates']:10d} {r['events']:7d} {r['cpu']:9.2f}")
    mean = {c: sum(r[c] for r in rows) / len(rows) for c in cols}
    print(f"{'mean':<12} " + " ".join(f"{mean[c]:13.3f}" for c in cols))
    print(f"{'min':<12} " + " ".join(f"{min(r[c] for r in rows):13.3f}" for c in cols))
    print(f"goal: mean >= 0.92, none below 0.80 ({len(rows)} systems, raw lines, default settings; "
          f"{time.strftime('%Y-%m-%d')})")


if __name__ == "__main__":
    main()
