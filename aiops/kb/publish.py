"""Publishing the knowledge base's snapshot: the writer's file, checkpointed, copied beside
it and renamed into place (readers open it read-only; see aiops.kb.snapshot)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from aiops.errors import WriteError, disk_refused
from aiops.kb.store import KbStore

SUFFIX = ".snapshot"


def snapshot_path(path: Path) -> Path:
    return path.with_name(path.name + SUFFIX)


def publish(store: KbStore) -> Path:
    """Copy the writer's (checkpointed) file to the snapshot, atomically. A disk that takes no
    more is a WriteError: the store itself stays whole, the readers keep the last snapshot."""
    assert store.path is not None and not store.read_only
    target = snapshot_path(store.path)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        store.fetch("CHECKPOINT")
        shutil.copyfile(store.path, tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except Exception as exc:
        if disk_refused(exc):
            raise WriteError(f"knowledge base {store.path}: disk full, the snapshot readers use was not updated "
                             f"({str(exc).splitlines()[0][:200]}); the knowledge base itself is whole") from None
        raise
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
