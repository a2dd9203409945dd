"""The in-memory search index: BM25 over postings plus exact cosine over vectors, fused.

Built from the store in one pass (vectors as one float32 matrix, postings sorted by term)
and reused until the store's generation changes. Exact search in numpy: one matrix-vector
product and a few `bincount`s, which keeps a query well under 30 ms at 100k chunks where
the same work in SQL takes ~150 ms. Fusion is reciprocal rank fusion (Cormack et al.):
score = sum over rankings of 1 / (RRF_K + rank), reported scaled to (0, 1].
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from aiops.kb.store import KbStore
from aiops.kb.tokens import term_id, terms

BM25_K1 = 1.2
BM25_B = 0.75
RRF_K = 60
CANDIDATES = 60


@dataclass(frozen=True)
class DocMeta:
    source: str
    title: str
    tags: frozenset[str]
    faults: tuple[str, ...]
    services: frozenset[str]


@dataclass(frozen=True)
class Ranked:
    row: int
    score: float           # fused, in (0, 1]
    keyword_score: float   # BM25 (0 when the chunk matched no query term)
    vector_score: float    # cosine similarity


class SearchIndex:
    def __init__(self, chunk_ids: np.ndarray, doc_rows: np.ndarray, sections: list[str], docs: list[DocMeta],
                 vectors: np.ndarray, post_terms: np.ndarray, post_rows: np.ndarray, post_weights: np.ndarray,
                 generation: int) -> None:
        self.chunk_ids = chunk_ids
        self.doc_rows = doc_rows
        self.sections = sections
        self.docs = docs
        self.vectors_t = np.ascontiguousarray(vectors.T)  # (dim, n): q @ V.T reads rows in order, ~2x faster
        self.post_terms = post_terms
        self.post_rows = post_rows
        self.post_weights = post_weights
        self.generation = generation

    @property
    def size(self) -> int:
        return len(self.chunk_ids)

    @property
    def dim(self) -> int:
        return self.vectors_t.shape[0]

    @classmethod
    def load(cls, store: KbStore) -> SearchIndex:
        generation = store.generation()
        doc_rows_raw = store.fetch(
            "SELECT doc_id, source, title, tags, faults, services FROM kb_documents ORDER BY doc_id")
        doc_pos = {r[0]: i for i, r in enumerate(doc_rows_raw)}
        docs = [DocMeta(r[1], r[2], frozenset(r[3]), tuple(r[4]), frozenset(r[5])) for r in doc_rows_raw]
        chunks = store.fetch_numpy(
            "SELECT c.chunk_id, c.doc_id, c.section, c.n_terms, v.vec FROM kb_chunks c JOIN kb_vectors v USING (chunk_id) ORDER BY c.chunk_id")
        chunk_ids = np.asarray(chunks["chunk_id"], dtype=np.int64)
        n = len(chunk_ids)
        dim = int(store.meta("dim") or 0)
        vectors = np.stack(list(chunks["vec"])).astype(np.float32) if n else np.zeros((0, dim), dtype=np.float32)
        doc_rows = np.array([doc_pos[int(d)] for d in chunks["doc_id"]], dtype=np.int32)
        lengths = np.asarray(chunks["n_terms"], dtype=np.float32)
        post = store.fetch_numpy("SELECT term, chunk_id, tf FROM kb_postings ORDER BY term")
        post_terms = np.asarray(post["term"], dtype=np.int64)
        post_chunks = np.asarray(post["chunk_id"], dtype=np.int64)
        rows = np.searchsorted(chunk_ids, post_chunks)
        keep = rows < n  # postings of a chunk without a vector are skipped (never written so)
        keep[keep] &= chunk_ids[rows[keep]] == post_chunks[keep]
        post_terms, rows = post_terms[keep], rows[keep].astype(np.int32)
        tf = np.asarray(post["tf"], dtype=np.float32)[keep]
        avgdl = float(lengths.mean()) if n else 1.0
        # The BM25 term-frequency part, precomputed; idf is applied per query term.
        weights = tf * (BM25_K1 + 1) / (tf + BM25_K1 * (1 - BM25_B + BM25_B * lengths[rows] / max(avgdl, 1.0)))
        return cls(chunk_ids, doc_rows, list(chunks["section"]), docs, vectors, post_terms, rows,
                   weights.astype(np.float32), generation)

    def allowed(self, tags: Sequence[str] | None, service: str | None, fault: str | None = None) -> np.ndarray | None:
        """Mask of rows passing the filters: all `tags`; `service` listed or generic doc;
        `fault` among the document's fault kinds."""
        if not tags and not service and not fault:
            return None
        want = {t.lower() for t in tags or ()}
        svc = (service or "").lower()
        kind = (fault or "").lower()
        ok_docs = np.array([
            want <= d.tags and (not svc or not d.services or svc in d.services) and (not kind or kind in d.faults)
            for d in self.docs
        ], dtype=bool)
        return ok_docs[self.doc_rows] if self.size else np.zeros(0, bool)

    def keyword_scores(self, query: str) -> np.ndarray:
        scores = np.zeros(self.size, dtype=np.float32)
        ids = sorted({term_id(t) for t in terms(query)})
        for tid in ids:
            lo = np.searchsorted(self.post_terms, tid, side="left")
            hi = np.searchsorted(self.post_terms, tid, side="right")
            df = hi - lo
            if df == 0:
                continue
            idf = np.log(1.0 + (self.size - df + 0.5) / (df + 0.5))
            scores += np.bincount(self.post_rows[lo:hi], weights=self.post_weights[lo:hi] * idf,
                                  minlength=self.size).astype(np.float32)
        return scores

    def search(self, query: str, query_vector: np.ndarray, k: int, mask: np.ndarray | None,
               per_source: int | None, mode: str = "hybrid") -> list[Ranked]:
        """Best chunks, fused; at most `per_source` chunks of one document (None: no limit)."""
        if self.size == 0 or k <= 0:
            return []
        allowed = np.flatnonzero(mask) if mask is not None else None
        rows_bm25 = rows_cos = None
        bm25 = cosine = np.zeros(self.size, np.float32)
        if mode != "vector":
            bm25 = self.keyword_scores(query)
            rows_bm25 = np.flatnonzero(bm25)  # only chunks sharing a term with the query
            if allowed is not None:
                rows_bm25 = np.intersect1d(rows_bm25, allowed, assume_unique=True)
        if mode != "keyword":
            cosine = query_vector @ self.vectors_t
            rows_cos = allowed
        n = max(CANDIDATES, k * 4)
        while True:
            rankings = []
            if rows_bm25 is not None:
                rankings.append(_top(bm25, rows_bm25, n))
            if mode != "keyword":
                rankings.append(_top(cosine, rows_cos, n))
            out = self._fuse(rankings, k, per_source, bm25, cosine)
            # Many chunks of a few documents can crowd the candidates out: widen and retry.
            if len(out) >= k or n >= self.size:
                return out
            n *= 4

    def _fuse(self, rankings: list[np.ndarray], k: int, per_source: int | None,
              bm25: np.ndarray, cosine: np.ndarray) -> list[Ranked]:
        fused: dict[int, float] = {}
        for ranking in rankings:
            for rank, row in enumerate(ranking.tolist(), start=1):
                fused[row] = fused.get(row, 0.0) + 1.0 / (RRF_K + rank)
        best = len(rankings) / (RRF_K + 1)
        out: list[Ranked] = []
        per_doc: dict[int, int] = {}
        for row in sorted(fused, key=lambda r: (-fused[r], r)):
            doc = int(self.doc_rows[row])
            if per_source is not None and per_doc.get(doc, 0) >= per_source:
                continue
            per_doc[doc] = per_doc.get(doc, 0) + 1
            out.append(Ranked(row, fused[row] / best, float(bm25[row]), float(cosine[row])))
            if len(out) >= k:
                break
        return out


def _top(scores: np.ndarray, rows: np.ndarray | None, n: int) -> np.ndarray:
    """The `n` rows (among `rows`; None = all) with the best positive scores, best first."""
    if rows is None:
        top = np.argpartition(-scores, n - 1)[:n] if len(scores) > n else np.arange(len(scores))
    else:
        top = rows[np.argpartition(-scores[rows], n - 1)[:n]] if len(rows) > n else rows
    top = top[scores[top] > 0]
    return top[np.lexsort((top, -scores[top]))]
