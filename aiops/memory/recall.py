"""What the memory says about a new incident's suspects, as words and as one bounded term.

The term (`boosts`): a suspect whose service — and fault, when both are named — a similar
past incident's verdict confirmed gets

    boost = max_boost * share * best_similarity

where `share` is the confirming incidents' part of the similarity mass of every recalled
incident with a confirmed cause. It only ever adds (a past cause never lowers anyone), is
at most `max_boost`, and goes only to a suspect that has new evidence of its own now
(score >= MIN_EVIDENCE): the memory can break a near tie between suspects the evidence
already names, never put forward a service the evidence does not. Pure: no I/O.
"""

from __future__ import annotations

from collections import Counter

from aiops.memory.store import Cause, Recalled

MIN_EVIDENCE = 0.2


def times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def _agree(confirmed: Cause, fault: str) -> bool:
    return not confirmed.fault or not fault or confirmed.fault == fault


def confirming(recalled: list[Recalled], service: str, fault: str) -> list[Recalled]:
    return [r for r in recalled if r.past.confirmed is not None and r.past.confirmed.service == service
            and _agree(r.past.confirmed, fault)]


def boosts(recalled: list[Recalled], suspects: list[tuple[str, str, float]], max_boost: float) -> dict[str, float]:
    """service -> what its score gains; `suspects` are (service, fault, score) of the new run."""
    mass = sum(r.similarity for r in recalled if r.past.confirmed is not None)
    out: dict[str, float] = {}
    if mass <= 0:
        return out
    for service, fault, score in suspects:
        mine = confirming(recalled, service, fault)
        if not mine or score < MIN_EVIDENCE:
            continue
        share = sum(r.similarity for r in mine) / mass
        out[service] = round(max_boost * share * max(r.similarity for r in mine), 4)
    return out


def _confirmed_counts(recalled: list[Recalled]) -> list[tuple[Cause, int]]:
    counts = Counter((r.past.confirmed.service, r.past.confirmed.fault) for r in recalled if r.past.confirmed)
    return [(Cause(s, f), n) for (s, f), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def overview(recalled: list[Recalled]) -> str:
    """One line for the diagnosis' notes: "seen 3 times; twice confirmed: ... (runs a, b)"."""
    if not recalled:
        return ""
    best = recalled[0]
    parts = [f"incident memory: seen {times(len(recalled))} before (most similar: run {best.past.run_id}, "
             f"{best.similarity:.2f}, \"{best.past.title[:80]}\")"]
    for cause, n in _confirmed_counts(recalled)[:3]:
        parts.append(f"{times(n)} confirmed: {cause.text()}")
    unjudged = sum(1 for r in recalled if not r.past.verdict)
    if unjudged:
        parts.append(f"{unjudged} without a verdict")
    return "; ".join(parts)


def citation(recalled: list[Recalled], service: str, fault: str) -> str:
    """The evidence line for one suspect, "" when no similar incident confirmed it."""
    mine = confirming(recalled, service, fault)
    if not mine:
        return ""
    cause = mine[0].past.confirmed
    runs = ", ".join(r.past.run_id for r in mine[:3])
    return (f"incident memory: seen {times(len(recalled))}; {times(len(mine))} confirmed: {cause.text()} "
            f"(run{'s' if len(mine) > 1 else ''} {runs}; similarity {mine[0].similarity:.2f})")
