"""The knowledge base as configured, with the shipped runbooks (knowledge/) always in it.

`open_default_kb(settings)` opens the operator's store (kb.path, default
<data_dir>/kb.duckdb) and syncs the shipped runbooks into it under sources
"knowledge/<file>"; when nothing changed that is a stat per file (a few ms). When the
store cannot be used (another process holds it, read-only disk), it falls back to an
in-memory index of the shipped runbooks, so a diagnosis never lacks them.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from aiops.config import Settings
from aiops.errors import AiopsError, one_line
from aiops.kb.embedders import EmbedFn, Embedder, HashingEmbedder, make_embedder
from aiops.kb.knowledge_base import BUILTIN_PREFIX, KnowledgeBase
from aiops.kb.sync import Progress
from aiops.resources import content_dir

log = logging.getLogger("aiops.kb")


def kb_path(settings: Settings) -> Path:
    return Path(settings.kb.path).expanduser() if settings.kb.path else settings.data_dir / "kb.duckdb"


def embedder_from_settings(settings: Settings, embed_fn: EmbedFn | None = None) -> Embedder:
    """The configured embedder; for litellm, `embed_fn` calls the gateway and kb.embed_model
    names the [models] alias (default "embedding")."""
    kb = settings.kb
    model = kb.embed_model or ("embedding" if kb.embedder == "litellm" else "")
    return make_embedder(kb.embedder, model=model, dim=kb.hashing_dim, embed_fn=embed_fn)


def sync_builtin(kb: KnowledgeBase) -> None:
    report = kb.sync(content_dir("knowledge"), prefix=BUILTIN_PREFIX)
    if report.changed:
        log.info("shipped runbooks: %s", report.summary())
    for file, reason in report.errors:
        log.warning("shipped runbook %s skipped: %s", file, reason)


def open_knowledge_base(settings: Settings, db: Path | None = None, embed_fn: EmbedFn | None = None,
                        progress: Progress | None = None, embedder: Embedder | None = None) -> KnowledgeBase:
    """The operator's store (or `db`) for writing, with shipped runbooks synced in if
    kb.include_builtin; waits up to kb.lock_wait_s for another writer's batch. Closing it
    publishes the snapshot readers use (aiops.kb.snapshot)."""
    from aiops.kb.snapshot import open_writer

    kb = open_writer(db or kb_path(settings), embedder or embedder_from_settings(settings, embed_fn), progress,
                     wait_s=settings.kb.lock_wait_s)
    try:
        if settings.kb.include_builtin:
            sync_builtin(kb)
    except BaseException:
        kb.close()
        raise
    return kb


def open_reading_kb(settings: Settings, db: Path | None = None, embedder: Embedder | None = None) -> KnowledgeBase:
    """The operator's store for searching: its published snapshot, read-only, refreshed
    through the writer first when missing or stale (aiops.kb.snapshot.open_reader). Never
    waits for a writer that is applying a batch once a snapshot exists."""
    from aiops.kb.snapshot import open_reader

    chosen = embedder or embedder_from_settings(settings)
    path = db or kb_path(settings)
    return open_reader(path, chosen, lambda: open_knowledge_base(settings, db=path, embedder=chosen).close(),
                       content_dir("knowledge") if settings.kb.include_builtin else None,
                       wait_s=settings.kb.lock_wait_s)


def open_default_kb(settings: Settings, embed_fn: EmbedFn | None = None, embedder: Embedder | None = None,
                    make_embedder: Callable[[], Embedder] | None = None) -> KnowledgeBase:
    """What the agent calls: never fails for want of the store or the embedding model, and
    never waits for `kb watch` (it reads the published snapshot, read-only).

    The embedder is `embedder`, else the one `make_embedder()` builds (the agent's: through
    its model gateway), else the configured one calling `embed_fn`. When the configured
    store or embedder cannot be used (file held by another process, unreadable file,
    embedding model unreachable), the shipped runbooks are indexed in memory with the
    built-in hashing embedder and `kb.notes` says why.
    """
    try:
        chosen = embedder or (make_embedder() if make_embedder else embedder_from_settings(settings, embed_fn))
        return open_reading_kb(settings, embedder=chosen)
    except AiopsError as exc:
        reason = one_line(exc)
        log.warning("knowledge base unavailable (%s); using the shipped runbooks only", reason)
    kb = KnowledgeBase.open(None, HashingEmbedder(settings.kb.hashing_dim))
    kb.notes.append(f"knowledge base unavailable ({reason}); searched the shipped runbooks only")
    sync_builtin(kb)
    return kb
