"""The knowledge base on disk: one DuckDB file holding documents, chunks, vectors, postings.

Every change runs in a transaction (`with store.transaction():`), so a killed or interrupted
sync leaves the file as it was after the last committed document. The vector table is typed
`FLOAT[dim]`: the database itself refuses a vector of another width. `generation` in
kb_meta grows with every commit, so readers know when their in-memory index is stale.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from aiops.errors import AiopsError, BadInputError, WriteError, disk_refused
from aiops.sqlbind import bind_named

SCHEMA_VERSION = "1"
_SCHEMA = [
    "CREATE SEQUENCE IF NOT EXISTS kb_ids START 1",
    "CREATE TABLE IF NOT EXISTS kb_meta (key VARCHAR NOT NULL, value VARCHAR NOT NULL)",
    """CREATE TABLE IF NOT EXISTS kb_documents (
        doc_id BIGINT NOT NULL, source VARCHAR NOT NULL, path VARCHAR NOT NULL,
        format VARCHAR NOT NULL, title VARCHAR NOT NULL,
        tags VARCHAR[] NOT NULL, faults VARCHAR[] NOT NULL, services VARCHAR[] NOT NULL,
        mtime_ns BIGINT NOT NULL, size BIGINT NOT NULL, file_hash VARCHAR NOT NULL,
        indexed_at DOUBLE NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS kb_chunks (
        chunk_id BIGINT NOT NULL, doc_id BIGINT NOT NULL, ordinal INTEGER NOT NULL,
        section VARCHAR NOT NULL, text VARCHAR NOT NULL, content_hash VARCHAR NOT NULL,
        n_terms INTEGER NOT NULL)""",
    "CREATE TABLE IF NOT EXISTS kb_postings (term BIGINT NOT NULL, chunk_id BIGINT NOT NULL, doc_id BIGINT NOT NULL, tf INTEGER NOT NULL)",
    # Point lookups of hit texts: ~1 ms at 100k chunks instead of ~80 ms for a scan.
    "CREATE INDEX IF NOT EXISTS kb_chunks_by_id ON kb_chunks (chunk_id)",
]


@lru_cache(maxsize=8)
def _array_of_columns(dim: int) -> str:
    """SQL building one FLOAT[dim] value from the columns c0..c{dim-1}."""
    return "array_value(" + ", ".join(f"c{j}" for j in range(dim)) + f")::FLOAT[{dim}]"


class KnowledgeBaseBusy(AiopsError):
    """Another process holds the knowledge-base file open for writing."""


@dataclass(frozen=True)
class StoredDocument:
    doc_id: int
    source: str
    path: str
    mtime_ns: int
    size: int
    file_hash: str


@dataclass(frozen=True)
class DocumentRecord:
    source: str
    path: str
    format: str
    title: str
    tags: tuple[str, ...]
    faults: tuple[str, ...]
    services: tuple[str, ...]
    mtime_ns: int
    size: int
    file_hash: str


@dataclass(frozen=True)
class ChunkRecord:
    section: str
    text: str
    content_hash: str
    term_ids: np.ndarray   # unique term ids of the chunk (int64)
    term_tf: np.ndarray    # their counts (int32)
    n_terms: int


def _first_line(exc: BaseException) -> str:
    return (getattr(exc, "strerror", None) or str(exc) or type(exc).__name__).splitlines()[0][:200]


def _create(path: Path) -> None:
    """Create a new store whole or not at all: built beside `path` and linked into place, so a
    full disk or a kill mid-creation never leaves a torn file that every later run trips on."""
    tmp = path.with_name(f".{path.name}.creating-{os.getpid()}")
    try:
        con = duckdb.connect(str(tmp))
        try:
            for statement in _SCHEMA:
                con.execute(statement)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass                          # another process created it meanwhile: use theirs
    except (duckdb.Error, OSError) as exc:
        text = (getattr(exc, "strerror", None) or str(exc)).splitlines()[0]
        raise BadInputError(f"knowledge base {path}: cannot create: {text}") from None
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            leftover.unlink(missing_ok=True)


class KbStore:
    """Thin typed access to the DuckDB file; `path=None` keeps everything in memory.
    `read_only` opens an existing file (a published snapshot) without taking the write lock."""

    def __init__(self, path: Path | None, read_only: bool = False) -> None:
        self.path = path
        self.label_path = path              # the store a published snapshot stands for
        self.read_only = read_only and path is not None
        target = ":memory:"
        if self.read_only:
            target = str(path)
        elif path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise BadInputError(f"knowledge base {path}: cannot create its directory: {exc.strerror}") from None
            target = str(path)
            if not path.exists():
                _create(path)
        try:
            self._con = duckdb.connect(target, read_only=self.read_only)
        except duckdb.IOException as exc:
            text = str(exc)
            if "lock" in text.lower():
                raise KnowledgeBaseBusy(f"knowledge base {path} is in use by another process") from None
            raise BadInputError(f"knowledge base {path}: cannot open: {text.splitlines()[0]}") from None
        except duckdb.Error as exc:
            raise BadInputError(f"knowledge base {path}: not a usable DuckDB file: {str(exc).splitlines()[0]}") from None
        self._sql("SET enable_progress_bar = false")
        self._in_txn = False
        self._embedder_cache: tuple[str, int] | None = None
        if self.read_only:
            version = self.meta("schema_version")
            if version != SCHEMA_VERSION:
                self._con.close()
                raise BadInputError(f"knowledge base {path}: schema version {version} is not {SCHEMA_VERSION}")
            return
        with self.transaction(bump=False):
            for statement in _SCHEMA:
                self._sql(statement)
            version = self.meta("schema_version")
            if version is None:
                self.set_meta("schema_version", SCHEMA_VERSION)
                self.set_meta("generation", "0")
            elif version != SCHEMA_VERSION:
                raise BadInputError(f"knowledge base {path}: schema version {version} is not {SCHEMA_VERSION} (written by another aiops version)")

    def close(self) -> None:
        self._con.close()

    def _sql(self, sql: str, params: Mapping[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
        # Values are bound as literals: DuckDB's parameter binding imports pandas (~1 s).
        return self._con.execute(bind_named(sql, params))

    # -- transactions and metadata -------------------------------------------------------

    @contextmanager
    def transaction(self, bump: bool = True) -> Iterator[None]:
        """All-or-nothing writes; `bump` marks the content as changed for readers."""
        if self._in_txn:
            yield
            return
        self._sql("BEGIN TRANSACTION")
        self._in_txn = True
        try:
            yield
            if bump:
                self._sql(
                    "UPDATE kb_meta SET value = CAST(CAST(value AS BIGINT) + 1 AS VARCHAR) WHERE key = 'generation'")
            self._sql("COMMIT")
        except BaseException as exc:
            try:
                self._sql("ROLLBACK")
            except duckdb.Error:
                pass                     # DuckDB already aborted it (a COMMIT the disk refused)
            self._embedder_cache = None  # may have been set inside the rolled-back transaction
            if isinstance(exc, (duckdb.Error, OSError)) and disk_refused(exc):
                raise WriteError(f"knowledge base {self.path}: disk full, the last document was not written "
                                 f"({_first_line(exc)}); every document before it is stored whole") from None
            raise
        finally:
            self._in_txn = False

    def meta(self, key: str) -> str | None:
        row = self._sql("SELECT value FROM kb_meta WHERE key = $key", {"key": key}).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction(bump=False):
            self._sql("DELETE FROM kb_meta WHERE key = $key", {"key": key})
            self._sql("INSERT INTO kb_meta VALUES ($key, $value)", {"key": key, "value": value})

    def generation(self) -> int:
        return int(self.meta("generation") or 0)

    def embedder_state(self) -> tuple[str, int] | None:
        """(embedder name, vector width) the stored vectors were made with; None when empty."""
        if self._embedder_cache is None:
            name, dim = self.meta("embedder"), self.meta("dim")
            self._embedder_cache = None if name is None or dim is None else (name, int(dim))
        return self._embedder_cache

    def set_embedder(self, name: str, dim: int) -> None:
        """Start a fresh vector table of width `dim` (existing vectors are dropped)."""
        with self.transaction():
            self._sql("DROP TABLE IF EXISTS kb_vectors")
            self._sql(f"CREATE TABLE kb_vectors (chunk_id BIGINT NOT NULL, doc_id BIGINT NOT NULL, vec FLOAT[{int(dim)}] NOT NULL)")
            self.set_meta("embedder", name)
            self.set_meta("dim", str(int(dim)))
            self._embedder_cache = (name, int(dim))

    # -- documents -----------------------------------------------------------------------

    def documents(self, prefix: str | None = None) -> dict[str, StoredDocument]:
        sql = "SELECT doc_id, source, path, mtime_ns, size, file_hash FROM kb_documents"
        if prefix is not None:
            sql += " WHERE starts_with(source, $prefix)"
        return {row[1]: StoredDocument(*row) for row in self._sql(sql, {"prefix": prefix}).fetchall()}

    def vectors_by_hash(self, doc_id: int) -> dict[str, np.ndarray]:
        """The stored vectors of a document's chunks, keyed by chunk content hash (for reuse)."""
        rows = self._sql(
            "SELECT c.content_hash, v.vec FROM kb_chunks c JOIN kb_vectors v USING (chunk_id) WHERE c.doc_id = $doc",
            {"doc": doc_id}).fetchall()
        return {h: np.asarray(vec, dtype=np.float32) for h, vec in rows}

    def _new_ids(self, n: int) -> np.ndarray:
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        rows = self._sql("SELECT nextval('kb_ids') FROM range($n)", {"n": n}).fetchnumpy()
        return np.asarray(list(rows.values())[0], dtype=np.int64)

    def write_document(self, doc: DocumentRecord, chunks: Sequence[ChunkRecord], vectors: np.ndarray) -> int:
        """Replace the document with this source (if any) by `doc` and its chunks."""
        with self.transaction():
            old = self._sql("SELECT doc_id FROM kb_documents WHERE source = $source", {"source": doc.source}).fetchall()
            self._delete_ids([r[0] for r in old])  # nothing to do (no statements) for a new document
            ids = self._new_ids(1 + len(chunks))
            doc_id = int(ids[0])
            self._sql(
                "INSERT INTO kb_documents VALUES ($id, $source, $path, $format, $title, $tags::VARCHAR[], "
                "$faults::VARCHAR[], $services::VARCHAR[], $mtime, $size, $hash, $now)",
                {"id": doc_id, "source": doc.source, "path": doc.path, "format": doc.format, "title": doc.title,
                 "tags": list(doc.tags), "faults": list(doc.faults), "services": list(doc.services),
                 "mtime": doc.mtime_ns, "size": doc.size, "hash": doc.file_hash, "now": time.time()})
            if chunks:
                self._insert_chunks(doc_id, ids[1:], chunks, vectors)
        return doc_id

    # Bulk rows go in as numeric numpy columns (replacement scans) and text as bound list
    # literals: numpy *object* columns would make DuckDB import pandas (~1 s).

    def _insert_chunks(self, doc_id: int, ids: np.ndarray, chunks: Sequence[ChunkRecord], vectors: np.ndarray) -> None:
        self._sql(
            "INSERT INTO kb_chunks SELECT unnest($ids::BIGINT[]), $doc, unnest($ordinals::INTEGER[]), "
            "unnest($sections::VARCHAR[]), unnest($texts::VARCHAR[]), unnest($hashes::VARCHAR[]), unnest($n_terms::INTEGER[])",
            {"ids": ids.tolist(), "doc": doc_id, "ordinals": list(range(len(chunks))),
             "sections": [c.section for c in chunks], "texts": [c.text for c in chunks],
             "hashes": [c.content_hash for c in chunks], "n_terms": [c.n_terms for c in chunks]})
        self._insert_vectors(ids, np.full(len(chunks), doc_id, dtype=np.int64), vectors)
        counts = [len(c.term_ids) for c in chunks]
        posting_frame = {
            "term": np.concatenate([c.term_ids for c in chunks]).astype(np.int64),
            "chunk_id": np.repeat(ids, counts),
            "doc_id": np.full(sum(counts), doc_id, dtype=np.int64),
            "tf": np.concatenate([c.term_tf for c in chunks]).astype(np.int32),
        }
        self._con.execute("INSERT INTO kb_postings SELECT * FROM posting_frame")

    def _insert_vectors(self, chunk_ids: np.ndarray, doc_ids: np.ndarray, vectors: np.ndarray) -> None:
        state = self.embedder_state()
        if state is None:
            raise RuntimeError("set_embedder() must run before vectors are written")
        dim = state[1]
        if vectors.ndim != 2 or vectors.shape != (len(chunk_ids), dim):
            raise BadInputError(f"knowledge base {self.path}: vectors of shape {vectors.shape} do not fit width {dim}: mixing dimensions is refused")
        matrix = vectors.astype(np.float32, copy=False)
        vector_frame = {f"c{j}": np.ascontiguousarray(matrix[:, j]) for j in range(dim)}
        vector_frame["chunk_id"], vector_frame["doc_id"] = chunk_ids, doc_ids
        self._con.execute(f"INSERT INTO kb_vectors SELECT chunk_id, doc_id, {_array_of_columns(dim)} FROM vector_frame")

    def touch(self, doc_id: int, mtime_ns: int, size: int) -> None:
        with self.transaction(bump=False):
            self._sql("UPDATE kb_documents SET mtime_ns = $mtime, size = $size WHERE doc_id = $doc",
                      {"mtime": mtime_ns, "size": size, "doc": doc_id})

    def delete_documents(self, doc_ids: Sequence[int]) -> None:
        if doc_ids:
            with self.transaction():
                self._delete_ids(list(doc_ids))

    def _delete_ids(self, doc_ids: list[int]) -> None:
        if not doc_ids:
            return
        for table in ("kb_postings", "kb_vectors", "kb_chunks", "kb_documents"):
            self._sql(f"DELETE FROM {table} WHERE doc_id IN (SELECT unnest($ids::BIGINT[]))", {"ids": doc_ids})

    # -- re-embedding ----------------------------------------------------------------------

    def chunk_batches(self, batch: int = 512) -> Iterator[tuple[np.ndarray, np.ndarray, list[tuple[str, str, str]]]]:
        """(chunk ids, doc ids, [(title, section, text)]) of every chunk, in batches."""
        cur = self._sql(
            "SELECT c.chunk_id, c.doc_id, d.title, c.section, c.text FROM kb_chunks c JOIN kb_documents d USING (doc_id) ORDER BY c.chunk_id")
        while rows := cur.fetchmany(batch):
            yield (np.array([r[0] for r in rows], dtype=np.int64), np.array([r[1] for r in rows], dtype=np.int64),
                   [(r[2], r[3], r[4]) for r in rows])

    def add_vectors(self, chunk_ids: np.ndarray, doc_ids: np.ndarray, vectors: np.ndarray) -> None:
        with self.transaction(bump=False):
            self._insert_vectors(chunk_ids, doc_ids, vectors)

    # -- reading for search ----------------------------------------------------------------

    def fetch(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Rows of a query; `$name` placeholders are bound from `params`."""
        return self._sql(sql, params).fetchall()

    def fetch_numpy(self, sql: str, params: Mapping[str, Any] | None = None) -> dict[str, np.ndarray]:
        return self._sql(sql, params).fetchnumpy()

    def chunk_texts(self, chunk_ids: Sequence[int]) -> dict[int, str]:
        """Texts of a few chunks: one equality lookup each, so the chunk_id index is used."""
        if not chunk_ids:
            return {}
        lookups = " UNION ALL ".join(f"SELECT chunk_id, text FROM kb_chunks WHERE chunk_id = {int(i)}" for i in chunk_ids)
        return dict(self._sql(lookups).fetchall())

    def counts(self) -> dict[str, int]:
        row = self._sql(
            "SELECT (SELECT count(*) FROM kb_documents), (SELECT count(*) FROM kb_chunks), (SELECT count(*) FROM kb_postings)").fetchone()
        assert row is not None
        return {"documents": int(row[0]), "chunks": int(row[1]), "postings": int(row[2])}
