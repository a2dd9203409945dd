"""Files on this machine, by glob: logs, spans, events or metrics in any bundle format.

    [sources.files.app]
    paths = ["/var/log/app/*.log", "/srv/export/spans.jsonl"]

Each file is read by the bundle loader its name calls for (`<service>.log` plain logs,
logs.jsonl, spans.csv, traces/*.json OTLP, events.jsonl, metrics.csv, ...); `format`
forces one format for every file. Rows outside the window are dropped after loading.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from aiops.domain import TimeWindow
from aiops.errors import ConfigError
from aiops.telemetry.live.base import FetchScope, LiveSource
from aiops.telemetry.live.result import FetchResult, Health

_PLAIN_LOG = "logs/*.log"


@dataclass
class FilesOptions:
    paths: list[str] = field(default_factory=list)
    format: str = "auto"          # auto, or a bundle format name: logs/*.log, logs.jsonl, spans.csv, ...
    max_files: int = 200

    def validate(self, key: str, where: str) -> None:
        from aiops.telemetry.formats import get_formats

        if not self.paths:
            raise ConfigError(f'{where}: {key}.paths is required (e.g. paths = ["/var/log/app/*.log"])')
        names = [f.name for f in get_formats()]
        if self.format != "auto" and self.format not in names:
            raise ConfigError(f"{where}: {key}.format = {self.format!r} is not auto or one of {', '.join(names)}")
        if self.max_files <= 0:
            raise ConfigError(f"{where}: {key}.max_files = {self.max_files!r} must be > 0")


def format_for(path: Path) -> str | None:
    """The bundle format a file's name calls for (None: not a telemetry file)."""
    from aiops.telemetry.formats import get_formats

    name = path.name
    for fmt in get_formats():
        for pattern in fmt.patterns:
            base = pattern.split("/")[-1]
            if "/" in pattern and pattern != _PLAIN_LOG and path.parent.name != pattern.split("/")[0]:
                continue
            if fnmatch.fnmatch(name, base):
                return fmt.name
    if name.endswith((".log", ".log.gz")):
        return _PLAIN_LOG
    return None


class FilesSource(LiveSource):
    kind = "files"
    Options = FilesOptions
    provides = ("logs", "spans", "events", "metrics")
    ENDPOINTS = ()                                     # no network: files are opened read-only

    def target(self) -> str:
        return ", ".join(self.options.paths)

    def matches(self) -> tuple[list[tuple[str, str]], list[str]]:
        """(path, format) of every matching file, and the patterns that matched nothing."""
        found: list[tuple[str, str]] = []
        empty: list[str] = []
        for pattern in self.options.paths:
            hits = sorted(p for p in glob.glob(os.path.expanduser(pattern), recursive=True) if os.path.isfile(p))
            if not hits:
                empty.append(pattern)
            for hit in hits:
                fmt = self.options.format if self.options.format != "auto" else format_for(Path(hit))
                if fmt and all(hit != f for f, _ in found):
                    found.append((hit, fmt))
        return found, empty

    def health(self) -> Health:
        found, empty = self.matches()
        if not found:
            return Health(False, "no file matches " + ", ".join(self.options.paths))
        newest = max(os.path.getmtime(f) for f, _ in found)
        age = max(0.0, time.time() - newest)
        text = f"{len(found)} files, newest written {age / 60:.0f} min ago"
        return Health(True, text + (f"; nothing matches {', '.join(empty)}" if empty else ""))

    def fetch(self, window: TimeWindow, scope: FetchScope = FetchScope()) -> FetchResult:
        result = FetchResult(source=self.label, queries=list(self.options.paths))
        found, empty = self.matches()
        for pattern in empty:
            result.problems.append(f"no file matches {pattern}")
        if len(found) > self.options.max_files:
            result.problems.append(f"{len(found) - self.options.max_files} of {len(found)} files not read "
                                   f"(max_files = {self.options.max_files})")
            found = found[: self.options.max_files]
        if not found:
            result.status = "error"
            result.message = "no file matches " + ", ".join(self.options.paths)
            return result
        result.batch.files = found
        return result.finish()
