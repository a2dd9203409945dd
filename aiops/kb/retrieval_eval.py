"""Retrieval quality on a labelled query set: recall@1, recall@5 and mean reciprocal rank.

A query counts as answered at rank r when the r-th document returned (one hit per
document) is the expected one. Used by the tests (quality floor) and bench/bench_kb.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aiops.errors import BadInputError
from aiops.kb.knowledge_base import KnowledgeBase
from aiops.yamlfile import load_yaml


@dataclass(frozen=True)
class LabelledQuery:
    query: str
    expect: str  # file name of the runbook that answers it, e.g. "oomkilled.md"


@dataclass
class RetrievalScores:
    queries: int
    recall_at_1: float
    recall_at_5: float
    mrr: float
    misses: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (query, expected, got top 5)

    def line(self, label: str) -> str:
        return f"{label:<22} recall@1 {self.recall_at_1:.3f}  recall@5 {self.recall_at_5:.3f}  MRR {self.mrr:.3f}  (n={self.queries})"


def load_queries(path: Path) -> list[LabelledQuery]:
    data = load_yaml(path.read_text(encoding="utf-8"))
    if not isinstance(data, list) or not all(isinstance(d, dict) and "q" in d and "expect" in d for d in data):
        raise BadInputError(f"{path}: expected a list of {{q: ..., expect: ...}} entries")
    return [LabelledQuery(str(d["q"]), str(d["expect"])) for d in data]


def evaluate(kb: KnowledgeBase, queries: Sequence[LabelledQuery], mode: str = "hybrid", depth: int = 10) -> RetrievalScores:
    hits1 = hits5 = 0
    rr = 0.0
    misses = []
    for item in queries:
        names = [Path(h.source).name for h in kb.search(item.query, k=depth, mode=mode)]
        rank = names.index(item.expect) + 1 if item.expect in names else 0
        hits1 += rank == 1
        hits5 += 0 < rank <= 5
        rr += 1.0 / rank if rank else 0.0
        if not 0 < rank <= 5:
            misses.append((item.query, item.expect, names[:5]))
    n = max(len(queries), 1)
    return RetrievalScores(len(queries), hits1 / n, hits5 / n, rr / n, misses)
