"""A sync killed with SIGKILL in the middle of writing a document leaves a consistent store,
and the next sync completes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from aiops.kb import HashingEmbedder, KnowledgeBase
from aiops.kb.store import KbStore

REPO = Path(__file__).resolve().parents[3]

# Runs a sync in a child process and parks it *inside* the transaction of the N-th document
# (after its chunks and vectors were inserted, before its postings), waiting to be killed.
CHILD = r"""
import sys
from pathlib import Path
from aiops.kb import HashingEmbedder, KnowledgeBase
from aiops.kb.store import KbStore

db, docs, stop_at = sys.argv[1], sys.argv[2], int(sys.argv[3])
original = KbStore._insert_vectors
calls = []

def parked(self, *args, **kwargs):
    original(self, *args, **kwargs)
    calls.append(1)
    if len(calls) == stop_at:
        print("parked inside transaction", flush=True)
        sys.stdin.readline()  # never answered: the parent kills us here

KbStore._insert_vectors = parked
kb = KnowledgeBase.open(Path(db), HashingEmbedder(dim=64), progress=lambda m: print(m, flush=True))
kb.sync(Path(docs))
print("finished", flush=True)
"""


def write_docs(root: Path, n: int) -> None:
    root.mkdir()
    for i in range(n):
        (root / f"doc{i:02d}.md").write_text(
            f"# Runbook {i}\n\nIntro {i}.\n\n## Symptoms\n\nAlert number {i} fired.\n\n## Fix\n\nRestart worker {i}.\n")


def consistency_problems(db: Path) -> list[str]:
    store = KbStore(db)
    try:
        checks = {
            "chunks without document": "SELECT count(*) FROM kb_chunks WHERE doc_id NOT IN (SELECT doc_id FROM kb_documents)",
            "documents without chunks": "SELECT count(*) FROM kb_documents WHERE doc_id NOT IN (SELECT doc_id FROM kb_chunks)",
            "chunks without vector": "SELECT count(*) FROM kb_chunks WHERE chunk_id NOT IN (SELECT chunk_id FROM kb_vectors)",
            "vectors without chunk": "SELECT count(*) FROM kb_vectors WHERE chunk_id NOT IN (SELECT chunk_id FROM kb_chunks)",
            "chunks without postings": "SELECT count(*) FROM kb_chunks WHERE chunk_id NOT IN (SELECT chunk_id FROM kb_postings)",
            "postings without chunk": "SELECT count(*) FROM kb_postings WHERE chunk_id NOT IN (SELECT chunk_id FROM kb_chunks)",
            "duplicate sources": "SELECT count(*) - count(DISTINCT source) FROM kb_documents",
        }
        return [name for name, sql in checks.items() if store.fetch(sql)[0][0]]
    finally:
        store.close()


def test_killed_sync_leaves_a_consistent_store_and_the_next_sync_completes(tmp_path: Path) -> None:
    docs, db = tmp_path / "docs", tmp_path / "kb.duckdb"
    write_docs(docs, 8)
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(db), str(docs), "4"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    lines = []
    try:
        for line in child.stdout:  # ends at EOF if the child dies early
            lines.append(line.strip())
            if line.startswith("parked"):
                break
        assert lines and lines[-1] == "parked inside transaction", (lines, child.stderr.read() if child.poll() is not None else "")
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert sum(line.startswith("added") for line in lines) == 3  # three documents committed before the kill

    assert consistency_problems(db) == []
    with KnowledgeBase.open(db, HashingEmbedder(dim=64)) as kb:
        assert kb.stats()["documents"] == 3
        report = kb.sync(docs)
        assert len(report.added) == 5 and report.errors == []
        assert kb.stats()["documents"] == 8
        assert kb.search("alert number 5 fired", k=1)[0].title == "Runbook 5"
    assert consistency_problems(db) == []

    clean = tmp_path / "clean.duckdb"
    with KnowledgeBase.open(clean, HashingEmbedder(dim=64)) as fresh:
        fresh.sync(docs)
    rows = "SELECT d.source, c.section, c.content_hash FROM kb_chunks c JOIN kb_documents d USING (doc_id) ORDER BY 1, 2, 3"
    recovered_store, clean_store = KbStore(db), KbStore(clean)
    try:
        assert recovered_store.fetch(rows) == clean_store.fetch(rows)
    finally:
        recovered_store.close()
        clean_store.close()
