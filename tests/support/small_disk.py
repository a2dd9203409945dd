"""A real, small, full-able disk: a tmpfs mounted for one test (root only, as here and in CI).

    with small_tmpfs(tmp_path / "disk", "2m") as disk:
        fill(disk, leave=64 * 1024)          # the disk now has ~64 KiB free
        ...

Skips the test with the reason when the machine cannot mount one (not root, no tmpfs in a
container); always unmounts (lazily, so a file left open cannot keep it mounted).
"""

from __future__ import annotations

import os
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest


@contextmanager
def small_tmpfs(mountpoint: Path, size: str = "2m") -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("a real full disk needs a tmpfs mount, and mounting needs root")
    mountpoint.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(mountpoint)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {(proc.stderr or proc.stdout).strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], capture_output=True)


def free_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def fill(disk: Path, leave: int = 0, name: str = ".filler") -> Path:
    """Take all but about `leave` bytes of the disk's free space with one file."""
    filler = disk / name
    with open(filler, "ab", buffering=0) as fh:
        chunk = b"\0" * 65536
        while free_bytes(disk) > leave:
            want = min(len(chunk), free_bytes(disk) - leave)
            try:
                if not fh.write(chunk[:want]):
                    break
            except OSError:
                break
    return filler
