"""Precision / recall / point-adjusted F1 of each detector on synthetic labelled series.

    /work/venv/bin/python bench/bench_detect_accuracy.py [--series 200] [--seed 0]

Series: one day of minutes, four backgrounds (white noise, AR(1) noise, a daily-ish
sinusoid, a slow trend), each carrying one labelled anomaly: a spike (+-6 sigma, one
point), a short bump (+4 sigma, 20 points) or a level shift (+-3..5 sigma, to the end),
placed in the second half so that non-causal mode can use the first half as baseline.
Point-adjusted scoring (as in most TSAD papers): a labelled segment counts as fully
detected when any of its points is flagged; every flagged point outside a segment is a
false positive. "clean alarm" is the share of anomaly-free copies with any alarm.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

T = 1440
BACKGROUNDS = ("white", "ar1", "sine", "trend")
KINDS = ("spike", "bump", "shift")


def make(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple[str, str]]]:
    rng = np.random.default_rng(seed)
    x = np.empty((n, T))
    clean = np.empty((n, T))
    labels = np.zeros((n, T), dtype=bool)
    meta = []
    i = np.arange(T)
    for r in range(n):
        bg = BACKGROUNDS[r % len(BACKGROUNDS)]
        kind = KINDS[(r // len(BACKGROUNDS)) % len(KINDS)]
        e = rng.normal(0, 1, T)
        if bg == "ar1":
            ar = np.zeros(T)
            for t in range(1, T):
                ar[t] = 0.7 * ar[t - 1] + e[t]
            e = ar / np.sqrt(1 / (1 - 0.49))
        base = 50 + e
        if bg == "sine":
            base += 8 * np.sin(2 * np.pi * i / 480 + rng.uniform(0, 6.28))
        if bg == "trend":
            base += 0.01 * i
        clean[r] = base
        y = base.copy()
        at = int(rng.integers(800, 1300))
        sign = rng.choice([-1, 1])
        if kind == "spike":
            y[at] += sign * 6
            labels[r, at] = True
        elif kind == "bump":
            y[at : at + 20] += 4
            labels[r, at : at + 20] = True
        else:
            y[at:] += sign * rng.uniform(3, 5)
            labels[r, at:] = True
        x[r] = y
        meta.append((bg, kind))
    return x, clean, labels, meta


def point_adjusted(flags: np.ndarray, labels: np.ndarray) -> tuple[float, float, float]:
    tp = fp = fn = 0
    for f, lab in zip(flags.astype(bool), labels):
        fp += int(np.sum(f & ~lab))
        if lab.any():
            hit = bool(np.any(f & lab))
            tp += int(lab.sum()) if hit else 0
            fn += 0 if hit else int(lab.sum())
    precision = tp / max(tp + fp, 1)
    recall = tp / max(tp + fn, 1)
    return precision, recall, 2 * precision * recall / max(precision + recall, 1e-12)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", type=int, default=240)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    from aiops.analytics.detectors import Threshold, calibrated_scores

    x, clean, labels, meta = make(args.series, args.seed)
    ts = 1.7e9 + 60.0 * np.arange(T)
    cut = float(ts[T // 2])
    print(f"{args.series} labelled series x {T} points; threshold 0.9")
    print(f"{'detector':14s} {'mode':10s} {'prec':>6s} {'recall':>6s} {'PA-F1':>6s} {'clean alarm':>11s}  recall by kind and background   time")
    for name in ("ensemble", "seasonal_mad", "level_shift", "spike", "ewma", "holt"):
        for causal in (True, False):
            t0 = time.perf_counter()
            flags = Threshold(0.9).apply(calibrated_scores(name, x, ts, causal=causal, baseline_end=cut), causal=causal)
            clean_flags = Threshold(0.9).apply(calibrated_scores(name, clean, ts, causal=causal, baseline_end=cut), causal=causal)
            dt = time.perf_counter() - t0
            lo = 30 if causal else T // 2          # warm-up / baseline points are not judged
            p, r, f1 = point_adjusted(flags[:, lo:], labels[:, lo:])
            alarm = float(np.mean(clean_flags[:, lo:].any(axis=1)))
            by_kind = []
            for kind in KINDS:
                rows = [k for k, (_, kk) in enumerate(meta) if kk == kind]
                hit = np.mean([np.any(flags[k] & labels[k]) for k in rows])
                by_kind.append(f"{kind}={hit:.2f}")
            for bg in BACKGROUNDS:
                rows = [k for k, (b, _) in enumerate(meta) if b == bg]
                hit = np.mean([np.any(flags[k] & labels[k]) for k in rows])
                by_kind.append(f"{bg}={hit:.2f}")
            mode = "causal" if causal else "baseline"
            print(f"{name:14s} {mode:10s} {p:6.3f} {r:6.3f} {f1:6.3f} {alarm:11.2f}  {' '.join(by_kind)}  {dt:.1f}s")


if __name__ == "__main__":
    main()
