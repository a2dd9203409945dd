"""A JSON-lines write-ahead journal: the durability under the gateway ledger and the run
history. A record is appended whole and fsynced before `append` returns, under an exclusive
lock; a line torn by a killed writer or a full disk is skipped by every reader and never
glued to the next record."""

from __future__ import annotations

import errno
import fcntl
import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator


def append(path: Path, record: dict[str, Any]) -> None:
    """Append one record durably; OSError when the disk refuses (full, read-only)."""
    line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            line = "\n" + line          # a torn line from a killed writer stays on its own
        rest = memoryview(line.encode("utf-8"))
        while rest:                     # a short write is followed by the real error (EFBIG, ENOSPC)
            written = os.write(fd, rest)
            if written == 0:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            rest = rest[written:]
        os.fsync(fd)
    finally:
        os.close(fd)                    # releases the lock


@contextmanager
def locked(path: Path, mode: int) -> Iterator[int]:
    """The journal's file descriptor under `mode` (fcntl.LOCK_SH to read, LOCK_EX to fold)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, mode)
        yield fd
    finally:
        os.close(fd)


def drain(path: Path, keep: Callable[[dict[str, Any]], bool], apply: Callable[[list[dict[str, Any]]], bool]) -> bool:
    """Hand every waiting record to `apply` (which stores them elsewhere, e.g. in DuckDB) and
    empty the journal once it returns True; on False the records stay for the next try. The
    journal is held exclusively meanwhile, so no append lands between reading and emptying."""
    if not path.exists():
        return True
    with locked(path, fcntl.LOCK_EX) as fd:
        waiting = records(fd, keep)
        if waiting and not apply(waiting):
            return False
        os.ftruncate(fd, 0)
        os.fsync(fd)
    return True


def records(fd: int, keep: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
    """Every whole record `keep` accepts, in journal order; torn lines are skipped."""
    size = os.fstat(fd).st_size
    data = os.pread(fd, size, 0).decode("utf-8", errors="replace") if size else ""
    out = []
    for line in data.splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue                      # torn by a kill or a full disk mid-write: that write never returned
        if isinstance(record, dict) and keep(record):
            out.append(record)
    return out
