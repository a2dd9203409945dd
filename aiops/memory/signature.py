"""What makes two incidents alike: a signature of four facets, and a similarity between two.

    services   the services with strong evidence (score >= 0.5)
    symptoms   what the strong evidence is: "metric:latency", "metric:container_memory_working_set_bytes",
               "log:error", "event:oom" ... (signal kinds, classes and metric names, never values)
    templates  the log templates behind the log evidence (their stable ids)
    alert      the alert's labels as "name=value", less the ones that differ per replica

Built from the evidence of the run's suspects only (`focus`): over the simulated corpus
(10 fault kinds x 3 occurrences on the same service), pairs of the same fault then score
0.63 on average and other pairs 0.20 (0.57 and 0.32 from every service's evidence).

Similarity is the weighted mean of the facets' Jaccard overlaps, over the facets either
incident has (a facet both lack says nothing). Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from aiops.domain import Finding, Incident

STRONG = 0.5
WEIGHTS = {"services": 0.3, "symptoms": 0.3, "templates": 0.2, "alert": 0.2}
VOLATILE_LABELS = frozenset({"pod", "instance", "container", "id", "pod_name", "uid", "endpoint", "prometheus",
                             "replica", "hostname", "node"})
_PLAIN_TAGS = frozenset({"pod_specific", "increase", "call", "client_side"})
MAX_ITEMS = 60           # per facet: a signature stays small on disk


@dataclass(frozen=True)
class Signature:
    services: frozenset[str] = field(default_factory=frozenset)
    symptoms: frozenset[str] = field(default_factory=frozenset)
    templates: frozenset[str] = field(default_factory=frozenset)
    alert: frozenset[str] = field(default_factory=frozenset)

    def facets(self) -> dict[str, frozenset[str]]:
        return {"services": self.services, "symptoms": self.symptoms, "templates": self.templates, "alert": self.alert}

    def to_dict(self) -> dict[str, list[str]]:
        return {k: sorted(v) for k, v in self.facets().items()}

    @classmethod
    def from_dict(cls, d: dict) -> "Signature":
        def items(key: str) -> frozenset[str]:
            v = d.get(key) or []
            return frozenset(str(x) for x in v) if isinstance(v, list) else frozenset()

        return cls(items("services"), items("symptoms"), items("templates"), items("alert"))


def _capped(values: Iterable[str]) -> frozenset[str]:
    return frozenset(sorted(set(values))[:MAX_ITEMS])


def focus(causes: list[tuple[str, float]]) -> set[str]:
    """The suspects a signature looks at: of the (service, confidence) ranking, best first, the
    top three above 5 % (at least the first). Their evidence is what the incident *is*;
    the symptoms their callers inherit look alike across very different faults."""
    picked = {s for s, c in causes[:3] if c > 0.05}
    return picked or ({causes[0][0]} if causes else set())


def signature_of(incident: Incident, findings: Iterable[Finding], suspects: Iterable[str] | None = None) -> Signature:
    """The incident's signature; with `suspects` (see `focus`) only their evidence counts."""
    keep = set(suspects) if suspects is not None else None
    strong = [f for f in findings if f.score >= STRONG and f.service and (keep is None or f.service in keep)]
    services = {f.service for f in strong}
    symptoms: set[str] = set()
    templates: set[str] = set()
    for f in strong:
        symptoms.update(f"{f.kind}:{t}" for t in f.tags if t not in _PLAIN_TAGS)
        if f.kind == "metric":
            symptoms.add(f"metric:{f.signal}")
        elif f.kind == "log" and "mentioned" not in f.tags:
            templates.add(f.signal)
        elif f.kind in ("event", "trace") and not f.tags:
            symptoms.add(f"{f.kind}:{f.signal}")
    alert = {f"{k}={v}" for k, v in incident.alert.items() if k not in VOLATILE_LABELS and v}
    return Signature(_capped(services), _capped(symptoms), _capped(templates), _capped(alert))


def similarity(a: Signature, b: Signature) -> float:
    """0..1: how alike two incidents are."""
    total = weight = 0.0
    fa, fb = a.facets(), b.facets()
    for name, w in WEIGHTS.items():
        x, y = fa[name], fb[name]
        if not x and not y:
            continue
        weight += w
        total += w * len(x & y) / len(x | y)
    return total / weight if weight else 0.0
