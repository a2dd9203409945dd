"""A ranked candidate root cause, how confident the ranking is in each, and the evidence shown
for it (`ranking.rank_candidates` makes them)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from aiops.domain import Evidence, FaultKind, Finding


@dataclass
class Candidate:
    service: str
    own: float = 0.0
    symptom: float = 0.0
    score: float = 0.0
    onset: float | None = None
    dated: float | None = None           # earliest onset of its findings of at least TIMED
    first_seen: float | None = None      # earliest onset of any finding that weighs (not late)
    explained_by: str = ""
    onset_typical: float | None = None   # weighted median onset of its timed findings
    strength: float = 0.0                # how anomalous, as an explanation of its callers
    strength_alone: float = 0.0          # ... not counting what its callers' client spans saw
    traced_own: bool = False             # its own trace time or errors changed
    slowed: float = 0.0                  # its requests slowed: the weight of that evidence
    fault: FaultKind = "unknown"
    component: str = ""
    marginal: float = 0.0                # how far its most moved series moved (robust z), when nothing passed as evidence
    findings: list[tuple[float, Finding]] = field(default_factory=list)  # (weight, finding)


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
