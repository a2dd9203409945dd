"""Load: which resource moves follow the requests a service served, and where a surge entered.

More requests cost more CPU, network and memory at the same cost per request: a resource that
rose no more than the service's own requests (LOAD_SLACK) is load, a symptom of a surge, not
the service's own fault. An overload is where the extra requests came in — the service whose
traffic rose more than its callers' — and every service the surge reached below it inherits
it (ranking.py weighs both).
"""

from __future__ import annotations

import math

from aiops.analytics.graphs import descendants
from aiops.analytics.weighing import class_of
from aiops.domain import Finding

LOAD_CLASSES = frozenset({"cpu", "network", "memory"})   # what a service spends per request
LOAD_SLACK = 1.25            # a resource that rose by no more than its requests (times this) follows the load


def load_ratio(findings: list[Finding]) -> dict[str, float]:
    """Per service, how many times more requests it served (its strongest traffic rise)."""
    out: dict[str, float] = {}
    for f in findings:
        if (f.kind in ("metric", "trace") and "traffic" in f.tags and "weak" not in f.tags and f.direction > 0
                and math.isfinite(f.magnitude) and f.magnitude > 1.0):
            out[f.service] = max(out.get(f.service, 1.0), f.magnitude)
    return out


def load_borne(f: Finding, load: dict[str, float]) -> bool:
    """A resource that rose no more than the requests the service served: more work, the same
    cost per request — the load moved, not the service (an overload shows on every service
    the surge reaches; a service burning CPU on its own, or starved of it, does not). So is a
    log line that is not an error and became no more frequent than the requests (one line
    per request handled)."""
    ratio = load.get(f.service)
    per_request = ((f.kind == "metric" and class_of(f) in LOAD_CLASSES)
                   or (f.kind == "log" and "increase" in f.tags and "error" not in f.tags))
    return (ratio is not None and per_request and f.direction > 0
            and math.isfinite(f.magnitude) and f.magnitude <= ratio * LOAD_SLACK)


def surges(load: dict[str, float], callers: dict[str, set[str]], traced: set[str],
           alerted: str) -> tuple[set[str], dict[str, float]]:
    """Where more requests came in, and the load each service bears.

    The entry of a surge is a service whose traffic rose more than any service upstream of it
    did (traces are sparse: a surge from the top can reach it past the callers seen; without a
    call graph: the largest rise, since a surge is diluted by the other traffic of the services
    it reaches, and among equal rises the alerted service's): its surge is its own evidence,
    below it load is inherited. A service bears at least the surge its callers received (a
    database that counts no requests of its own, or fewer than were sent its way)."""
    top_load = max((r for s, r in load.items() if s not in traced), default=1.0)
    largest = {s for s, r in load.items() if s not in traced and r * LOAD_SLACK >= top_load}
    if alerted in largest:
        largest = {alerted}   # as large a surge as any on the service whose users alerted: it came in there
    entry = largest | {s for s, r in load.items()
                       if s in traced and r > LOAD_SLACK * max((load.get(c, 1.0) for c in descendants(callers, s)), default=1.0)}
    borne = dict(load)
    for s, ups in callers.items():
        loaded = [load[c] for c in ups if c in load]
        if loaded:
            borne[s] = max(borne.get(s, 1.0), *loaded)
    return entry, borne
