"""What a path in a bundle is, when it is not what a loader can read: a directory, a device,
a FIFO, a symlink loop, a link to nothing. Loaders name such paths instead of skipping them
silently (a metrics.csv that links to /dev/zero would otherwise be read forever, or ignored
without a word)."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


def _link_note(path: Path) -> str:
    try:
        return f" (a link to {os.readlink(path)})" if path.is_symlink() else ""
    except OSError:
        return ""


def not_a_file(path: Path) -> str | None:
    """Why `path` is not a regular file one can read, or None when it is one (or is absent)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.lexists(path):
            return f"a symlink to {os.readlink(path)}, which does not exist"
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symlink loop"
        return f"cannot be read: {exc.strerror or exc}"
    if stat.S_ISREG(st.st_mode):
        return None
    if stat.S_ISDIR(st.st_mode):
        return f"a directory{_link_note(path)}, not a file"
    if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
        return f"a device{_link_note(path)}, not a file"
    if stat.S_ISFIFO(st.st_mode):
        return f"a named pipe{_link_note(path)}, not a file"
    return f"not a regular file{_link_note(path)}"


def not_a_directory(path: Path) -> str | None:
    """Why `path` is not a directory one can read, or None when it is one; "" when absent."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return f"a symlink to {os.readlink(path)}, which does not exist" if os.path.lexists(path) else ""
    except OSError as exc:
        return "a symlink loop" if exc.errno == errno.ELOOP else f"cannot be read: {exc.strerror or exc}"
    return None if stat.S_ISDIR(st.st_mode) else "not a directory"
