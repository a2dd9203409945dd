"""Writing output files the way an operator expects, for every writer (reports, exports,
`--output` streams, the release report directory, snapshots).

- A regular file, or a new one, is replaced atomically: written to a temp file beside it,
  fsynced, renamed over it. A failed write leaves the previous file whole.
- A device, FIFO, socket or symlink is written *through*: `/dev/stdout`, `/dev/null`, a
  named pipe or a link to the real report stay what they are (a rename would replace
  the device node or the link with a regular file).
- A directory is refused (BadInputError).
- A path whose directory is missing or not a directory is bad input (exit 2); a write the
  disk refuses (full, quota, I/O error) is a WriteError (exit 3) naming the file.

`write_directory` / `publish_directory` swap a finished directory into place (the release
report set, snapshots), so a failure never leaves files of an older set beside a new one.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import IO, Iterable

from aiops.errors import BadInputError, WriteError, os_reason

# errors of the disk, not of the path: a WriteError (exit 3) even when opening
_DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _label(path: Path, flag: str) -> str:
    return f"{flag} {path}" if flag else str(path)


def write_through(path: Path, flag: str = "") -> bool:
    """True when `path` must be written in place rather than replaced: a symlink (even a
    dangling one), a device, a FIFO or a socket. BadInputError for a directory."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise BadInputError(f"{_label(path, flag)}: cannot write: {os_reason(exc)}") from None
    if stat.S_ISDIR(st.st_mode):
        raise BadInputError(f"{_label(path, flag)}: is a directory; give a file name")
    if stat.S_ISLNK(st.st_mode):
        if Path(path).is_dir():
            raise BadInputError(f"{_label(path, flag)}: links to a directory; give a file name")
        return True
    return not stat.S_ISREG(st.st_mode)


def check_parent(path: Path, flag: str = "") -> Path:
    """The directory `path` will be written in; BadInputError when it is missing or not a directory."""
    parent = path.parent if str(path.parent) else Path(".")
    try:
        if not parent.is_dir():
            what = "is not a directory" if parent.exists() or _is_file_on_path(parent) else "does not exist"
            raise BadInputError(f"{_label(path, flag)}: directory {parent} {what}")
    except OSError as exc:          # a symlink loop, a name too long
        raise BadInputError(f"{_label(path, flag)}: {os_reason(exc)}") from None
    return parent


def _is_file_on_path(p: Path) -> bool:
    """A non-directory somewhere on the way (`/dev/full/x`: /dev/full is a device)."""
    for q in [p, *p.parents]:
        try:
            if q.exists():
                return not q.is_dir()
        except OSError:
            return True
    return False


def _open_error(path: Path, flag: str, exc: OSError) -> Exception:
    reason = os_reason(exc)
    if exc.errno in _DISK_ERRNOS:
        return WriteError(f"{_label(path, flag)}: cannot write: {reason}")
    return BadInputError(f"{_label(path, flag)}: cannot write: {reason}")


def write_atomic(path: Path, text: str, flag: str = "") -> None:
    """Write `text` to `path`: atomically for a regular or new file, through for a special one."""
    path = Path(path)
    with OutputFile(path, flag) as fh:
        fh.write(text)


