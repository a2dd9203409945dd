"""Bringing files into the store: add, incremental sync of a directory, removal, watching.

Incremental at two levels. A file whose size and mtime are unchanged is skipped without
being read (unless its mtime is within RACY_S of the scan, where an edit could hide — the
rule git uses); a changed file is hashed, and if its bytes changed it is re-chunked, but
only chunks whose content hash is new are embedded: the others keep their vectors. Each
file is written in its own transaction, so an interrupted sync leaves every document
either as before or fully updated, and the next sync picks up where it stopped.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from aiops.errors import BadInputError, one_line
from aiops.kb.documents import DocumentError, ParsedDocument, content_hash, file_format, index_text, parse_document
from aiops.kb.embedders import Embedder, EmbedderError
from aiops.kb.store import ChunkRecord, DocumentRecord, KbStore, StoredDocument
from aiops.kb.tokens import term_id, terms

RACY_S = 2.0
Progress = Callable[[str], None]


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    chunks_embedded: int = 0
    chunks_reused: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)  # (file, one-line reason)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        text = (f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
                f"{self.unchanged} unchanged; {self.chunks_embedded} chunks embedded, {self.chunks_reused} reused")
        return text + (f"; {len(self.errors)} failed" if self.errors else "")


def list_knowledge_files(root: Path) -> list[Path]:
    """Supported files under `root`, sorted; hidden files and directories are skipped."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if not name.startswith(".") and file_format(path) is not None:
                found.append(path)
    return found


def user_source(path: Path) -> str:
    """The source name of an operator's file: its absolute path."""
    return path.resolve().as_posix()


def chunk_records(parsed: ParsedDocument) -> tuple[list[ChunkRecord], list[str]]:
    """A document's chunk records (content hash, term counts) and the text each is embedded from."""
    records: list[ChunkRecord] = []
    texts: list[str] = []
    for chunk in parsed.chunks:
        full = index_text(parsed.title, chunk.section, chunk.text)
        counts = Counter(term_id(t) for t in terms(full))
        records.append(ChunkRecord(
            section=chunk.section, text=chunk.text,
            content_hash=content_hash(parsed.title, chunk.section, chunk.text),
            term_ids=np.fromiter(counts.keys(), dtype=np.int64, count=len(counts)),
            term_tf=np.fromiter(counts.values(), dtype=np.int32, count=len(counts)),
            n_terms=sum(counts.values())))
        texts.append(full)
    return records, texts


