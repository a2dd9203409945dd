"""Wall time of detector scans over many series (prints figures; not a test).

    /work/venv/bin/python bench/bench_detect.py [--series 10000] [--points 1440]

Goal: a scan of 10,000 series x 1,440 points in <= 2 s on 2 cores, both for scan_series
(fitted baseline, default ensemble: `aiops detect`'s detectors in bulk) and for
scan_shifts + scan_gaps (what the diagnosis runs on every metric series).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def synthetic(n_series: int, n_points: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    ts = 1.7e9 + 60.0 * np.arange(n_points)
    level = rng.uniform(1, 1000, (n_series, 1))
    x = level * (1 + 0.05 * rng.standard_normal((n_series, n_points)))
    x[:, n_points // 3 :: 97] = np.nan                          # some gaps
    shifted = rng.random(n_series) < 0.05                       # 5 % get a level shift
    x[shifted, 3 * n_points // 4 :] *= 1.5
    return x, ts


def timed(label: str, fn, repeat: int = 2) -> float:
    best, cpu = float("inf"), float("inf")
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        best = min(best, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    print(f"{label:58s} {best:7.3f} s wall {cpu:7.3f} s cpu")
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", type=int, default=10_000)
    ap.add_argument("--points", type=int, default=1_440)
    ap.add_argument("--causal-series", type=int, default=1_000, help="series for the (slower) causal runs")
    args = ap.parse_args()

    from aiops.analytics.detectors import ScoreCalibrator, get_detector, scan_series

    x, ts = synthetic(args.series, args.points)
    base_end = float(ts[args.points // 2])
    n, t = x.shape
    print(f"{n} series x {t} points, baseline = first half; load average {os.getloadavg()[0]:.2f}")
    timed("scan_series (ensemble, fitted baseline)", lambda: scan_series(x, ts, base_end))
    from aiops.analytics.gaps import scan_gaps
    from aiops.analytics.shift import scan_shifts

    timed("scan_shifts + scan_gaps (diagnosis metric evidence)",
          lambda: (scan_shifts(x, ts, base_end), scan_gaps(x, ts, base_end, 60.0)))
    timed("scan_series (seasonal_mad, period=None)",
          lambda: scan_series(x, ts, base_end, detector=get_detector("seasonal_mad", period=None)))
    for name in ("seasonal_mad", "level_shift", "holt"):
        def run(name: str = name) -> None:
            det = get_detector(name).fit(x[:, : t // 2], ts[: t // 2])
            raw = det.score(x, ts)
            ScoreCalibrator().fit(raw[:, : t // 2]).transform(raw)
        timed(f"{name}: fit + score + calibrate (non-causal)", run, repeat=1)

    xc = x[: args.causal_series]
    for name in ("ensemble", "seasonal_mad", "holt"):
        def run_causal(name: str = name) -> None:
            raw = get_detector(name).score(xc, ts, causal=True)
            ScoreCalibrator().transform(raw, causal=True)
        timed(f"{name}: causal score + calibrate, {xc.shape[0]} series", run_causal, repeat=1)
    one = x[:1]
    timed("ensemble: causal, 1 series", lambda: get_detector("ensemble").score(one, ts, causal=True))
    from aiops.analytics.detectors.alarms import detect_table

    timed(f"adaptive: 1 series x {t} (aiops detect's default)", lambda: detect_table(one, ts), repeat=1)
    long_ts = 60.0 * np.arange(20_000)
    long_x = np.random.default_rng(1).normal(50, 5, (8, 20_000))
    timed("adaptive: 1 series x 20,000", lambda: detect_table(long_x[:1], long_ts), repeat=1)
    timed("adaptive: 8 columns jointly x 20,000 (a wide CSV)", lambda: detect_table(long_x, long_ts), repeat=1)


if __name__ == "__main__":
    main()
