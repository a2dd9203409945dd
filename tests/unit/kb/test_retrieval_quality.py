"""The labelled query set: operators' questions mapped to the shipped runbook that answers them."""

from __future__ import annotations

from pathlib import Path

from aiops.kb import KnowledgeBase
from aiops.kb.retrieval_eval import evaluate, load_queries
from aiops.resources import content_dir

QUERIES = Path(__file__).with_name("queries.yaml")


def test_query_set_is_large_and_points_at_real_runbooks() -> None:
    queries = load_queries(QUERIES)
    runbooks = {p.name for p in content_dir("knowledge").glob("*.md")}
    assert len(queries) >= 60
    assert {q.expect for q in queries} <= runbooks
    assert len({q.query for q in queries}) == len(queries)


def test_default_embedder_hybrid_recall_at_5_is_at_least_0_9(builtin_kb: KnowledgeBase) -> None:
    scores = evaluate(builtin_kb, load_queries(QUERIES))
    assert scores.recall_at_5 >= 0.9, scores.misses
    assert scores.recall_at_1 >= 0.75, scores.misses
    assert scores.mrr >= 0.8


def test_hybrid_is_not_worse_than_either_half(builtin_kb: KnowledgeBase) -> None:
    queries = load_queries(QUERIES)
    hybrid = evaluate(builtin_kb, queries, mode="hybrid")
    for mode in ("keyword", "vector"):
        assert hybrid.mrr >= evaluate(builtin_kb, queries, mode=mode).mrr - 0.02, mode
