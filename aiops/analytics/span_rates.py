"""Request rates read from spans: how many requests each service received before and after.

With a minute or two of metrics before the alert, a surge of requests may not show in any
request counter, while the spans of the same minutes hold thousands of requests. Each
service's entry spans (a request into it) are counted on both sides of the split, over the
time the spans cover, and the two rates compared: a conditional test (given the total, the
share after the split is binomial under no change), its variance widened by how bursty the
requests were before (their counts per BIN_S), and a size of at least MIN_RATIO either way.
The size it carries is the one it surely has (the count before two standard deviations
toward no change): a few dozen requests before give a loose ratio.
A rate change is a traffic finding: a symptom where it merely passed through, the overload's
own evidence where it entered (see `load`).
"""

from __future__ import annotations

import math

import numpy as np

from aiops.domain import Finding
from aiops.timeutil import to_rfc3339

MIN_RATIO = 1.5        # a rate that changed less than this either way is ordinary drift
MIN_SECONDS = 20.0     # each side needs spans over at least this long
MIN_REQUESTS = 30      # and this many requests in all
BIN_S = 10.0           # burstiness is measured on counts per this many seconds
Z_FULL = 10.0          # a change this many (widened) standard deviations out counts in full


def rate_changes(services: list[str], codes: np.ndarray, starts: np.ndarray, split: float,
                 covered: tuple[float, float]) -> list[Finding]:
    """One finding per service whose request rate changed at `split`. `codes` index `services`
    for each request (entry span), `starts` are their start times, `covered` the time the
    spans cover (first and last start of any span)."""
    lo, hi = covered
    t_before, t_after = split - lo, hi - split
    if t_before < MIN_SECONDS or t_after < MIN_SECONDS or len(starts) == 0:
        return []
    p0 = t_after / (t_before + t_after)
    edges = np.arange(lo, split + 1e-9, BIN_S)
    is_before = (starts >= lo) & (starts < split)
    counts_b = np.bincount(codes[is_before], minlength=len(services))
    counts_a = np.bincount(codes[(starts >= split) & (starts <= hi)], minlength=len(services))
    out: list[Finding] = []
    for code, name in enumerate(services):
        n_b, n_a = int(counts_b[code]), int(counts_a[code])
        n = n_b + n_a
        if n < MIN_REQUESTS or n_b == 0:
            continue
        rate_b, rate_a = n_b / t_before, n_a / t_after
        ratio = rate_a / rate_b
        if 1.0 / MIN_RATIO < ratio < MIN_RATIO:
            continue
        dispersion = 1.0
        if len(edges) >= 3:
            counts = np.histogram(starts[is_before & (codes == code)], bins=edges)[0]
            if counts.mean() > 0:
                dispersion = max(1.0, float(counts.var(ddof=1) / counts.mean()))
        z = (n_a - n * p0) / math.sqrt(n * p0 * (1.0 - p0) * dispersion)
        if abs(z) < 4.0:
            continue
        # the size it is known to have at least (two standard deviations of the smaller count
        # toward no change): a surge's entry is decided by comparing these sizes (see `load`)
        if ratio > 1.0:
            sure = max(1.0, rate_a / ((n_b + 2.0 * math.sqrt(n_b * dispersion)) / t_before))
        else:
            sure = min(1.0, (n_a + 2.0 * math.sqrt(max(n_a, 1) * dispersion)) / t_after / rate_b)
        score = min(1.0, abs(math.log(sure)) / math.log(4.0)) * min(1.0, abs(z) / Z_FULL)
        change = f"{(ratio - 1.0) * 100:+.0f} %"
        out.append(Finding(
            kind="trace", service=name, signal="request_rate", score=float(score),
            summary=f"{name}: {rate_b:.3g} -> {rate_a:.3g} requests/s in its spans ({change}, "
                    f"{n_b} in {t_before:.0f} s before, {n_a} in {t_after:.0f} s since {to_rfc3339(split)})",
            onset=float(split), direction=1 if ratio > 1 else -1, magnitude=float(sure),
            ref=f"spans of {name}", tags=("traffic",),
        ))
    return out
