"""Root-cause ranking: combine metric, log, trace and change evidence over the service graph.

Input is a flat list of `Finding`s (any subset of signal kinds) plus, when traces exist, the
caller -> callees graph. Each service gets two scores:

* **own** — evidence about the service's own behaviour: resource metrics (cpu, memory,
  disk, network, restarts, pools), trace self-time/own errors, its own error logs, k8s
  warnings (OOMKilled, BackOff) and changes (deploy, config) shortly before the onset;
* **symptom** — latency, error-rate and traffic changes, which callers inherit from a
  faulty dependency.

Symptoms explained by an anomalous dependency (a transitive callee whose anomaly began no
later) are discounted, so the deepest anomalous service wins over its louder callers. Among
close candidates the earlier onset wins. Scores combine by noisy-OR, so any subset of
signals works.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from aiops.analytics.signals import FAULT_OF_CLASS, OWN_CLASSES
from aiops.domain import Evidence, Finding

# How much each kind of evidence counts (before its own score in [0, 1]).
OWN_WEIGHT = {"metric": 0.9, "trace": 0.95, "log": 0.75, "event": 0.8}
SYMPTOM_WEIGHT = {"metric": 0.7, "trace": 0.6, "log": 0.5, "event": 0.3}
EXPLAINED_FACTOR = 0.25     # a symptom explained by an anomalous dependency keeps this much
ONSET_TOLERANCE_S = 60.0    # clock skew and scrape spacing: onsets this close count as together
STRONG = 0.5                # a dependency this anomalous can explain its callers' symptoms


@dataclass
class Candidate:
    service: str
    own: float = 0.0
    symptom: float = 0.0
    score: float = 0.0
    onset: float | None = None
    explained_by: str = ""
    fault: str = "unknown"
    component: str = ""
    findings: list[tuple[float, Finding]] = field(default_factory=list)  # (weight, finding)


def is_own(f: Finding) -> bool:
    """Does this finding describe the service's own behaviour (vs an inherited symptom)?"""
    tags = set(f.tags)
    if "inherited" in tags:
        return False
    if f.kind == "metric":
        return bool(tags & OWN_CLASSES)
    if f.kind == "trace":
        return "own" in tags
    if f.kind == "log":
        return "error" in tags and "mentions_dependency" not in tags
    if f.kind == "event":
        return "warning" in tags or "change" in tags
    return False


def _class_of(f: Finding) -> str:
    """The evidence class a finding counts under (one maximum per class and service)."""
    tags = set(f.tags)
    if f.kind == "metric":
        return next((t for t in f.tags if t in FAULT_OF_CLASS), "other")
    if f.kind == "trace":
        return "errors" if "errors" in tags else "latency"
    if f.kind == "log":
        return "error" if "error" in tags else "new" if "new" in tags else "rate"
    return f.tags[0] if f.tags else f.signal


def _noisy_or(values: list[float]) -> float:
    p = 1.0
    for v in values:
        p *= 1.0 - max(0.0, min(1.0, v))
    return 1.0 - p


