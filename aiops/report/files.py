"""Writing reports without leaving half-written files behind.

A write that fails (disk full, read-only filesystem, no permission) raises WriteError naming
the file; the temporary file is removed and the previous report, if any, stays as it was.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from aiops.errors import BadInputError, WriteError


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: Path, text: str) -> None:
    """Write to a temp file beside `path`, fsync, then rename over it."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise BadInputError(f"{path}: directory {parent} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=parent)
    except OSError as exc:
        raise WriteError(f"{path}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            os.fchmod(fh.fileno(), 0o666 & ~_umask())    # mkstemp makes 0600; a report reads like any new file
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError):
            kept = " (the previous file is unchanged)" if path.exists() else ""
            raise WriteError(f"{path}: cannot write: {exc.strerror or exc}{kept}") from None
        raise
