from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from aiops.errors import BadInputError
from aiops.kb import HashingEmbedder, KnowledgeBase, watch_directory
from aiops.kb.embedders import EmbedderError


def age(path: Path, seconds: float = 60.0) -> None:
    """Move a file's mtime into the past (out of the racy window), as an old file is."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - int(seconds * 1e9)))


def age_all(root: Path) -> None:
    for p in root.rglob("*"):
        if p.is_file():
            age(p)


def test_sync_indexes_supported_files_and_skips_others(kb: KnowledgeBase, docs: Path) -> None:
    report = kb.sync(docs)
    base = docs.resolve().as_posix()
    assert sorted(report.added) == [f"{base}/payments.md", f"{base}/team/kafka.html", f"{base}/team/oncall.txt"]
    assert report.errors == []
    stats = kb.stats()
    assert stats["documents"] == 3 and stats["chunks"] >= 5
    hit = kb.search("pgbouncer has no free server connections", k=1)[0]
    assert hit.title == "Payment service runbook" and hit.section == "Symptoms"
    assert hit.source == f"{base}/payments.md" and hit.faults == ("connection_pool_exhaustion",)


def test_second_sync_reads_nothing_and_embeds_nothing(kb: KnowledgeBase, docs: Path) -> None:
    age_all(docs)
    kb.sync(docs)
    report = kb.sync(docs)
    assert not report.changed and report.unchanged == 3 and report.chunks_embedded == 0


def test_editing_one_section_re_embeds_only_that_chunk(kb: KnowledgeBase, docs: Path) -> None:
    kb.sync(docs)
    page = docs / "payments.md"
    page.write_text(page.read_text().replace("raise `default_pool_size` to 40", "raise `default_pool_size` to 80"))
    report = kb.sync(docs)
    assert report.updated == [page.resolve().as_posix()]
    assert report.chunks_embedded == 1 and report.chunks_reused == 2
    assert "to 80" in kb.search("default_pool_size", k=1)[0].text


def test_touched_but_identical_file_is_not_reindexed(kb: KnowledgeBase, docs: Path) -> None:
    kb.sync(docs)
    generation = kb.stats()["generation"]
    os.utime(docs / "payments.md")  # new mtime, same bytes
    report = kb.sync(docs)
    assert not report.changed and kb.stats()["generation"] == generation


def test_same_size_edit_within_the_racy_window_is_detected(kb: KnowledgeBase, docs: Path) -> None:
    page = docs / "team" / "oncall.txt"
    kb.sync(docs)
    stat = page.stat()
    page.write_text(page.read_text().replace("15 minutes", "25 minutes"))  # same size
    os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns))                 # and same mtime
    assert kb.sync(docs).updated == [page.resolve().as_posix()]


def test_deleted_files_are_removed_from_the_store(kb: KnowledgeBase, docs: Path) -> None:
    kb.sync(docs)
    (docs / "team" / "kafka.html").unlink()
    report = kb.sync(docs)
    assert report.removed == [(docs / "team" / "kafka.html").resolve().as_posix()]
    assert all("kafka" not in h.source for h in kb.search("under-replicated partitions kafka", k=5))


def test_broken_file_is_reported_and_the_rest_still_synced(kb: KnowledgeBase, docs: Path) -> None:
    (docs / "broken.md").write_text("---\ntitle: [oops\n---\n# x\n")
    report = kb.sync(docs)
    assert len(report.added) == 3
    assert [Path(f).name for f, _ in report.errors] == ["broken.md"]
    assert "front matter is not valid YAML" in report.errors[0][1]


def test_add_and_remove_by_file_and_directory(kb: KnowledgeBase, docs: Path) -> None:
    kb.add([docs / "payments.md", docs / "team"])
    assert kb.stats()["documents"] == 3
    assert kb.remove([str(docs / "team")]) == sorted(
        [(docs / "team" / "kafka.html").resolve().as_posix(), (docs / "team" / "oncall.txt").resolve().as_posix()])
    assert kb.stats()["documents"] == 1
    with pytest.raises(BadInputError, match="no document"):
        kb.remove([str(docs / "team")])
    with pytest.raises(BadInputError, match="unsupported file type"):
        kb.add([docs / "notes.pdf"])
    with pytest.raises(BadInputError, match="no such file"):
        kb.add([docs / "missing.md"])


def test_filters_by_tag_and_service(kb: KnowledgeBase, docs: Path) -> None:
    kb.sync(docs)
    assert {h.title for h in kb.search("incident", k=5, tags=["payments"])} == {"Payment service runbook"}
    assert kb.search("incident", k=5, tags=["payments", "kafka"]) == []
    # service filter keeps documents for that service and documents for no particular service
    titles = {h.title for h in kb.search("pool connections page escalate broker", k=5, service="checkout")}
    assert "Payment service runbook" not in titles and "Oncall" in titles
    assert "Payment service runbook" in {h.title for h in kb.search("pgbouncer pool", k=5, service="payment")}


def test_one_hit_per_document_unless_asked(kb: KnowledgeBase, docs: Path) -> None:
    kb.sync(docs)
    hits = kb.search("payment checkout pgbouncer restart", k=5)
    assert len({h.source for h in hits}) == len(hits)
    more = kb.search("payment checkout pgbouncer restart", k=5, per_source=None)
    assert sum(h.title == "Payment service runbook" for h in more) > 1


def test_scores_are_ranked_and_explained(kb: KnowledgeBase, docs: Path) -> None:
    kb.sync(docs)
    hits = kb.search("kafka under-replicated partitions", k=3)
    assert hits[0].title == "Kafka broker guide"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert 0 < hits[-1].score <= hits[0].score <= 1.0
    assert hits[0].keyword_score > 0 and hits[0].vector_score > 0
    assert kb.search("   ", k=3) == []


def test_changing_embedder_re_embeds_and_keeps_results(tmp_path: Path, docs: Path) -> None:
    path = tmp_path / "kb.duckdb"
    with KnowledgeBase.open(path, HashingEmbedder(dim=64)) as first:
        first.sync(docs)
        assert first.stats()["dim"] == 64
    with KnowledgeBase.open(path, HashingEmbedder(dim=96)) as second:
        stats = second.stats()
        assert (stats["embedder"], stats["dim"]) == ("hashing-v1:96", 96)
        assert second.search("pgbouncer connections", k=1)[0].title == "Payment service runbook"
        assert not second.sync(docs).changed


def test_vectors_of_another_width_are_refused(tmp_path: Path, docs: Path) -> None:
    real = HashingEmbedder(dim=64)

    class Liar:
        name = real.name  # claims to be the store's embedder ...
        dim = real.dim

        def embed(self, texts):  # ... but returns wider vectors
            return np.ones((len(texts), real.dim + 1), dtype=np.float32)

    path = tmp_path / "kb.duckdb"
    with KnowledgeBase.open(path, real) as good:
        good.sync(docs)
    with KnowledgeBase.open(path, Liar()) as bad:
        with pytest.raises(EmbedderError, match="mixing dimensions is refused"):
            bad.search("anything")
        (docs / "extra.md").write_text("# Extra\n\ntext\n")
        with pytest.raises(EmbedderError, match="mixing dimensions is refused"):
            bad.sync(docs)
        assert bad.stats()["documents"] == 3  # nothing half-written


def test_watch_syncs_again_after_files_change(kb: KnowledgeBase, docs: Path) -> None:
    reports = []

    def edit_between_polls(_seconds: float) -> None:
        (docs / "team" / "new.md").write_text("# Fresh runbook\n\nRotate the zebra credentials.\n")

    changed = watch_directory(lambda: kb.sync(docs), 5.0, iterations=2, on_report=reports.append, sleep=edit_between_polls)
    assert changed == 2 and len(reports) == 2
    assert reports[1].added == [(docs / "team" / "new.md").resolve().as_posix()]
    assert kb.search("zebra credentials", k=1)[0].title == "Fresh runbook"


def test_stored_vectors_are_exactly_what_the_embedder_returned(kb: KnowledgeBase, docs: Path) -> None:
    from aiops.kb.documents import index_text

    kb.sync(docs)
    rows = kb.store.fetch("SELECT d.title, c.section, c.text, v.vec FROM kb_chunks c JOIN kb_documents d USING (doc_id) "
                          "JOIN kb_vectors v USING (chunk_id) ORDER BY c.chunk_id")
    expected = kb.embedder.embed([index_text(t, s, x) for t, s, x, _ in rows])
    assert np.array_equal(np.array([r[3] for r in rows], dtype=np.float32), expected)
