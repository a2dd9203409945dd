"""Publishing the knowledge base's snapshot: the writer's file, checkpointed, copied beside
it and renamed into place (readers open it read-only; see aiops.kb.snapshot)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from aiops.kb.store import KbStore

SUFFIX = ".snapshot"


def snapshot_path(path: Path) -> Path:
    return path.with_name(path.name + SUFFIX)


def publish(store: KbStore) -> Path:
    """Copy the writer's (checkpointed) file to the snapshot, atomically."""
    assert store.path is not None and not store.read_only
    store.fetch("CHECKPOINT")
    target = snapshot_path(store.path)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        shutil.copyfile(store.path, tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    try:
        fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass
    return target
