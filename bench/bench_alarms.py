"""Alarm behaviour of `aiops detect` on labelled synthetic series, NAB-style scoring, with baselines.

    python bench/bench_alarms.py [--seeds 3] [--first-seed 0] [--per-kind] [--petshop DIR --warmup 150]

The corpus (`synthetic_series.py`): 22 kinds x `--seeds` series of 1,500-8,064 points at
5-minute steps — eight kinds without any anomaly (noise, daily cycle, square wave, flat
line, random walk, bursty counts, trend, quantised percentages) and fourteen with one or two
(spike, jump up/down in a daily cycle, a cycle that goes flat or misses its jump, level
shift up/down, shift and back, variance burst, rising spike density, drift before a failure,
count burst, quantised shift, two latency bumps).

Scoring (`alarm_scoring.NabTally`, written from NAB's published description): a window of
10 % of the series' length, shared among its anomalies, centred on each; the first alarm in
a window earns a sigmoid reward (~1 at the window's start, 0 at its end), further alarms
in it are free, every alarm outside a window costs 0.11 (0.22 in the low-FP profile; less
just after a window), every missed window costs 1 (2 in the low-FN profile); the first 15 %
of each series is probation and is not scored. 0 = the null detector, 100 = perfect.

Every series goes through the CLI's code path (`score_table`, default settings, `anomaly`
column = `--mark start`). With --petshop, the false-alarm rate on real CloudWatch series
(PetShop train bundles: alerts per 1,000 points up to an hour before each incident, beside the
previous detector's rows over 0.9) is printed too; the bundles hold 24 h of 5-minute points,
so pass --warmup 150 to judge any of them.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from alarm_scoring import NabTally  # noqa: E402
from synthetic_series import corpus  # noqa: E402


def table_for(values: np.ndarray, ts: np.ndarray):
    from aiops.cli.series_csv import SeriesTable

    t = SeriesTable(Path("<synthetic>"), ["value"], False)
    t.raw_timestamps = [f"{v:.0f}" for v in ts]
    t.raw_values = [[repr(float(v))] for v in values]
    t.timestamps = ts.tolist()
    t.values = [[float(v)] for v in values]
    return t


def aiops_alarms(detector: str, warmup: int):
    from aiops.cli.detect import score_table

    def run(values: np.ndarray, ts: np.ndarray) -> np.ndarray:
        _, flags, _ = score_table(table_for(values, ts), detector, 0.9, True, 0.5, mark="start", warmup=warmup)
        return np.array(flags)
    return run


def previous_cli(values: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """`aiops detect` before the adaptive detector: causal ensemble, every point scoring >= 0.9."""
    from aiops.analytics.detectors import Threshold, calibrated_scores

    return Threshold(0.9).apply(calibrated_scores("ensemble", values, ts, causal=True), causal=True)


def windowed_gaussian(window: int = 2000, z: float = 4.0):
    """Alarm when a point lies beyond z standard deviations of the trailing window (NAB's classic baseline, thresholded)."""
    def run(values: np.ndarray, ts: np.ndarray) -> np.ndarray:
        x = np.asarray(values, dtype=float)
        out = np.zeros(x.shape[0], dtype=int)
        cs, cs2 = np.cumsum(np.r_[0.0, x]), np.cumsum(np.r_[0.0, x * x])
        for i in range(30, x.shape[0]):
            lo = max(0, i - window)
            n = i - lo
            mu = (cs[i] - cs[lo]) / n
            sd = np.sqrt(max((cs2[i] - cs2[lo]) / n - mu * mu, 0.0))
            out[i] = int(sd > 0 and abs(x[i] - mu) > z * sd)
        return out
    return run


def random_alarms(per_series: float, seed: int = 0):
    rng = np.random.default_rng(seed)

    def run(values: np.ndarray, ts: np.ndarray) -> np.ndarray:
        return (rng.random(values.shape[0]) < per_series / values.shape[0]).astype(int)
    return run


def score(series, detect) -> tuple[NabTally, dict[str, list[int]], float]:
    tally, kinds = NabTally(), {}
    t0 = time.perf_counter()
    for s in series:
        alarms = detect(s.values, s.timestamps)
        one = NabTally()
        one.add(alarms, s.anomalies)
        tally.add(alarms, s.anomalies)
        k = kinds.setdefault(s.name.rsplit("-", 1)[0], [0, 0, 0])
        k[0] += one.hits
        k[1] += one.windows
        k[2] += one.false_alarms
    return tally, kinds, time.perf_counter() - t0


def petshop_false_alarms(root: Path, warmup: int) -> None:
    """Alerts per 1,000 judged points (after the warm-up) of real series, up to an hour before each incident."""
    import csv
    import tomllib

    judged = series = 0
    alerts = {"adaptive": 0, "previous": 0}
    adaptive = aiops_alarms("adaptive", warmup)
    for bundle in sorted(p for p in root.iterdir() if (p / "metrics.csv").is_file()):
        started = tomllib.loads((bundle / "incident.toml").read_text())["started_at"]
        cut_ts = np.datetime64(str(started).replace("Z", ""), "s").astype(np.int64) - 3600
        by_series: dict[tuple[str, str], list[tuple[float, float]]] = {}
        with (bundle / "metrics.csv").open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                by_series.setdefault((row["metric"], row["service"]), []).append((float(row["timestamp"]), float(row["value"] or "nan")))
        for rows in by_series.values():
            rows.sort()
            ts = np.array([r[0] for r in rows])
            vals = np.array([r[1] for r in rows])
            keep = ts < cut_ts
            if keep.sum() < warmup + 50:
                continue
            judged += int(keep.sum()) - warmup
            series += 1
            alerts["adaptive"] += int(adaptive(vals[keep], ts[keep]).sum())
            alerts["previous"] += int(previous_cli(vals[keep], ts[keep])[warmup:].sum())
    print(f"PetShop train, {series} real series (5-minute points) up to an hour before their incident,"
          f" {judged} points after a {warmup}-point warm-up:")
    for name, n in alerts.items():
        print(f"  {name:9s} {n:6d} alerts = {1000 * n / max(judged, 1):.2f} per 1,000 points")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--first-seed", type=int, default=0, help="seeds 0-2 were used to choose the configuration; 3+ were not")
    ap.add_argument("--per-kind", action="store_true")
    ap.add_argument("--petshop", default=None, help="PetShop train bundles dir (e.g. /work/data/petshop-train)")
    ap.add_argument("--warmup", type=int, default=300, help="aiops detect --warmup (the default is 300 rows)")
    args = ap.parse_args()
    series = corpus(args.seeds, args.first_seed)
    print(f"{len(series)} synthetic series, {sum(len(s.anomalies) for s in series)} labelled anomalies, "
          f"{sum(len(s.values) for s in series)} points")
    rows = [
        ("aiops detect (adaptive, default)", aiops_alarms("adaptive", args.warmup)),
        ("previous aiops detect (ensemble, >=0.9)", previous_cli),
        ("windowed Gaussian (2000 pts, |z|>4)", windowed_gaussian()),
        ("random, ~1 alarm per series", random_alarms(1.0)),
        ("random, ~5 alarms per series", random_alarms(5.0)),
    ]
    print(f"\n{'detector':38s} {'standard':>8s} {'low FP':>7s} {'low FN':>7s} {'caught':>7s} {'false':>6s} {'alarms':>6s} {'time':>6s}")
    per_kind = None
    for label, detect in rows:
        tally, kinds, secs = score(series, detect)
        print(f"{label:38s} {tally.normalised():8.1f} {tally.normalised('low_fp'):7.1f} {tally.normalised('low_fn'):7.1f}"
              f" {tally.hits:3d}/{tally.windows:<3d} {tally.false_alarms:6d} {tally.detections:6d} {secs:5.1f}s")
        per_kind = per_kind or kinds
    print(f"{'null (no alarms)':38s} {0.0:8.1f} {0.0:7.1f} {0.0:7.1f}")
    if args.per_kind and per_kind:
        print("\nadaptive per kind: caught/windows, false alarms")
        for k, (hits, wins, fa) in per_kind.items():
            print(f"  {k:16s} {hits}/{wins}  {fa}")
    if args.petshop:
        root = Path(args.petshop)
        if root.is_dir():
            print()
            petshop_false_alarms(root, args.warmup)
        else:
            print(f"PetShop bundles not found at {root}; skipping")


if __name__ == "__main__":
    main()
