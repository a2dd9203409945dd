"""SKAB through `aiops detect`: its leaderboard's outlier and changepoint metrics, with baselines.

    python bench/bench_skab.py [--data /work/data/skab/data] [--subprocess] [--per-file]

SKAB (waico/SKAB, v0.9): 34 runs of an industrial water-pump rig, 8 sensors at 1 Hz, one
labelled anomalous episode per run (plus an anomaly-free run that the leaderboard does not
use). The leaderboard's protocol (its core/utils.py and core/metrics.py): each run is split
without shuffling into its first 400 rows (train) and the rest (test); only test rows are
scored.

* outlier detection: binary labels per row over all test rows together —
  F1 = TP / (TP + (FN + FP) / 2), FAR = FP / (FP + TN), MAR = FN / (FN + TP);
  our decision is `aiops detect --mark all` (every row of an anomalous episode);
* changepoint detection: NAB-like score and average detection delay over the changepoint
  column with 60 s windows to the right of each changepoint; the leaderboard turns outlier
  predictions into changepoints as the edges of the predicted episodes, and so do we
  ("state edges"); `--mark start` (only the first row of each episode) is shown too.

Every run goes through the CLI's code path (`read_table_csv` + `score_table`, or the real
`aiops detect` executable with --subprocess) on a wide CSV `timestamp,<8 sensors>`, causal,
with the default settings: each row is judged only on the rows before it (the train rows
are simply the first history). One configuration for all runs.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from alarm_scoring import NabTally, skab_average_delay, skab_binary, skab_changepoint_nab  # noqa: E402

TRAIN_ROWS = 400
LEADERBOARD = [   # (algorithm, F1, FAR %, MAR %) as published in SKAB's README
    ("Conv-AE", 0.78, 13.55, 28.02), ("MSET", 0.78, 39.73, 14.13), ("T-squared+Q (PCA)", 0.76, 26.62, 24.92),
    ("LSTM-AE", 0.74, 29.96, 25.92), ("T-squared", 0.66, 19.21, 42.6), ("Isolation forest", 0.29, 2.56, 82.89),
]


def load_runs(root: Path) -> list[tuple[str, list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """(name, sensor names, unix seconds [T], values [T, 8], anomaly [T], changepoint [T]) per run."""
    runs = []
    for path in sorted(root.glob("*/*.csv")):
        if "anomaly-free" in str(path):
            continue
        with path.open(encoding="utf-8") as fh:
            rows = list(csv.reader(fh, delimiter=";"))
        head, body = rows[0], [r for r in rows[1:] if r]
        ts = np.array([np.datetime64(r[0].replace(" ", "T"), "s").astype(np.int64) for r in body], dtype=float)
        vals = np.array([[float(c) for c in r[1:-2]] for r in body])
        runs.append((f"{path.parent.name}/{path.name}", head[1:-2], ts, vals,
                     np.array([int(float(r[-2])) for r in body]), np.array([int(float(r[-1])) for r in body])))
    return runs


def write_wide(path: Path, names: list[str], ts: np.ndarray, vals: np.ndarray) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["timestamp", *names])
        for t, row in zip(ts, vals):
            w.writerow([f"{t:.0f}", *(repr(float(v)) for v in row)])


def detect_in_process(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from aiops.cli.detect import score_table
    from aiops.cli.series_csv import read_table_csv
    from aiops.config import load_settings

    a = load_settings(None).analytics
    table = read_table_csv(path)
    scores, state, _ = score_table(table, "adaptive", a.anomaly_threshold, True, a.baseline_fraction, mark="all")
    _, start, _ = score_table(table, "adaptive", a.anomaly_threshold, True, a.baseline_fraction, mark="start")
    return np.array(scores), np.array(state), np.array(start)


def detect_subprocess(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    out = {}
    for mark in ("all", "start"):
        res = subprocess.run(["aiops", "detect", "--input", str(path), "--mark", mark],
                             capture_output=True, text=True, check=True)
        rows = list(csv.DictReader(res.stdout.splitlines()))
        out[mark] = (np.array([float(r["score"]) for r in rows]), np.array([int(r["anomaly"]) for r in rows]))
    return out["all"][0], out["all"][1], out["start"][1]


def edges(flags: np.ndarray) -> np.ndarray:
    """Changepoints of a 0/1 series as the leaderboard derives them: |diff|, first row = first value."""
    f = np.asarray(flags, dtype=int)
    return np.abs(np.diff(f, prepend=0))


# ---- trivial baselines -------------------------------------------------------------------


def hotelling_t2(vals: np.ndarray) -> np.ndarray:
    """Per-run Hotelling T^2 fitted on the train rows; alarm above its 99.9 % F-distribution limit."""
    from scipy.stats import f as f_dist

    train = vals[:TRAIN_ROWS]
    mu, sd = train.mean(axis=0), train.std(axis=0)
    sd[sd == 0] = 1.0
    z = (vals - mu) / sd
    cov = np.cov(z[:TRAIN_ROWS].T)
    inv = np.linalg.pinv(cov)
    t2 = np.einsum("ij,jk,ik->i", z, inv, z)
    m, n = vals.shape[1], TRAIN_ROWS
    ucl = m * (n - 1) * (n + 1) / (n * (n - m)) * f_dist.ppf(0.999, m, n - m)
    return (t2 > ucl).astype(int)


def previous_default(vals: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """`aiops detect` before the adaptive detector, per sensor (it read one series): causal
    ensemble, every row scoring >= 0.9; a row is anomalous when any sensor's is."""
    from aiops.analytics.detectors import Threshold, calibrated_scores

    flags = Threshold(0.9).apply(calibrated_scores("ensemble", vals.T, ts, causal=True), causal=True)
    return flags.any(axis=0).astype(int)


