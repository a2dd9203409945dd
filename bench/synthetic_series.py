"""Labelled synthetic series for the alarm benches: the shapes operators meet, with and without anomalies.

Every series is sampled every 5 minutes (288 points a day). Kinds without an anomaly check
that a detector stays quiet on noise, daily cycles, square waves, flat lines, wandering
(random-walk) levels, bursty counts, trends and quantised percentages; kinds with one check
that it fires near the start of a spike, a jump in a daily cycle, a cycle that goes flat or
misses its jump, a level shift (kept or undone), a variance change, rising spike density, a
drift before a failure, a burst in counts. `anomalies` holds the labelled start index of each
anomalous episode (the centre of its scoring window).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DAY = 288
STEP_S = 300.0


@dataclass(frozen=True)
class LabelledSeries:
    name: str
    values: np.ndarray
    timestamps: np.ndarray
    anomalies: list[int]


def _daily(n: int, rng: np.random.Generator, amp: float = 1.0) -> np.ndarray:
    phase = rng.uniform(0, 2 * np.pi)
    t = np.arange(n)
    return amp * (np.sin(2 * np.pi * t / DAY + phase) + 0.3 * np.sin(4 * np.pi * t / DAY + 2 * phase))


def _ar1(n: int, rho: float, rng: np.random.Generator) -> np.ndarray:
    e = rng.standard_normal(n)
    out = np.empty(n)
    acc = 0.0
    for i in range(n):
        acc = rho * acc + e[i]
        out[i] = acc
    return out * np.sqrt(1 - rho * rho)


def _at(n: int, rng: np.random.Generator, lo: float = 0.45, hi: float = 0.85) -> int:
    return int(rng.integers(int(lo * n), int(hi * n)))


def make_series(kind: str, seed: int, n: int = 4032) -> LabelledSeries:
    """One series of `kind` (see KINDS); deterministic in (kind, seed, n)."""
    rng = np.random.default_rng([seed, len(kind), sum(map(ord, kind))])
    t = np.arange(n)
    anomalies: list[int] = []
    if kind == "noise":
        x = 50 + 5 * rng.standard_normal(n)
    elif kind == "daily":
        x = 40 + 10 * _daily(n, rng) + 0.5 * rng.standard_normal(n)
    elif kind == "square_wave":
        x = np.where((t % DAY) < DAY // 2, 80.0, 20.0)
    elif kind == "flatline":
        x = np.full(n, 42.0)
    elif kind == "random_walk":
        x = 100 + 20 * _ar1(n, 0.995, rng) + rng.standard_normal(n)
    elif kind == "bursty_counts":
        rate = 30 * (1.3 + _daily(n, rng, 0.6))
        burst = rng.random(n) < 0.01
        x = rng.poisson(rate * np.where(burst, rng.uniform(1.5, 2.5, n), 1.0)).astype(float)
    elif kind == "trend":
        x = 20 + 0.01 * t + 2 * rng.standard_normal(n)
    elif kind == "cpu_percent":
        x = np.clip(np.round(12 + 3 * _ar1(n, 0.8, rng) + 2 * _daily(n, rng)), 0, 100)
    elif kind == "spike":
        x = 50 + 5 * _ar1(n, 0.6, rng)
        a = _at(n, rng)
        x[a] += rng.choice([-1, 1]) * 40
        anomalies = [a]
    elif kind in ("jump_up", "jump_down"):
        x = 40 + 10 * _daily(n, rng) + 0.8 * rng.standard_normal(n)
        a = _at(n, rng)
        x[a : a + 12] += (25 if kind == "jump_up" else -25)
        anomalies = [a]
    elif kind == "flat_middle":
        x = 40 + 10 * _daily(n, rng) + 0.8 * rng.standard_normal(n)
        a = _at(n, rng)
        x[a : a + DAY] = x[a] + 0.8 * rng.standard_normal(DAY)[: max(0, min(DAY, n - a))]
        anomalies = [a]
    elif kind == "no_jump":
        base = np.where((t % DAY) < 24, 60.0, 20.0)     # a daily jump lasting two hours
        x = base + 1.5 * rng.standard_normal(n)
        day = int(rng.integers(int(0.5 * n) // DAY, int(0.85 * n) // DAY))
        a = day * DAY
        x[a : a + 24] = 20 + 1.5 * rng.standard_normal(24)
        anomalies = [a]
    elif kind in ("shift_up", "shift_down"):
        x = 50 + 4 * _ar1(n, 0.7, rng)
        a = _at(n, rng)
        x[a:] += (16 if kind == "shift_up" else -16)
        anomalies = [a]
    elif kind == "shift_and_back":
        x = 200 + 10 * _ar1(n, 0.5, rng)
        a = _at(n, rng, 0.3, 0.55)
        x[a : a + 150] += 60
        anomalies = [a]
    elif kind == "variance":
        x = 10 + 0.5 * rng.standard_normal(n)
        a = _at(n, rng)
        x[a : a + 200] += 3 * rng.standard_normal(200)[: max(0, min(200, n - a))]
        anomalies = [a]
    elif kind == "spike_density":
        x = 5 + 0.3 * rng.standard_normal(n)
        a = _at(n, rng, 0.5, 0.7)
        p = np.where(t < a, 0.002, 0.05)
        x += np.where(rng.random(n) < p, rng.uniform(3, 6, n), 0.0)
        anomalies = [a]
    elif kind == "failure_drift":
        x = 80 + 1.5 * _ar1(n, 0.9, rng)
        a = _at(n, rng, 0.55, 0.75)
        ramp = np.clip((t - a) / 300.0, 0, None)
        x += 12 * ramp**2
        fail = min(n - 1, a + 400)
        x[fail:] = 30 + 1.5 * rng.standard_normal(n - fail)
        anomalies = [a + 120, fail] if fail < n - 50 else [a + 120]
    elif kind == "count_burst":
        rate = 30 * (1.3 + _daily(n, rng, 0.6))
        x = rng.poisson(rate).astype(float)
        a = _at(n, rng)
        x[a : a + 6] += rng.poisson(400, 6)
        anomalies = [a]
    elif kind == "cpu_shift":
        x = np.clip(np.round(12 + 3 * _ar1(n, 0.8, rng) + 2 * _daily(n, rng)), 0, 100)
        a = _at(n, rng)
        x[a:] = np.clip(x[a:] + 25, 0, 100)
        anomalies = [a]
    elif kind == "latency_two":
        x = np.exp(np.log(0.2) + 0.25 * rng.standard_normal(n))
        a1 = _at(n, rng, 0.3, 0.5)
        a2 = _at(n, rng, 0.7, 0.9)
        x[a1 : a1 + 60] *= 3
        x[a2 : a2 + 60] *= 3
        anomalies = [a1, a2]
    else:
        raise ValueError(f"unknown kind {kind!r}")
    ts = 1.6e9 + STEP_S * t
    return LabelledSeries(f"{kind}-{seed}", x.astype(float), ts, anomalies)


QUIET_KINDS = ("noise", "daily", "square_wave", "flatline", "random_walk", "bursty_counts", "trend", "cpu_percent")
ANOMALY_KINDS = ("spike", "jump_up", "jump_down", "flat_middle", "no_jump", "shift_up", "shift_down",
                 "shift_and_back", "variance", "spike_density", "failure_drift", "count_burst", "cpu_shift",
                 "latency_two")
KINDS = QUIET_KINDS + ANOMALY_KINDS


def corpus(seeds: int = 2, first: int = 0) -> list[LabelledSeries]:
    """Every kind for seeds first .. first+seeds-1; lengths vary (1,500 / 4,032 / 8,064 points) with the seed."""
    lengths = (4032, 1500, 8064)
    return [make_series(k, s, lengths[s % len(lengths)]) for s in range(first, first + seeds) for k in KINDS]