class OutputFile:
    """A text file to write, as a context manager: `with OutputFile(path, "--output") as fh`.

    `path` None is standard output. The file appears (replacing the old one) only when the
    block ends without an exception; any OSError on the way is a WriteError naming it.
    """

    def __init__(self, path: Path | None, flag: str = "", newline: str | None = "") -> None:
        self.path = Path(path) if path is not None else None
        self.flag = flag
        self.newline = newline
        self._fh: IO[str] | None = None
        self._tmp: str | None = None
        self._atomic = False

    def __enter__(self) -> IO[str]:
        import sys

        if self.path is None:
            return sys.stdout
        path = self.path
        through = write_through(path, self.flag)
        parent = check_parent(path, self.flag)
        try:
            if through:
                self._fh = open(path, "w", encoding="utf-8", newline=self.newline)  # noqa: SIM115
            else:
                fd, self._tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=parent)
                self._atomic = True
                os.fchmod(fd, 0o666 & ~_umask())   # mkstemp makes 0600; an output reads like any new file
                self._fh = os.fdopen(fd, "w", encoding="utf-8", newline=self.newline)
        except OSError as exc:
            self._discard()
            raise _open_error(path, self.flag, exc) from None
        return self._fh

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if self._fh is None:
            return
        fh, self._fh = self._fh, None
        try:
            if kind is None:
                fh.flush()
                if self._tmp is not None:
                    os.fsync(fh.fileno())
            fh.close()
            if kind is None and self._tmp is not None:
                os.replace(self._tmp, self.path)
                self._tmp = None
        except OSError as err:
            try:
                fh.close()
            except OSError:
                pass
            self._discard()
            if kind is None:
                raise self._write_error(err) from None
        self._discard()
        if isinstance(exc, OSError) and not isinstance(exc, (BrokenPipeError,)) and exc.filename is None:
            raise self._write_error(exc) from None       # a write inside the block failed

    def _write_error(self, exc: OSError) -> WriteError:
        kept = " (the previous file is unchanged)" if self._atomic and self.path is not None \
            and self.path.exists() else ""
        return WriteError(f"{_label(self.path, self.flag)}: cannot write: {os_reason(exc)}{kept}")

    def _discard(self) -> None:
        if self._tmp is not None:
            try:
                os.unlink(self._tmp)
            except FileNotFoundError:
                pass
            self._tmp = None


# -- a directory of files, swapped in whole ----------------------------------------------------

def check_output_dir(out: Path, flag: str = "") -> Path:
    """BadInputError unless `out` is a directory or can be made one (its nearest existing
    ancestor is a directory). A symlink to a directory is resolved."""
    out = Path(out)
    try:
        if out.is_symlink():
            out = out.resolve(strict=True)
        if out.exists():
            if not out.is_dir():
                raise BadInputError(f"{_label(out, flag)}: exists and is not a directory")
            return out
        for ancestor in out.parents:
            if ancestor.exists():
                if not ancestor.is_dir():
                    raise BadInputError(f"{_label(out, flag)}: {ancestor} is not a directory")
                break
    except OSError as exc:          # a symlink loop, a name too long, a dangling link
        raise BadInputError(f"{_label(out, flag)}: {os_reason(exc)}") from None
    return out


def write_directory(out: Path, files: dict[str, str], flag: str = "") -> None:
    """Write `files` (name -> text) as the directory `out`: all of them into a fresh sibling
    directory first, then swapped in (see `publish_directory`). When any write fails,
    nothing in `out` has changed, and the WriteError says so."""
    target = check_output_dir(out, flag)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    except OSError as exc:
        raise _open_error(Path(out), flag, exc) from None
    try:
        for name, text in files.items():
            current = name
            with open(staged / name, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
        current = ""
        publish_directory(staged, target, files)
    except OSError as exc:
        shutil.rmtree(staged, ignore_errors=True)
        what = f"cannot write {current}" if current else "cannot move the new files into place"
        kept = f"; nothing in {out} was changed" if target.exists() else ""
        raise WriteError(f"{_label(Path(out), flag)}: {what}: {os_reason(exc)}{kept}") from None
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise


def publish_directory(staged: Path, out: Path, replace_names: Iterable[str] | None = None) -> None:
    """Move the finished directory `staged` into place as `out` (a symlink to a directory is
    followed). `out` absent: one rename. `out` holding only `replace_names` (or anything, when
    None): the old directory is swapped out whole. Else (an output directory shared with
    other files) each staged file replaces its namesake and the other files stay."""
    out = Path(out)
    if out.is_symlink():
        out = out.resolve()
    os.chmod(staged, 0o777 & ~_umask())
    if not out.exists():
        os.rename(staged, out)
        return
    names = None if replace_names is None else set(replace_names)
    if names is None or {p.name for p in out.iterdir()} <= names:
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        os.rename(out, old / "d")
        try:
            os.rename(staged, out)
        except BaseException:
            os.rename(old / "d", out)
            raise
        shutil.rmtree(old, ignore_errors=True)
        return
    for item in sorted(staged.iterdir()):
        os.replace(item, out / item.name)
    shutil.rmtree(staged, ignore_errors=True)
