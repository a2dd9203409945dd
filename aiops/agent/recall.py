"""The incident memory's step in a run: recall similar past incidents when answering, and
remember the run once it has answered.

    recall = recall_memory(state, ranked, verdict)   # in the reporter, after the ranking
    recall.ranked, recall.evidence[service], recall.notes
    remember_run(memory, state, diagnosis)           # in the session, after the answer

Recall is a separate, bounded step after the evidence ranking (aiops.memory.recall.boosts):
it may lift a suspect with new evidence by at most memory.max_boost, never lowers one, and
adds an evidence line "incident memory: seen 3 times; twice confirmed: ..." to the
suspects a past verdict confirmed. With a reasoner's own ranking (a model's) the order is
left alone and only the citations are added.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiops.domain import Diagnosis, Evidence

if TYPE_CHECKING:
    from aiops.agent.reasoners.base import Verdict
    from aiops.agent.state import RunState
    from aiops.analytics.candidates import Candidate
    from aiops.memory.store import IncidentMemory

SUSPECTS = 5          # how many of the ranking's first candidates the memory may speak for


@dataclass
class Recall:
    ranked: list["Candidate"]
    evidence: dict[str, Evidence] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    boosts: dict[str, float] = field(default_factory=dict)


def recall_memory(state: "RunState", ranked: list["Candidate"], verdict: "Verdict | None") -> Recall:
    from aiops.memory.recall import boosts, citation, overview
    from aiops.memory.signature import signature_of

    memory = getattr(state, "memory", None)
    if memory is None or not ranked:
        return Recall(ranked)
    cfg = state.settings.memory
    try:
        recalled = memory.similar(signature_of(state.incident, state.findings, suspects_of(state, ranked)),
                                  min_similarity=cfg.min_similarity, limit=cfg.max_recalled, exclude=state.run_id)
    except OSError as exc:
        return Recall(ranked, notes=[f"incident memory unreadable ({memory.path}: {exc.strerror or exc})"])
    if not recalled:
        return Recall(ranked)
    hyp = {h.service: h.fault for h in (verdict.hypotheses if verdict else [])}
    suspects = [(c.service, hyp.get(c.service, c.fault), c.score) for c in ranked[:SUSPECTS]]
    lift = {} if verdict is not None and verdict.ranking else boosts(recalled, suspects, cfg.max_boost)
    order = ranked
    if lift:
        raised = [dataclasses.replace(c, score=c.score + lift.get(c.service, 0.0)) for c in ranked]
        order = [c for _, c in sorted(enumerate(raised), key=lambda ic: (-ic[1].score, ic[0]))]
    evidence = {}
    for service, fault, _ in suspects:
        line = citation(recalled, service, fault)
        if line:
            runs = ",".join(r.past.run_id for r in recalled if r.past.confirmed and r.past.confirmed.service == service)
            evidence[service] = Evidence("knowledge", line, ref=f"runs:{runs}", weight=lift.get(service, 0.0))
    notes = [overview(recalled)]
    if order[0].service != ranked[0].service:
        notes.append(f"incident memory lifted {order[0].service} (+{lift[order[0].service]:.3f}, at most "
                     f"memory.max_boost = {cfg.max_boost:g}) ahead of {ranked[0].service}")
    return Recall(order, evidence, notes, lift)


def suspects_of(state: "RunState", ranked: list["Candidate"]) -> set[str]:
    """The services whose evidence makes the signature, as the report will rank them."""
    from aiops.analytics.candidates import confidences
    from aiops.memory.signature import focus

    shown = ranked[:max(state.settings.diagnose.max_root_causes, 5)]
    return focus([(c.service, conf) for c, conf in zip(shown, confidences(shown))])


def remember_run(memory: "IncidentMemory", state: "RunState", d: Diagnosis) -> str:
    """Keep the finished run; '' when kept, else a note saying why not."""
    from aiops.memory.signature import focus, signature_of
    from aiops.memory.store import Cause

    causes = [Cause(c.service, c.fault, c.confidence) for c in d.root_causes[:3] if c.confidence > 0]
    suspects = focus([(c.service, c.confidence) for c in d.root_causes])
    try:
        memory.remember(state.run_id, d.incident.title, signature_of(state.incident, state.findings, suspects), causes,
                        extra={"alertname": d.incident.alert.get("alertname", "")})
    except OSError as exc:
        return f"incident memory: this run was not remembered ({memory.path}: {exc.strerror or exc})"
    return ""
