"""Restart checks: container restarts per service after the release against the baseline's rate.

Two sources describe the same restarts and the larger count wins (never their sum):
restart-count metrics (any restarts-class series whose name says "restart", read as
counters: a drop is a new pod or a reset) and events (kind `restart`, or a BackOff /
OOMKilled / CrashLoopBackOff reason or message). A rolling deploy replaces pods without
restarting containers, so it does not count.

Restarts are rare, so one service's baseline says little about its rate; the expected
count after the release shrinks the service's own baseline count towards the rate of
every service together: `lambda = (own + (all + 0.5) / services) / baseline minutes *
after minutes`, baseline = the hour before plus the same hours of previous days. p is the
Poisson upper tail, per service and not corrected for the number of services (ordinary
restarts anywhere raise every service's expectation through the pooled rate; the false-fail
rate this leaves over whole releases is what bench/bench_release.py measures). A check warns or fails
when p is below the [release] alpha *and* the count reaches `restarts_warn` /
`restarts_fail`.
"""

from __future__ import annotations

import re

import numpy as np

from aiops.analytics.release_compare import counter_increase, poisson_upper
from aiops.analytics.signals import signal_class
from aiops.config import ReleaseSettings
from aiops.release.golden import bucket_step
from aiops.release.model import CheckResult, ReleaseWindows
from aiops.release.units import format_p
from aiops.telemetry.reader import TelemetryReader
from aiops.timeutil import to_rfc3339

_CRASH = re.compile(r"back-?off restarting|crashloopbackoff|oomkill", re.IGNORECASE)
_CRASH_REASONS = {"backoff", "oomkilled", "crashloopbackoff"}
SOURCES = ("metrics", "restart events", "crash events")


def _metric_counts(store: TelemetryReader, start: float, split: float | None, end: float, step: float, services: set[str] | None,
                   into: dict[str, dict[str, list[float]]]) -> None:
    """Add restarts from restart-count metrics on [start, end) to into[service]["metrics"]:
    [baseline, after], the after part from `split` on (None: all baseline)."""
    n = int(round((end - start) / step))
    grid = store.metric_grid(start, start + n * step, step, counter_rates=False,
                             services=sorted(services) if services else None)
    cut = n if split is None else int(round((split - start) / step))
    for i, key in enumerate(grid.keys):
        if signal_class(key.metric) != "restarts" or "restart" not in key.metric.lower():
            continue
        row = grid.values[i]
        counts = into.setdefault(key.service, {}).setdefault("metrics", [0.0, 0.0])
        counts[0] += counter_increase(row[:cut])[0]
        if split is not None:
            counts[1] += counter_increase(row[max(cut - 1, 0):])[0]     # the step across the release counts after


def _event_counts(store: TelemetryReader, start: float, split: float | None, end: float, services: set[str] | None,
                  into: dict[str, dict[str, list[float]]], examples: dict[str, list[str]]) -> None:
    for ev in store.events(start, end):
        svc = ev["service"]
        if services is not None and svc not in services:
            continue
        after = split is not None and ev["ts"] >= split
        reason = str(ev["attrs"].get("reason", "")).lower()
        if ev["kind"] == "restart":
            source = "restart events"
        elif reason in _CRASH_REASONS or _CRASH.search(ev["message"] or ""):
            source = "crash events"
        else:
            continue
        into.setdefault(svc, {}).setdefault(source, [0.0, 0.0])[int(after)] += 1
        if after and len(examples.setdefault(svc, [])) < 3:
            examples[svc].append(f"{to_rfc3339(round(ev['ts']))} {ev['kind']}: {ev['message']}")


def restart_checks(store: TelemetryReader, windows: ReleaseWindows, services: tuple[str, ...], days: list[int],
                   cfg: ReleaseSettings) -> list[CheckResult]:
    wanted = set(services) or None
    step = bucket_step(windows.after_s)
    counts: dict[str, dict[str, list[float]]] = {}
    examples: dict[str, list[str]] = {}
    b, a = windows.before, windows.after
    _metric_counts(store, b.start, windows.deployed_at, a.end, step, wanted, counts)
    _event_counts(store, b.start, windows.deployed_at, a.end, wanted, counts, examples)
    for back in days:
        (lo, _), (_, hi) = windows.days_back(back)
        _metric_counts(store, lo, None, hi, step, wanted, counts)
        _event_counts(store, lo, None, hi, wanted, counts, {})
    if not counts:
        return []
    base_minutes = (windows.baseline_s + len(days) * (windows.baseline_s + windows.after_s)) / 60.0
    after_minutes = windows.after_s / 60.0
    before = {s: max(c[0] for c in by.values()) for s, by in counts.items()}
    after = {s: max(c[1] for c in by.values()) for s, by in counts.items()}
    prior = (sum(before.values()) + 0.5) / len(counts)
    out = []
    for service in sorted(counts):
        n_after = int(round(after[service]))
        lam = (before[service] + prior) / base_minutes * after_minutes
        p = float(poisson_upper(n_after, lam)[0])
        significant = p < cfg.alpha
        status = "fail" if significant and n_after >= cfg.restarts_fail else \
            "warn" if significant and n_after >= cfg.restarts_warn else "pass"
        summary = (f"restarts of {service}: {int(round(before[service]))} in the baseline"
                   f"{' and previous days' if days else ''}, {n_after} after the release (expected {lam:.2g}, "
                   f"{format_p(p)})")
        evidence = tuple(f"{name}: {int(round(c[0]))} before, {int(round(c[1]))} after"
                         for name, c in counts[service].items()) + tuple(examples.get(service, []))
        out.append(CheckResult("restarts", "restarts", service, status, summary, before=float(before[service]),
                               after=float(after[service]), change=float(after[service] - lam), unit="restarts",
                               p_value=p, evidence=evidence))
    return out
