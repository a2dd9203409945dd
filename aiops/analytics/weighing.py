"""How much one finding weighs for a service, and what it says about the fault.

A finding is *own* evidence (the service's own behaviour: resource pressure, self time and
own errors in traces, its own exceptions in logs, cluster warnings, changes, a symptom only
one of its replicas shows) or a *symptom* that callers inherit from a faulty dependency
(latency, errors, traffic, failed calls, being named in others' error lines). Own evidence
weighs more; a drop in work done is a weak symptom; a metric whose exceedances never hold
together is half evidence; a latency rise weighs by its ratio, since a callee's added
latency reaches its callers diluted by their own time.
"""

from __future__ import annotations

import math
import re
from typing import Iterable

from aiops.analytics.signals import FAULT_OF_CLASS, OWN_CLASSES
from aiops.analytics.units import pressure_sign
from aiops.domain import FaultKind, Finding

OWN_WEIGHT = {"metric": 0.9, "trace": 0.95, "log": 0.8, "event": 0.8}
PRESSURE_CLASSES = frozenset({"cpu", "memory", "disk", "pool"})   # resources that run out
SYMPTOM_WEIGHT = {"metric": 0.7, "trace": 0.6, "log": 0.7, "event": 0.3}
DROP_FACTOR = 0.6           # a drop in work done is a weak symptom
SCATTERED_FACTOR = 0.5      # a metric whose exceedances never hold together: half the weight
LATENCY_RATIO_FULL = 100.0  # a latency rise of this factor counts in full, 1.0 for half
WRONG_WAY_FACTOR = 0.3      # latency or errors that fell: rarely where a fault is
LATE_S = 180.0              # a metric change first seen this long after the onset hint, and after the
                            # first sample that followed it, is a consequence (metrics.scan tags it `late`)
FELT_RATIO = 1.25           # a latency rise of this factor is felt in full by the requests (it bears out a resource)
TRAFFIC_FACTOR = 0.6        # traffic that moved (or routine log lines that rose) follows the users (or a fault
                            # elsewhere) more often than it causes
# What an error line says about the fault, in generic operator vocabulary.
_LOG_FAULTS: list[tuple[re.Pattern[str], FaultKind]] = [
    (re.compile(r"pool|connection is not available|too many connections|exhausted", re.I), "resource_exhaustion"),
    (re.compile(r"out ?of ?memory|\boom|memoryerror|heap space", re.I), "memory_leak"),
    (re.compile(r"no space left|disk (is )?full|quota exceeded|enospc", re.I), "disk_pressure"),
    (re.compile(r"deadline|timed? ?out|timeout", re.I), "latency"),
]
_INVERSE = re.compile(r"avail|free|remaining|idle|headroom|capacity_left", re.IGNORECASE)


def is_own(f: Finding) -> bool:
    """Does this finding describe the service's own behaviour (vs an inherited symptom)?"""
    tags = set(f.tags)
    if "inherited" in tags:
        return False
    if f.kind == "metric":
        if "pod_specific" in tags:
            return True       # one replica's symptom its siblings do not share: its own
        if not tags & OWN_CLASSES:
            return False
        pressure = -1 if _INVERSE.search(f.signal) else 1
        return f.direction == 0 or f.direction == pressure
    if f.kind == "trace":
        return "own" in tags
    if f.kind == "log":
        # its own exceptions, not failed calls nor being named in others' errors (both are
        # inherited along the call chain)
        return "own" in tags
    if f.kind == "event":
        return "warning" in tags or "change" in tags
    return False


def is_drop(f: Finding) -> bool:
    """Less work done (traffic, cpu, network falling) — what starved callers and callees show."""
    pressure = -1 if _INVERSE.search(f.signal) else 1
    return f.direction == -pressure and not set(f.tags) & {"errors", "latency"}


def class_of(f: Finding) -> str:
    """The evidence class a finding counts under (one maximum per class and service)."""
    tags = set(f.tags)
    if f.kind == "metric":
        return next((t for t in f.tags if t in FAULT_OF_CLASS), "other")
    if f.kind == "trace":
        return "errors" if tags & {"errors", "error"} else "traffic" if "traffic" in tags else "latency"
    if f.kind == "log":
        return "mentioned" if "mentioned" in tags else "error" if "error" in tags else "new" if "new" in tags else "rate"
    return f.tags[0] if f.tags else f.signal


def weight_of(f: Finding, own: bool) -> float:
    """The weight of `f` for its service, as own evidence or as a symptom."""
    weight = (OWN_WEIGHT if own else SYMPTOM_WEIGHT)[f.kind] * f.score
    if not own and f.kind == "metric" and is_drop(f):
        weight *= DROP_FACTOR
    if f.kind == "metric" and f.direction < 0 and set(f.tags) & {"latency", "errors"}:
        weight *= WRONG_WAY_FACTOR
    if f.kind in ("metric", "trace") and "traffic" in f.tags and not own:
        weight *= TRAFFIC_FACTOR
    if f.kind == "metric" and f.onset is None:
        weight *= SCATTERED_FACTOR
    if f.kind == "log" and not own and not set(f.tags) & {"error", "mentioned"}:
        weight *= TRAFFIC_FACTOR      # more routine (non-error) lines: what the service was asked to do
    if f.kind == "metric" and "latency" in f.tags and f.direction > 0:
        weight *= latency_size(f.magnitude)
    return weight