class Ingestor:
    """Writes parsed, embedded files into a store."""

    def __init__(self, store: KbStore, embedder: Embedder, progress: Progress | None = None) -> None:
        self.store = store
        self.embedder = embedder
        self.progress = progress or (lambda message: None)

    def sync_directory(self, root: Path, prefix: str | None = None) -> SyncReport:
        """Make the store's documents under `root` match its files (add, update, remove).

        `prefix` names sources (prefix + relative path); default: the directory's absolute path.
        """
        if not root.is_dir():
            raise BadInputError(f"{root}: not a directory")
        base = prefix if prefix is not None else user_source(root).rstrip("/") + "/"
        report = SyncReport()
        known = self.store.documents(base)
        seen: set[str] = set()
        scan_started = time.time()
        for path in list_knowledge_files(root):
            source = base + path.relative_to(root).as_posix()
            seen.add(source)
            self._sync_file(path, source, known.get(source), scan_started, report)
        gone = sorted(set(known) - seen)
        if gone:
            self.store.delete_documents([known[s].doc_id for s in gone])
            report.removed.extend(gone)
            self.progress(f"removed {len(gone)} documents no longer under {root}")
        return report

    def add_paths(self, paths: Iterable[Path]) -> SyncReport:
        """Add or refresh files and directories (recursively); never removes anything."""
        targets: list[Path] = []
        for path in paths:
            if not path.exists():
                raise BadInputError(f"{path}: no such file or directory")
            if path.is_file() and file_format(path) is None:
                raise DocumentError(f"{path}: unsupported file type {path.suffix or '(none)'!r} (use .md, .txt or .html)")
            targets.extend(list_knowledge_files(path) if path.is_dir() else [path])
        report = SyncReport()
        sources = {user_source(p): p for p in targets}
        known = self.store.documents()
        scan_started = time.time()
        for source, path in sources.items():
            self._sync_file(path, source, known.get(source), scan_started, report)
        return report

    def _sync_file(self, path: Path, source: str, known: StoredDocument | None, scan_started: float,
                   report: SyncReport) -> None:
        try:
            stat = path.stat()
            if (known is not None and known.mtime_ns == stat.st_mtime_ns and known.size == stat.st_size
                    and stat.st_mtime_ns / 1e9 < scan_started - RACY_S):
                report.unchanged += 1
                return
            data = path.read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            if known is not None and known.file_hash == digest:
                if (known.mtime_ns, known.size) != (stat.st_mtime_ns, stat.st_size):
                    self.store.touch(known.doc_id, stat.st_mtime_ns, stat.st_size)
                report.unchanged += 1
                return
            parsed = parse_document(path, data)
        except (OSError, DocumentError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else one_line(exc)
            report.errors.append((str(path), reason))
            self.progress(f"skipped {path}: {reason}")
            return
        records, texts = chunk_records(parsed)
        reuse = self.store.vectors_by_hash(known.doc_id) if known is not None else {}
        vectors, embedded = self._vectors(records, texts, reuse)
        self.store.write_document(DocumentRecord(
            source=source, path=str(path.resolve()), format=parsed.format, title=parsed.title,
            tags=parsed.tags, faults=parsed.faults, services=parsed.services,
            mtime_ns=stat.st_mtime_ns, size=stat.st_size, file_hash=digest), records, vectors)
        (report.updated if known is not None else report.added).append(source)
        report.chunks_embedded += embedded
        report.chunks_reused += len(records) - embedded
        self.progress(f"{'updated' if known is not None else 'added'} {source} ({len(records)} chunks, {embedded} embedded)")

    def _vectors(self, records: list[ChunkRecord], texts: list[str], reuse: dict[str, np.ndarray]) -> tuple[np.ndarray, int]:
        """One vector per chunk: kept from the store when its content is unchanged, else embedded."""
        state = self.store.embedder_state()
        vectors = np.zeros((len(records), state[1] if state else self.embedder.dim), dtype=np.float32)
        missing = []
        for i, record in enumerate(records):
            if record.content_hash in reuse:
                vectors[i] = reuse[record.content_hash]
            else:
                missing.append(i)
        if missing:
            fresh = self.embedder.embed([texts[i] for i in missing])
            if fresh.shape != (len(missing), vectors.shape[1]):
                raise EmbedderError(f"embedder {self.embedder.name} returned vectors of shape {fresh.shape}, "
                                    f"the store holds width {vectors.shape[1]}: mixing dimensions is refused")
            vectors[missing] = fresh
        return vectors, len(missing)

    def remove(self, targets: Iterable[str]) -> list[str]:
        """Remove documents by source, file path, or directory (everything under it)."""
        known = self.store.documents()
        doomed: dict[str, int] = {}
        for target in targets:
            candidates = {target}
            as_path = Path(target).expanduser()
            if as_path.exists() or as_path.is_absolute() or os.sep in target:
                candidates.add(user_source(as_path))
            matched = False
            for name in candidates:
                prefix = name.rstrip("/") + "/"
                for source, doc in known.items():
                    if source == name or source.startswith(prefix):
                        doomed[source] = doc.doc_id
                        matched = True
            if not matched:
                raise BadInputError(f"{target}: no document in the knowledge base has this source or lies under it")
        self.store.delete_documents(sorted(doomed.values()))
        return sorted(doomed)


def watch_directory(sync: Callable[[], SyncReport], interval_s: float, iterations: int | None = None,
                    on_report: Callable[[SyncReport], None] | None = None,
                    sleep: Callable[[float], None] = time.sleep) -> int:
    """Poll: sync, report, wait; `iterations` bounds the loop (None: until interrupted).

    Returns how many syncs changed something. Ctrl-C propagates as KeyboardInterrupt after
    the running file's transaction was rolled back or committed.
    """
    changed = 0
    done = 0
    while iterations is None or done < iterations:
        report = sync()
        done += 1
        if report.changed:
            changed += 1
        if on_report is not None:
            on_report(report)
        if iterations is None or done < iterations:
            sleep(interval_s)
    return changed
