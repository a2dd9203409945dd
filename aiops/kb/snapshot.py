"""Readers never wait for the writer: the knowledge base is read from a published snapshot.

DuckDB admits one writing process, and a read-only open of a file another process writes
fails. So the store has two files:

    kb.duckdb            the writer's file: `kb add|sync|remove|watch` and the shipped-runbook
                         sync open it only while they apply a batch (waiting up to
                         kb.lock_wait_s for another writer), then
    kb.duckdb.snapshot   a copy published after every batch that changed something:
                         checkpointed, copied beside it, fsynced and renamed into place.

Searches (`kb search`, `kb stats`, every diagnosis) open the snapshot read-only. Nobody ever
writes that file in place, so a reader is never blocked and never sees half a batch; a
reader that opened the previous snapshot keeps reading it (the rename leaves its inode).
A snapshot that is missing, made with another embedder, or older than the shipped runbooks
is refreshed through the writer first; when the writer is busy the reader uses what is
published and says so.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Callable

from aiops.errors import WriteError
from aiops.kb.embedders import Embedder
from aiops.kb.knowledge_base import BUILTIN_PREFIX, KnowledgeBase
from aiops.kb.publish import publish, snapshot_path  # noqa: F401 - re-exported
from aiops.kb.store import KbStore, KnowledgeBaseBusy
from aiops.kb.sync import Progress, SyncReport

def open_writer(path: Path, embedder: Embedder, progress: Progress | None = None, wait_s: float = 10.0,
                sleep: Callable[[float], None] = time.sleep) -> KnowledgeBase:
    """The writer's store, waiting up to `wait_s` while another process applies a batch.
    Closing it publishes the snapshot when anything changed."""
    deadline = time.monotonic() + wait_s
    delay = 0.02
    while True:
        try:
            return KnowledgeBase.open(path, embedder, progress)
        except KnowledgeBaseBusy:
            if time.monotonic() >= deadline:
                raise
            sleep(delay)
            delay = min(delay * 2, 0.25)


def stale_reason(kb: KnowledgeBase, embedder: Embedder, builtin_dir: Path | None) -> str:
    """Why a published snapshot cannot serve this reader ('' when it can)."""
    state = kb.store.embedder_state()
    if state is None or state[0] != embedder.name:
        return f"made with embedder {state[0] if state else 'none'}, not {embedder.name}"
    if builtin_dir is not None:
        stored = kb.store.documents(BUILTIN_PREFIX)
        files = {BUILTIN_PREFIX + p.relative_to(builtin_dir).as_posix(): p for p in _knowledge_files(builtin_dir)}
        if set(stored) != set(files):
            return "the shipped runbooks changed"
        for source, file in files.items():
            if hashlib.sha256(file.read_bytes()).hexdigest() != stored[source].file_hash:
                return "the shipped runbooks changed"
    return ""


def _knowledge_files(root: Path) -> list[Path]:
    from aiops.kb.sync import list_knowledge_files

    return list_knowledge_files(root)


def open_snapshot(path: Path, embedder: Embedder) -> KnowledgeBase | None:
    """The published snapshot of the store at `path`, read-only; None when there is none."""
    snap = snapshot_path(path)
    if not snap.exists():
        return None
    store = KbStore(snap, read_only=True)
    store.label_path = path
    try:
        return KnowledgeBase(store, embedder)
    except BaseException:
        store.close()
        raise


def _open_store_read_only(path: Path, embedder: Embedder) -> KnowledgeBase:
    """The writer's file itself, read-only (no writer holds it: its refresh just failed)."""
    store = KbStore(path, read_only=True)
    try:
        return KnowledgeBase(store, embedder)
    except BaseException:
        store.close()
        raise


def open_reader(path: Path, embedder: Embedder, refresh: Callable[[], None], builtin_dir: Path | None,
                wait_s: float = 10.0, sleep: Callable[[float], None] = time.sleep) -> KnowledgeBase:
    """A read-only knowledge base over the current snapshot; `refresh()` (the writer's open,
    sync and close) runs first when the snapshot is missing or stale. KnowledgeBaseBusy only
    when there is no snapshot at all and the writer stays busy for `wait_s`."""
    deadline = time.monotonic() + wait_s
    delay = 0.02
    refreshed = False
    while True:
        kb = open_snapshot(path, embedder)
        why = "not published yet" if kb is None else stale_reason(kb, embedder, builtin_dir)
        if not why:
            return kb
        if refreshed and kb is not None:           # refreshed and still not what we need: use it
            kb.notes.append(f"knowledge base snapshot {why}")
            return kb
        if kb is not None:
            kb.close()
        try:
            refresh()
            refreshed = True
            continue
        except WriteError as exc:                 # a full disk: the snapshot cannot be published
            kb = open_snapshot(path, embedder) or _open_store_read_only(path, embedder)
            kb.notes.append(f"knowledge base snapshot {why}; not refreshed: {exc}")
            return kb
        except KnowledgeBaseBusy:
            if kb is not None:                     # busy writer: read what is published, say so
                kb = open_snapshot(path, embedder)
                if kb is not None:
                    kb.notes.append(f"knowledge base snapshot {why}; not refreshed: another process is writing it")
                    return kb
            if time.monotonic() >= deadline:
                raise
        sleep(delay)
        delay = min(delay * 2, 0.25)


class DirectoryWatch:
    """What `kb watch` polls: a directory's (file, mtime, size) list, so the store is opened
    for writing only when a file changed (and the first time)."""

    def __init__(self, root: Path, apply: Callable[[], SyncReport]) -> None:
        self.root = root
        self.apply = apply
        self._seen: list[tuple[str, int, int]] | None = None

    def fingerprint(self) -> list[tuple[str, int, int]]:
        out = []
        for p in _knowledge_files(self.root):
            try:
                st = p.stat()
            except OSError:
                continue
            out.append((p.as_posix(), st.st_mtime_ns, st.st_size))
        return out

    def __call__(self) -> SyncReport:
        now = self.fingerprint()
        if now == self._seen:
            return SyncReport()
        report = self.apply()
        self._seen = now if not report.errors else None    # a skipped file is tried again next poll
        return report
