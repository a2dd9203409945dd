"""KnowledgeBase: the one object the CLI and the agent use (ingest, search, stats).

Opening a store with an embedder other than the one its vectors came from re-embeds every
chunk in one transaction (a changed embedder never leaves a store with two vector spaces).
Searches use an in-memory index rebuilt only when the store's generation moved.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from aiops.domain import RunbookRef
from aiops.kb.documents import index_text
from aiops.kb.embedders import Embedder, EmbedderError
from aiops.kb.index import SearchIndex
from aiops.kb.store import KbStore
from aiops.kb.sync import Ingestor, Progress, SyncReport

SEARCH_MODES = ("hybrid", "keyword", "vector")
BUILTIN_PREFIX = "knowledge/"  # source prefix of the shipped runbooks


@dataclass(frozen=True)
class Hit:
    title: str
    source: str            # e.g. "knowledge/oomkilled.md" (shipped) or an absolute file path
    section: str           # heading path inside the document, "" for its introduction
    score: float           # fused relevance in (0, 1]; 1 = first by keywords and by meaning
    text: str
    tags: tuple[str, ...] = ()
    faults: tuple[str, ...] = ()
    keyword_score: float = 0.0
    vector_score: float = 0.0

    def to_runbook_ref(self) -> RunbookRef:
        """What a diagnosis cites (`runbooks` in the JSON output)."""
        return RunbookRef(title=self.title, source=self.source, score=round(float(self.score), 4))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["tags"], data["faults"] = list(self.tags), list(self.faults)
        for key in ("score", "keyword_score", "vector_score"):
            data[key] = round(float(data[key]), 4)
        return data


class KnowledgeBase:
    def __init__(self, store: KbStore, embedder: Embedder, progress: Progress | None = None) -> None:
        self.store = store
        self.embedder = embedder
        self.progress = progress or (lambda message: None)
        self.notes: list[str] = []  # e.g. why an in-memory fallback is used
        self._index: SearchIndex | None = None
        self._ingestor = Ingestor(store, embedder, self.progress)
        self._opened_at = None if store.read_only or store.path is None else store.generation()
        self._ensure_embedder()

    @classmethod
    def open(cls, path: Path | None, embedder: Embedder, progress: Progress | None = None) -> KnowledgeBase:
        """Open (creating if needed) the store at `path`; None keeps it in memory."""
        store = KbStore(path)
        try:
            return cls(store, embedder, progress)
        except BaseException:
            store.close()
            raise

    def close(self, failing: bool = False) -> None:
        """Close; a writer's store that changed (or was never published) is published first
        as the snapshot readers use (aiops.kb.snapshot). When the work before already failed
        (`failing`), a publish that fails too does not hide that first error."""
        try:
            if self._opened_at is not None:
                from aiops.kb.publish import publish, snapshot_path

                if self.store.generation() != self._opened_at or not snapshot_path(self.store.path).exists():
                    try:
                        publish(self.store)
                    except Exception:
                        if not failing:
                            raise
        finally:
            self.store.close()

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(failing=exc[0] is not None)

    def _ensure_embedder(self) -> None:
        state = self.store.embedder_state()
        if state is not None and state[0] == self.embedder.name:
            return
        dim = self.embedder.dim
        if state is None:
            self.store.set_embedder(self.embedder.name, dim)
            return
        self.reembed(previous=state[0])

    def reembed(self, previous: str = "") -> int:
        """Embed every chunk again with the current embedder, all in one transaction."""
        total = self.store.counts()["chunks"]
        self.progress(f"re-embedding {total} chunks with {self.embedder.name}" + (f" (was {previous})" if previous else ""))
        with self.store.transaction():
            batches = list(self.store.chunk_batches())  # read before the vector table is replaced
            self.store.set_embedder(self.embedder.name, self.embedder.dim)
            for chunk_ids, doc_ids, parts in batches:
                self.store.add_vectors(chunk_ids, doc_ids, self.embedder.embed([index_text(*p) for p in parts]))
        self._index = None
        return total

    # -- ingest ----------------------------------------------------------------------------

    def add(self, paths: Iterable[Path]) -> SyncReport:
        return self._ingestor.add_paths(paths)

    def sync(self, directory: Path, prefix: str | None = None) -> SyncReport:
        return self._ingestor.sync_directory(directory, prefix)

    def remove(self, targets: Iterable[str]) -> list[str]:
        return self._ingestor.remove(targets)

    # -- search ----------------------------------------------------------------------------

    def _current_index(self) -> SearchIndex:
        generation = self.store.generation()
        if self._index is None or self._index.generation != generation:
            self._index = SearchIndex.load(self.store)
        return self._index

    def search(self, query: str, k: int = 5, tags: Sequence[str] | None = None, service: str | None = None,
               per_source: int | None = 1, mode: str = "hybrid", fault: str | None = None) -> list[Hit]:
        """The best `k` chunks for `query` (at most `per_source` per document), best first.

        `tags`: documents carrying all of them; `service`: documents for that service or for
        no particular service; `fault`: documents whose front matter lists that fault kind
        (e.g. "memory_leak"). `mode` hybrid (default), keyword (BM25 only) or vector only.
        """
        if mode not in SEARCH_MODES:
            raise ValueError(f"search mode {mode!r} is not one of {SEARCH_MODES}")
        index = self._current_index()
        if not query.strip() or index.size == 0:
            return []
        qv = self.embedder.embed([query])[0]
        if qv.shape[0] != index.dim:
            raise EmbedderError(f"query vector width {qv.shape[0]} differs from the store's {index.dim}: mixing dimensions is refused")
        ranked = index.search(query, qv, k, index.allowed(tags, service, fault), per_source, mode)
        if not ranked:
            return []
        ids = [int(index.chunk_ids[r.row]) for r in ranked]
        texts = self.store.chunk_texts(ids)
        hits = []
        for r, chunk_id in zip(ranked, ids):
            doc = index.docs[int(index.doc_rows[r.row])]
            hits.append(Hit(title=doc.title, source=doc.source, section=index.sections[r.row], score=r.score,
                            text=texts.get(chunk_id, ""), tags=tuple(sorted(doc.tags)), faults=doc.faults,
                            keyword_score=r.keyword_score, vector_score=r.vector_score))
        return hits

    def search_many(self, queries: Sequence[str], k: int = 5, tags: Sequence[str] | None = None,
                    service: str | None = None) -> list[Hit]:
        """One list for several questions (e.g. the symptom and each hypothesis): each
        document keeps its best hit; documents found by more questions rank higher."""
        best: dict[str, Hit] = {}
        votes: dict[str, float] = {}
        for query in queries:
            for hit in self.search(query, k=k, tags=tags, service=service):
                votes[hit.source] = votes.get(hit.source, 0.0) + hit.score
                if hit.source not in best or hit.score > best[hit.source].score:
                    best[hit.source] = hit
        order = sorted(best, key=lambda s: (-votes[s], -best[s].score, s))
        return [best[s] for s in order[:k]]

    # -- stats -----------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        counts = self.store.counts()
        state = self.store.embedder_state()
        rows = self.store.fetch(
            "SELECT CASE WHEN starts_with(source, $prefix) THEN 'built-in' ELSE 'user' END AS origin, "
            "count(*) FROM kb_documents GROUP BY origin ORDER BY origin", {"prefix": BUILTIN_PREFIX})
        path = self.store.label_path
        return {
            "path": str(path) if path is not None else ":memory:",
            "size_bytes": sum(f.stat().st_size for f in (path, Path(f"{path}.wal")) if f.exists()) if path else 0,
            "documents": counts["documents"],
            "chunks": counts["chunks"],
            "postings": counts["postings"],
            "by_origin": {origin: n for origin, n in rows},
            "embedder": state[0] if state else self.embedder.name,
            "dim": state[1] if state else 0,
            "generation": self.store.generation(),
            "notes": list(self.notes),
        }