def report(label: str, runs, preds: list[np.ndarray], starts: list[np.ndarray] | None = None) -> None:
    f1, far, mar = skab_binary([r[4][TRAIN_ROWS:] for r in runs], [p[TRAIN_ROWS:] for p in preds])
    cp = [(r[2][TRAIN_ROWS:], r[5][TRAIN_ROWS:], edges(p)[TRAIN_ROWS:]) for r, p in zip(runs, preds)]
    nab = skab_changepoint_nab(cp)
    delay, missed, false, total = skab_average_delay(cp)
    print(f"{label:34s} {f1:5.2f} {far:7.2f} {mar:7.2f} | {nab['standard']:7.2f} {nab['low_fp']:7.2f} {nab['low_fn']:7.2f}"
          f" {delay:6.1f} {missed:4d}/{total} {false:5d}")
    if starts is not None:
        cp = [(r[2][TRAIN_ROWS:], r[5][TRAIN_ROWS:], s[TRAIN_ROWS:]) for r, s in zip(runs, starts)]
        nab = skab_changepoint_nab(cp)
        delay, missed, false, total = skab_average_delay(cp)
        print(f"{'  changepoints = --mark start':34s} {'':5s} {'':7s} {'':7s} | {nab['standard']:7.2f} {nab['low_fp']:7.2f}"
              f" {nab['low_fn']:7.2f} {delay:6.1f} {missed:4d}/{total} {false:5d}")
        tally = NabTally()
        for r, s in zip(runs, starts):
            tally.add(s, list(np.flatnonzero(np.diff(r[4], prepend=0) == 1)))
        print(f"  episode alerts (NAB-style windows of 10 % centred on each anomaly start): score {tally.normalised():.1f}"
              f" (low FP {tally.normalised('low_fp'):.1f}), {tally.hits}/{tally.windows} caught, {tally.false_alarms} false alarms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("AIOPS_SKAB_DIR", "/work/data/skab/data"))
    ap.add_argument("--subprocess", action="store_true", help="run the installed `aiops detect` executable per run")
    ap.add_argument("--per-file", action="store_true", help="print TP/FP/FN and alerts per run")
    args = ap.parse_args()
    root = Path(args.data)
    if not root.is_dir():
        print(f"SKAB data not found at {root} (set --data or AIOPS_SKAB_DIR); skipping")
        return
    runs = load_runs(root)
    print(f"{len(runs)} SKAB runs, {sum(len(r[2]) - TRAIN_ROWS for r in runs)} test rows; test rows are 'anomalous' "
          f"{np.mean(np.concatenate([r[4][TRAIN_ROWS:] for r in runs])):.1%} of the time")
    detect = detect_subprocess if args.subprocess else detect_in_process
    states, starts, prev = [], [], []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for name, names, ts, vals, y, cp in runs:
            path = Path(tmp) / (name.replace("/", "_"))
            write_wide(path, names, ts, vals)
            _, state, start = detect(path)
            states.append(state)
            starts.append(start)
            prev.append(previous_default(vals, ts))
            if args.per_file:
                yt, pt = y[TRAIN_ROWS:] == 1, state[TRAIN_ROWS:] == 1
                print(f"  {name:14s} tp {np.sum(yt & pt):4d} fp {np.sum(~yt & pt):4d} fn {np.sum(yt & ~pt):4d}"
                      f"  alerts at rows {np.flatnonzero(start).tolist()}  anomaly {np.flatnonzero(np.diff(y, prepend=0) == 1).tolist()}")
    elapsed = time.perf_counter() - t0
    rng = np.random.default_rng(0)
    rate = float(np.mean(np.concatenate([r[4][TRAIN_ROWS:] for r in runs])))
    print(f"\n{'detector (test rows only)':34s} {'F1':>5s} {'FAR %':>7s} {'MAR %':>7s} | {'NAB std':>7s} {'low FP':>7s}"
          f" {'low FN':>7s} {'ADD s':>6s} {'missed':>7s} {'FPs':>5s}")
    report("aiops detect (adaptive, default)", runs, states, starts)
    report("previous aiops detect (per sensor)", runs, prev)
    report("Hotelling T^2 per run (99.9 %)", runs, [hotelling_t2(r[3]) for r in runs])
    report(f"random at the base rate ({rate:.0%})", runs, [(rng.random(len(r[2])) < rate).astype(int) for r in runs])
    report("all rows anomalous", runs, [np.ones(len(r[2]), dtype=int) for r in runs])
    report("no row anomalous (null)", runs, [np.zeros(len(r[2]), dtype=int) for r in runs])
    print("\nSKAB leaderboard (README), outlier problem: " + "; ".join(f"{a} {f:.2f}/{fa:.2f}/{m:.2f}" for a, f, fa, m in LEADERBOARD))
    print(f"time: {elapsed:.1f} s for {len(runs)} runs (aiops detect twice per run, and the previous default)")


if __name__ == "__main__":
    main()
