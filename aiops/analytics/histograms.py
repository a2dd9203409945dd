"""Latency from Prometheus histograms and summaries in an exported bundle.

Real exports often carry latency only as a histogram: `<x>_bucket{le=...}` counters plus
`<x>_sum` and `<x>_count`. Scanned as they are, the bucket rates move with traffic (every
bucket drops when traffic drops) and a latency rise shows only as a shift of counts
between buckets. Like Prometheus' `histogram_quantile`, this turns the per-second bucket
rates of each series group (same metric, service, pod and other labels) into quantile
series `<x>:p50`, `<x>:p99` — the names the live Prometheus source gives them — and the
`_sum`/`_count` rates of a duration into its mean, `<x>:mean` (a histogram's count is its `+Inf`
bucket, for exports that count requests in another series). The raw buckets and sums are
then left out of the scan; `_count` stays (it is the request rate).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

QUANTILES = (0.5, 0.99)
_BUCKET = re.compile(r"^(.*)_bucket$")
_SUM_COUNT = re.compile(r"^(.*)_(sum|count)$")
_QUANTILE_NAME = re.compile(r"p\d+(?:\.\d+)?")


@dataclass(frozen=True)
class Derived:
    metric: str                                  # e.g. "http_server_duration_seconds:p99"
    service: str
    pod: str
    labels: tuple[tuple[str, str], ...]
    values: np.ndarray                           # [T]


def parse_le(value: str) -> float | None:
    """A bucket's `le` label as a bound (`+Inf` included), None when it is not a number."""
    try:
        bound = float(value)
    except ValueError:
        return None
    return bound if not math.isnan(bound) else None


def histogram_quantile(q: float, bounds: np.ndarray, cumulative: np.ndarray) -> np.ndarray:
    """Prometheus' histogram_quantile per column: `bounds` [B] ascending upper bounds (the last
    may be +Inf), `cumulative` [B, T] rates of observations <= each bound. NaN where no
    observation fell in a column."""
    c = np.maximum.accumulate(np.nan_to_num(cumulative, nan=0.0), axis=0)   # counts never fall as le grows
    total = c[-1]
    rank = q * total
    idx = np.argmax(c >= rank[None, :], axis=0)
    cols = np.arange(c.shape[1])
    upper = bounds[idx]
    lower = np.where(idx > 0, bounds[np.maximum(idx - 1, 0)], np.minimum(0.0, bounds[0]))
    below = np.where(idx > 0, c[np.maximum(idx - 1, 0), cols], 0.0)
    inside = c[idx, cols] - below
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(inside > 0, (rank - below) / inside, 1.0)
        value = lower + (upper - lower) * frac
    finite = bounds[np.isfinite(bounds)]
    top = finite[-1] if len(finite) else np.nan
    value = np.where(np.isinf(upper), top, value)       # in the +Inf bucket: the highest finite bound
    if bounds[0] <= 0:
        value = np.where(idx == 0, bounds[0], value)     # the lowest bucket reaches no further than its bound
    gaps = np.any(np.isnan(cumulative), axis=0)          # a bucket missing from a column: no quantile there
    return np.where((total > 0) & ~gaps, value, np.nan)


def source_metrics(names) -> list[str]:  # noqa: ANN001
    """The stored metric names behind `names`, derived ones (`<x>:p99`, `<x>:mean`) included."""
    out: set[str] = set()
    for name in names:
        base, sep, what = name.rpartition(":")
        if sep and what == "mean":
            out |= {f"{base}_sum", f"{base}_count"}
        elif sep and _QUANTILE_NAME.fullmatch(what):
            out.add(f"{base}_bucket")
        else:
            out.add(name)
    return sorted(out)


def derive_latency(keys, values: np.ndarray, is_rate: np.ndarray) -> tuple[list[Derived], np.ndarray]:  # noqa: ANN001
    """Quantile and mean series from histogram/summary parts among `keys` (SeriesKey-like:
    metric, service, pod, labels; rows of per-second rates where `is_rate`), and a mask of
    the rows the derived series replace."""
    from aiops.analytics.signals import signal_class

    replaced = np.zeros(len(keys), dtype=bool)
    buckets: dict[tuple, list[tuple[float, int]]] = {}
    parts: dict[tuple, dict[str, int]] = {}
    for i, k in enumerate(keys):
        if not is_rate[i]:
            continue
        m = _BUCKET.match(k.metric)
        if m:
            le = next((parse_le(v) for n, v in k.labels if n == "le"), None)
            if le is not None:
                rest = tuple((n, v) for n, v in k.labels if n != "le")
                buckets.setdefault((m.group(1), k.service, k.pod, rest), []).append((le, i))
            continue
        m = _SUM_COUNT.match(k.metric)
        if m and signal_class(m.group(1)) == "latency":
            parts.setdefault((m.group(1), k.service, k.pod, k.labels), {})[m.group(2)] = i
    out: list[Derived] = []
    for (base, service, pod, labels), rows in sorted(buckets.items()):
        rows.sort()
        if len(rows) < 2:
            continue
        bounds = np.array([b for b, _ in rows])
        cumulative = values[[i for _, i in rows]]
        for q in QUANTILES:
            series = histogram_quantile(q, bounds, cumulative)
            out.append(Derived(f"{base}:p{q * 100:g}", service, pod, labels, series))
        replaced[[i for _, i in rows]] = True
    for (base, service, pod, labels), ix in sorted(parts.items()):
        # a histogram's `_count` is its `+Inf` bucket: some exports carry only the buckets and the sum
        count = ix.get("count", next((i for le, i in buckets.get((base, service, pod, labels), ())
                                      if le == math.inf), None))
        if "sum" not in ix or count is None:
            continue
        s, n = values[ix["sum"]], values[count]
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(n > 0, s / n, np.nan)
        out.append(Derived(f"{base}:mean", service, pod, labels, mean))
        replaced[ix["sum"]] = True
    return out, replaced
