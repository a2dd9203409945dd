from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aiops.errors import SourceError

from aiops.config import load_settings
from aiops.kb import KnowledgeBase, kb_path, open_default_kb, open_knowledge_base
from aiops.resources import content_dir

REPO = Path(__file__).resolve().parents[3]


def settings_for(data_dir: Path, **extra: str):
    return load_settings(env={"AIOPS_GENERAL_DATA_DIR": str(data_dir), **extra})


def test_default_store_lives_in_the_data_dir_and_holds_the_shipped_runbooks(builtin_store_file: Path) -> None:
    settings = settings_for(builtin_store_file.parent)
    assert kb_path(settings) == builtin_store_file
    assert builtin_store_file.is_file()
    with open_default_kb(settings) as kb:
        stats = kb.stats()
        assert stats["by_origin"] == {"built-in": len(list(content_dir("knowledge").glob("*.md")))}
        hit = kb.search("pods restarting with exit code 137", k=3)
        assert "knowledge/oomkilled.md" in [h.source for h in hit]


def test_reopening_with_nothing_changed_is_fast_and_embeds_nothing(data_dir: Path) -> None:
    settings = settings_for(data_dir)
    open_default_kb(settings).close()  # warm the OS file cache, as a previous diagnosis would
    started = time.perf_counter()
    with open_default_kb(settings) as kb:
        generation = kb.stats()["generation"]
        kb.search("certificate expired", k=5)
    elapsed = time.perf_counter() - started
    with open_default_kb(settings) as kb:
        assert kb.stats()["generation"] == generation  # nothing was rewritten
    assert elapsed < 0.5, f"opening an up-to-date store and searching took {elapsed:.2f}s"


def test_user_documents_and_shipped_runbooks_share_one_store(data_dir: Path, docs: Path) -> None:
    settings = settings_for(data_dir)
    with open_knowledge_base(settings) as kb:     # writers open the store; readers its snapshot
        kb.sync(docs)
    with open_default_kb(settings) as kb:
        assert kb.stats()["by_origin"]["user"] == 3
        assert kb.search("pgbouncer free server connections", k=1)[0].title == "Payment service runbook"


def test_shipped_runbooks_can_be_left_out(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "data", AIOPS_KB_INCLUDE_BUILTIN="false")
    with open_default_kb(settings) as kb:
        assert kb.stats()["documents"] == 0


def _hold_for_writing(path: Path) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, duckdb; c = duckdb.connect(sys.argv[1]); print('holding', flush=True); sys.stdin.readline()", str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)})
    assert holder.stdout.readline().strip() == "holding"
    return holder


def test_a_store_held_for_writing_is_read_from_its_published_snapshot(data_dir: Path) -> None:
    settings = settings_for(data_dir, AIOPS_KB_LOCK_WAIT_S="0.3")
    path = kb_path(settings)
    holder = _hold_for_writing(path)
    try:
        with open_default_kb(settings) as kb:
            assert kb.stats()["path"] == str(path) and kb.notes == []
            assert kb.search("kafka consumer lag growing", k=1)[0].source == "knowledge/queue-backlog-consumer-lag.md"
    finally:
        holder.kill()
        holder.wait(timeout=30)


def test_busy_store_without_a_snapshot_falls_back_to_the_shipped_runbooks_in_memory(data_dir: Path) -> None:
    # No snapshot published yet and the store held for writing past kb.lock_wait_s.
    settings = settings_for(data_dir, AIOPS_KB_LOCK_WAIT_S="0.3")
    path = kb_path(settings)
    (path.parent / (path.name + ".snapshot")).unlink()
    holder = _hold_for_writing(path)
    try:
        with open_default_kb(settings) as kb:
            assert kb.stats()["path"] == ":memory:"
            assert "in use by another process" in kb.notes[0]
            assert kb.search("kafka consumer lag growing", k=1)[0].source == "knowledge/queue-backlog-consumer-lag.md"
    finally:
        holder.kill()
        holder.wait(timeout=30)


def test_search_many_merges_questions_per_document(builtin_kb: KnowledgeBase) -> None:
    hits = builtin_kb.search_many(["memory usage keeps climbing", "container OOMKilled exit code 137"], k=3)
    sources = [h.source for h in hits]
    assert len(sources) == len(set(sources)) == 3
    assert sources[0] in ("knowledge/oomkilled.md", "knowledge/memory-leak.md")
    assert {"knowledge/oomkilled.md", "knowledge/memory-leak.md"} <= set(sources)


def test_not_a_duckdb_file_is_bad_input_naming_it(tmp_path: Path) -> None:
    bogus = tmp_path / "kb.duckdb"
    bogus.write_text("this is not a database")
    with pytest.raises(Exception) as err:
        KnowledgeBase.open(bogus, __import__("aiops.kb", fromlist=["HashingEmbedder"]).HashingEmbedder())
    assert str(bogus) in str(err.value)
    assert getattr(err.value, "exit_code", None) == 2


def test_unreachable_embedding_model_falls_back_to_the_builtin_embedder(data_dir: Path) -> None:
    def model_down(texts: list[str]) -> list[list[float]]:
        raise SourceError("embedding model unreachable: connection refused")

    settings = settings_for(data_dir, AIOPS_KB_EMBEDDER="litellm")
    with open_default_kb(settings, embed_fn=model_down) as kb:
        assert "embedding model unreachable" in kb.notes[0]
        assert kb.search("container OOMKilled exit code 137", k=1)[0].source == "knowledge/oomkilled.md"


def test_fault_filter_and_the_reference_a_diagnosis_cites(builtin_kb: KnowledgeBase) -> None:
    hits = builtin_kb.search("checkout requests time out", k=5, fault="connection_pool_exhaustion")
    assert hits and all("connection_pool_exhaustion" in h.faults for h in hits)
    assert hits[0].source == "knowledge/db-connection-pool-exhaustion.md"
    ref = hits[0].to_runbook_ref()
    assert (ref.title, ref.source) == (hits[0].title, hits[0].source) and 0 < ref.score <= 1