def latency_size(ratio: float) -> float:
    """Weight of a latency rise by its after/before ratio. A callee's added latency reaches a
    caller diluted by the caller's own time, so the relative rise is largest at its origin."""
    if not math.isfinite(ratio) or ratio <= 0:
        return 1.0
    return 0.5 + 0.5 * min(1.0, max(0.0, math.log(ratio)) / math.log(LATENCY_RATIO_FULL))


def _fault_named(f: Finding) -> FaultKind:
    tags = set(f.tags)
    if f.kind == "event" and "change" in tags:
        return "bad_deploy" if "deploy" in tags else "config_change"
    if f.kind == "event" and "oom" in tags:
        return "memory_leak"
    if f.kind == "event":
        return "crash_or_restart"
    if f.kind == "trace":
        return "error_burst" if tags & {"errors", "error"} else "latency"
    if f.kind == "log":
        if "mentioned" in tags:
            return "dependency_failure"
        return next((fault for pat, fault in _LOG_FAULTS if pat.search(f.summary)), "error_burst")
    cls = next((t for t in f.tags if t in FAULT_OF_CLASS), "other")
    if not _pressure_way(f, cls):
        return "anomaly"          # CPU or latency that fell names no saturation or slowdown
    return FAULT_OF_CLASS.get(cls, "anomaly")


def _pressure_way(f: Finding, cls: str) -> bool:
    """Does a metric finding move the way its class's fault would move it? Usage, latency
    and errors rise; free/available/idle series fall; network and traffic may go either way."""
    if cls in ("network", "traffic", "other") or f.direction == 0:
        return True
    return f.direction == (pressure_sign(f.signal) if cls in PRESSURE_CLASSES else 1)


def _names_a_cause(f: Finding) -> bool:
    """Evidence of what broke (a change, a crash, a resource running out, a telling error
    line) rather than of how it shows (latency, errors, traffic)."""
    if f.kind == "event":
        return True
    if f.kind == "metric":
        cls = next((t for t in f.tags if t in OWN_CLASSES), "")
        return bool(cls) and _pressure_way(f, cls)
    if f.kind == "log":
        return any(pat.search(f.summary) for pat, fault in _LOG_FAULTS if fault != "latency")
    return False


def fault_of(weighted: Iterable[tuple[float, Finding]]) -> FaultKind:
    """The fault the evidence points to: the strongest finding that names a cause, if it
    weighs at least 40 % of the strongest finding overall; else the strongest finding."""
    ranked = sorted(((w, f) for w, f in weighted if w > 0), key=lambda wf: -wf[0])
    if not ranked:                    # nothing passed as evidence (weak findings only)
        return "none"
    top = ranked[0][0]
    causes = [(w, f) for w, f in ranked if _names_a_cause(f) and w >= 0.4 * top]
    if not causes:
        return _fault_named(ranked[0][1])
    fault = _fault_named(causes[0][1])
    # Memory that climbs makes the garbage collector burn CPU: with both, the leak is the cause.
    if fault == "cpu_saturation" and any("memory" in f.tags and f.direction > 0 and w >= 0.6 * causes[0][0]
                                         for w, f in causes):
        return "memory_leak"
    return fault


def felt(f: Finding) -> float:
    """How far a latency rise is felt by the requests: in full from FELT_RATIO up, less for less
    (a p50 from 1.29 to 1.48 ms is certain on a steady series, and hurt nobody)."""
    if f.kind != "metric" or "latency" not in f.tags or not math.isfinite(f.magnitude) or f.magnitude <= 0:
        return 1.0
    return min(1.0, max(0.0, math.log(f.magnitude)) / math.log(FELT_RATIO))


SLOWNESS_ONLY = frozenset({"cpu", "network", "memory", "latency", "traffic", "new", "rate"})


def can_fail(f: Finding) -> bool:
    """Could what `f` shows make requests fail? Errors, error lines, crashes, changes, exhausted
    pools, a full disk and measures of no known class (availability) can; resources, slowness,
    traffic and routine lines alone only slow requests down."""
    if f.kind == "event":
        return True
    cls = class_of(f)
    return cls not in SLOWNESS_ONLY and not (f.kind == "metric" and cls == "errors" and f.direction < 0)


def fits_alert(findings: list[tuple[float, Finding]], symptom: str) -> bool:
    """Could a service's evidence, (weight, finding) pairs, have caused what the alert says
    (`Incident.alerted_symptom`)? An error alert needs something that makes requests fail
    (`can_fail`), a latency alert something besides failures. Findings below the evidence
    threshold (`weak`) count; a service with no evidence at all is not judged."""
    shown = [f for w, f in findings if w > 0 or "weak" in f.tags]
    if not shown or symptom not in ("errors", "latency"):
        return True
    if symptom == "errors":
        return any(can_fail(f) for f in shown)
    return any(class_of(f) not in ("errors", "error") for f in shown)
