"""Golden signals from traces, for services whose metrics do not carry them.

A service's requests are its entry spans (`aiops.analytics.spantree`). Traces are sampled,
so there are few of them: latency is compared request by request (each sampled request
is one value, in time order — the comparison's median and U test then work on requests,
and its autocorrelation correction covers requests that cluster in time); the request
rate and the share that failed are bucketed, each service's buckets long enough to hold
about REQUESTS_PER_BUCKET sampled requests (at least a minute, at most a fifth of the
after window). Metrics win where both exist: they see every request.
"""

from __future__ import annotations

import math

import numpy as np

from aiops.analytics.spantree import Spans, build_span_tree
from aiops.release.golden import SignalSeries, bucket_step
from aiops.release.model import DAY_S, ReleaseWindows
from aiops.telemetry.reader import TelemetryReader

REQUESTS_PER_BUCKET = 8
MIN_STEP_S = 60.0


def _requests(store: TelemetryReader, lo: float, hi: float, services: set[str] | None) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """service -> (start, duration s, failed) of its entry spans on [lo, hi)."""
    table = store.span_table(lo, hi, service=sorted(services) if services else None)
    if len(table["start"]) == 0:
        return {}
    spans = Spans.from_columns(table)
    tree = build_span_tree(spans)
    rows = np.flatnonzero(tree.entry)
    out = {}
    for code, service in enumerate(tree.services):
        r = rows[tree.service_code[rows] == code]
        if len(r):
            out[service] = (spans.start[r], spans.duration_us[r] / 1e6, tree.error[r])
    return out


def _buckets(req: tuple[np.ndarray, np.ndarray, np.ndarray], start: float, n: int, step: float) -> dict[str, np.ndarray]:
    t, duration, failed = req
    b = ((t - start) // step).astype(np.int64)
    keep = (b >= 0) & (b < n)
    b, duration, failed = b[keep], duration[keep], failed[keep]
    count = np.bincount(b, minlength=n).astype(float)
    out = {"traffic": count / step,
           "error_rate": np.where(count > 0, np.bincount(b, weights=failed.astype(float), minlength=n)
                                  / np.maximum(count, 1.0), np.nan)}
    return out


def _latency(req: tuple[np.ndarray, np.ndarray, np.ndarray], lo: float, split: float, hi: float
             ) -> tuple[np.ndarray, np.ndarray, int]:
    """(start times, durations) of the requests on [lo, hi) in time order, and how many
    came before `split`."""
    t, duration, _ = req
    keep = (t >= lo) & (t < hi)
    order = np.argsort(t[keep], kind="stable")
    ts, d = t[keep][order], duration[keep][order]
    return ts, d, int((ts < split).sum())


def trace_signals(store: TelemetryReader, windows: ReleaseWindows, services: tuple[str, ...], days: list[int],
                  have: set[tuple[str, str]]) -> list[SignalSeries]:
    """Trace-derived golden signals of the services whose metrics lack that kind of signal
    (`have`: the (service, signal) pairs the metrics gave; any latency percentile from the
    metrics means no latency from traces for that service)."""
    wanted = set(services) or None
    span = windows.span
    today = _requests(store, span.start, span.end, wanted)
    history = [_requests(store, span.start - back * DAY_S, span.end - back * DAY_S, wanted) for back in days]
    out = []
    for service, req in sorted(today.items()):
        families = {sig.split("_")[0] for s, sig in have if s == service}
        rate = len(req[0]) / span.seconds
        step = max(bucket_step(windows.after_s), MIN_STEP_S,
                   60.0 * math.ceil(REQUESTS_PER_BUCKET / max(rate, 1e-9) / 60.0))
        step = min(step, max(windows.after_s / 5.0, MIN_STEP_S))
        n_before = int(round(windows.baseline_s / step))
        n = n_before + int(math.ceil(windows.after_s / step))
        start = windows.deployed_at - n_before * step
        now = _buckets(req, start, n, step)
        past = [_buckets(h[service], start - back * DAY_S, n, step) for back, h in zip(days, history) if service in h]
        for signal, values in now.items():
            if signal.split("_")[0] in families or not np.isfinite(values).any():
                continue
            out.append(SignalSeries(service, signal, "traces (entry spans)", start + step * np.arange(n), values,
                                    n_before, [p[signal] for p in past]))
        if "latency" not in families:
            ts, d, k = _latency(req, span.start, windows.deployed_at, span.end)
            pairs = []
            for back, h in zip(days, history):
                if service in h:
                    shift = back * DAY_S
                    _, hd, hk = _latency(h[service], span.start - shift, windows.deployed_at - shift, span.end - shift)
                    pairs.append((hd[:hk], hd[hk:]))
            if len(d):
                out.append(SignalSeries(service, "latency_p50", "traces (each sampled request)", ts, d, k,
                                        pairs=pairs))
    return out