def _descendants(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    stack = list(graph.get(start, ()))
    while stack:
        node = stack.pop()
        if node in seen or node == start:
            continue
        seen.add(node)
        stack.extend(graph.get(node, ()))
    return seen


def _fault_of(c: Candidate) -> str:
    best: tuple[float, str] = (-1.0, "unknown")
    for weight, f in c.findings:
        tags = set(f.tags)
        if f.kind == "event" and "change" in tags:
            label = "bad_deploy" if "deploy" in tags else "config_change"
        elif f.kind == "event" and "oom" in tags:
            label = "memory_leak"
        elif f.kind == "event" and "warning" in tags:
            label = "crash_or_restart"
        elif f.kind == "trace":
            label = "error_burst" if "errors" in tags else "latency"
        elif f.kind == "log":
            label = "error_burst"
        else:
            cls = next((t for t in f.tags if t in FAULT_OF_CLASS), "other")
            label = FAULT_OF_CLASS.get(cls, "anomaly")
        if weight > best[0]:
            best = (weight, label)
    return best[1]


def rank_candidates(
    findings: list[Finding],
    services: list[str],
    graph: dict[str, set[str]] | None = None,
    onset_hint: float | None = None,
) -> list[Candidate]:
    """Rank every service with data; best first. Pure and deterministic."""
    graph = graph or {}
    cands = {s: Candidate(s) for s in services}
    # One value per (service, own?, kind, class): a service with many series of one kind
    # must not outscore a service with one clear signal just by having more series.
    parts: dict[str, dict[tuple[bool, str, str], float]] = defaultdict(dict)
    changes: dict[str, float] = defaultdict(float)
    for f in findings:
        if not f.service:
            continue
        c = cands.setdefault(f.service, Candidate(f.service))
        own = is_own(f)
        weight = (OWN_WEIGHT if own else SYMPTOM_WEIGHT)[f.kind] * f.score
        c.findings.append((weight, f))
        if f.kind == "event" and "change" in f.tags:
            changes[f.service] = max(changes[f.service], weight)   # gated below
            continue
        key = (own, f.kind, _class_of(f))
        parts[f.service][key] = max(parts[f.service].get(key, 0.0), weight)
        if f.onset is not None and f.score >= STRONG and f.kind != "event":
            c.onset = f.onset if c.onset is None else min(c.onset, f.onset)
    for s, c in cands.items():
        own_vals = [v for (own, _, _), v in parts[s].items() if own]
        sym_vals = [v for (own, _, _), v in parts[s].items() if not own]
        behaviour = _noisy_or(own_vals + sym_vals)
        # A change (deploy, config) is suspicious only where behaviour changed too: routine
        # deploys of healthy services must not outrank the culprit.
        if changes[s]:
            own_vals.append(changes[s] * min(1.0, behaviour / STRONG))
        c.own = _noisy_or(own_vals)
        c.symptom = _noisy_or(sym_vals)

    # Discount symptoms that an anomalous dependency explains.
    for s, c in cands.items():
        if c.symptom <= 0.0:
            continue
        for d in sorted(_descendants(graph, s)):
            dc = cands.get(d)
            if dc is None or max(dc.own, dc.symptom) < STRONG:
                continue
            if c.onset is None or dc.onset is None or dc.onset <= c.onset + ONSET_TOLERANCE_S:
                c.explained_by = d
                break

    onsets = [c.onset for c in cands.values() if c.onset is not None]
    first = min(onsets) if onsets else None
    for c in cands.values():
        symptom = c.symptom * (EXPLAINED_FACTOR if c.explained_by else 1.0)
        base = _noisy_or([c.own, symptom])
        # Earlier onset is a mild tie-breaker: up to 10 % for the first mover.
        if first is not None and c.onset is not None and base > 0:
            lag_min = max(0.0, (c.onset - first) / 60.0)
            base *= 0.9 + 0.1 * math.exp(-lag_min / 2.0)
        c.score = base
        c.findings.sort(key=lambda wf: (-wf[0], wf[1].signal))
        c.fault = _fault_of(c) if c.findings else "none"
        comps = [f.component for _, f in c.findings if f.component]
        c.component = comps[0] if comps else ""
    return sorted(cands.values(), key=lambda c: (-c.score, c.onset if c.onset is not None else math.inf, c.service))


def confidences(cands: list[Candidate], temperature: float = 0.15) -> list[float]:
    """Confidence of each candidate: its score tempered by how clearly it beats the rest."""
    if not cands:
        return []
    top = max(c.score for c in cands)
    exps = [math.exp((c.score - top) / temperature) for c in cands]
    total = sum(exps)
    return [round(min(c.score, e / total) if total else 0.0, 4) for c, e in zip(cands, exps)]


def evidence_of(c: Candidate, limit: int = 6) -> tuple[Evidence, ...]:
    out: list[Evidence] = []
    seen: set[str] = set()
    for weight, f in c.findings:
        if f.summary in seen:
            continue
        seen.add(f.summary)
        out.append(Evidence(kind=f.kind, summary=f.summary, ref=f.ref, weight=round(weight, 4), at=f.onset))
        if len(out) >= limit:
            break
    return tuple(out)
