"""Change and cluster events as evidence: deploys/config changes near the onset, k8s warnings.

Input: event dicts with `ts`, `kind`, `service`, `message` (the store's events table).
A change shortly *before* the onset is suspicious (decaying with distance); warnings
(OOMKilled, BackOff, Unhealthy, Evicted, restarts) after the baseline are the service's
own trouble.
"""

from __future__ import annotations

import math
import re
from typing import Any, Iterable

from aiops.domain import Finding
from aiops.timeutil import to_rfc3339

CHANGE_KINDS = {"deploy", "deployment", "rollout", "config", "configmap", "release", "scale", "feature_flag", "migration"}
_WARNING = re.compile(
    r"oomkill|out of memory|backoff|crashloop|unhealthy|evict|failed|error|killing|restart|"
    r"notready|probe|pressure|throttl|exceeded",
    re.IGNORECASE,
)
_OOM = re.compile(r"oom|out of memory", re.IGNORECASE)
_NORMAL = re.compile(r"\b(normal|scheduled|pulled|created|started|successfully|scaled up|ready)\b", re.IGNORECASE)

BEFORE_S = 1800.0   # changes up to 30 min before the onset count
AFTER_S = 300.0     # and up to 5 min after (clock skew, slow rollouts)


def change_score(event_ts: float, onset: float | None) -> float:
    """How suspicious a change at `event_ts` is for an incident that began at `onset`."""
    if onset is None:
        return 0.5
    lead = onset - event_ts
    if lead < -AFTER_S or lead > BEFORE_S:
        return 0.0
    if lead < 0:
        return 0.6
    return 0.3 + 0.65 * math.exp(-lead / 600.0)


def analyse_events(events: Iterable[dict[str, Any]], onset: float | None, baseline_end: float | None) -> list[Finding]:
    out: list[Finding] = []
    for ev in events:
        service = str(ev.get("service") or "")
        if not service:
            continue
        kind = str(ev.get("kind") or "").lower()
        msg = str(ev.get("message") or "")
        ts = float(ev["ts"])
        when = to_rfc3339(ts)
        if kind in CHANGE_KINDS:
            score = change_score(ts, onset)
            if score <= 0:
                continue
            tags = ("change", "deploy") if kind in {"deploy", "deployment", "rollout", "release"} else ("change", kind)
            out.append(Finding(kind="event", service=service, signal=kind, score=score, onset=ts,
                               summary=f"{kind} at {when}: {msg}".strip(), ref=f"events.jsonl@{when}", tags=tags))
            continue
        is_restart = kind in {"restart", "oom", "crash"}
        if not (is_restart or (_WARNING.search(msg) and not _NORMAL.search(msg))):
            continue
        if baseline_end is not None and ts < baseline_end - 60:
            continue
        tags = ("warning", "oom") if _OOM.search(msg) or kind == "oom" else ("warning", kind or "k8s_event")
        out.append(Finding(kind="event", service=service, signal=kind or "k8s_event", score=0.85, onset=ts,
                           summary=f"{kind or 'event'} at {when}: {msg}".strip(), ref=f"events.jsonl@{when}",
                           component=str(ev.get("pod") or ""), tags=tags))
    return out
