"""Versioned prompt templates: aiops/prompts/<name>/<version>.md (and the operator's own
directories). Files are re-read when they change, so a running process (the TUI) picks up
an edit without a restart.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

from aiops.errors import ConfigError

_PACKAGE_DIR = Path(__file__).resolve().parent.parent / "prompts"
_VERSION = re.compile(r"v(\d+)")


@dataclass(frozen=True)
class Prompt:
    name: str
    version: str
    text: str
    path: str


class PromptStore:
    def __init__(self, directories: list[Path] | None = None) -> None:
        # later directories win: the operator's prompts override the shipped ones
        self.directories = [_PACKAGE_DIR, *(Path(d).expanduser() for d in directories or [])]
        self._cache: dict[Path, tuple[tuple[int, int, int], str]] = {}
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        """Every prompt that has at least one version file."""
        return sorted({p.parent.name for d in self.directories for p in d.glob("*/v*.md") if _VERSION.fullmatch(p.stem)})

    def versions(self, name: str) -> list[str]:
        found = {p.stem for d in self.directories for p in (d / name).glob("v*.md") if _VERSION.fullmatch(p.stem)}
        return sorted(found, key=lambda v: int(v[1:]))

    def _path(self, name: str, version: str) -> Path | None:
        for d in reversed(self.directories):
            p = d / name / f"{version}.md"
            if p.is_file():
                return p
        return None

    def get(self, name: str, version: str | None = None) -> Prompt:
        """The prompt `name` at `version` (default: the highest version there is)."""
        known = self.versions(name)
        if not known:
            raise ConfigError(f"no prompt named {name!r} in {', '.join(str(d) for d in self.directories)}")
        version = version or known[-1]
        path = self._path(name, version)
        if path is None:
            raise ConfigError(f"prompt {name!r} has no version {version!r} (known: {', '.join(known)})")
        st = path.stat()
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)   # an editor that renames a new file in changes the inode
        with self._lock:
            cached = self._cache.get(path)
            if cached is None or cached[0] != stamp:
                cached = (stamp, path.read_text(encoding="utf-8").strip())
                self._cache[path] = cached
        return Prompt(name, version, cached[1], str(path))
