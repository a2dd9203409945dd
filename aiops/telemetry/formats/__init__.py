"""The registry of bundle file formats: which files a bundle may hold and who loads them.

Built-in formats register through `register_format`, as a plug-in would. A loader is named
"module:function" and imported only when a bundle has such a file; it is called as
`loader(con, path, name) -> LoadResult` and appends rows to its table.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from aiops.telemetry.formats.sources import LoadResult

Loader = Callable[..., LoadResult]


@dataclass(frozen=True)
class FileFormat:
    name: str                      # e.g. "metrics.csv"
    table: str                     # metrics | logs | spans | events
    patterns: tuple[str, ...]      # globs relative to the bundle directory
    loader: str                    # "module:function"

    def load_function(self) -> Loader:
        module, _, func = self.loader.partition(":")
        return getattr(importlib.import_module(module), func)


_FORMATS: dict[str, FileFormat] = {}
_PKG = "aiops.telemetry.formats"


def register_format(fmt: FileFormat) -> None:
    """Add (or replace, by name) a bundle file format."""
    _FORMATS[fmt.name] = fmt


def get_formats() -> list[FileFormat]:
    return list(_FORMATS.values())


def bundle_files(bundle: Path, skipped: list[str] | None = None) -> list[tuple[Path, FileFormat]]:
    """Every file of the bundle that some format claims, in registry then name order. A path
    a format claims that is not a readable regular file (a directory, a device, a symlink loop,
    a dangling link) is left out and named in `skipped` ("metrics.csv: a symlink loop; not loaded")."""
    from aiops.telemetry.paths import not_a_file

    seen: set[Path] = set()
    found: list[tuple[Path, FileFormat]] = []
    for fmt in get_formats():
        for pattern in fmt.patterns:
            # a literal name is looked up directly: glob() drops dangling links and loops silently
            paths = sorted(bundle.glob(pattern)) if any(c in pattern for c in "*?[") else [bundle / pattern]
            for path in paths:
                if path in seen or not os.path.lexists(path):
                    continue
                seen.add(path)
                why = not_a_file(path)
                if why is None:
                    found.append((path, fmt))
                elif skipped is not None:
                    skipped.append(f"{path.relative_to(bundle).as_posix()}: {why}; not loaded")
    return found


for _fmt in (
    FileFormat("metrics.csv", "metrics", ("metrics.csv", "metrics.csv.gz"), f"{_PKG}.metrics:load_metrics_csv"),
    FileFormat("metrics.parquet", "metrics", ("metrics.parquet",), f"{_PKG}.metrics:load_metrics_parquet"),
    FileFormat("metrics.json", "metrics", ("metrics.json", "metrics.json.gz"),
               f"{_PKG}.metrics:load_metrics_prometheus_json"),
    FileFormat("logs.csv", "logs", ("logs.csv", "logs.csv.gz"), f"{_PKG}.logs:load_logs_csv"),
    FileFormat("logs.jsonl", "logs", ("logs.jsonl", "logs.jsonl.gz"), f"{_PKG}.logs:load_logs_jsonl"),
    FileFormat("logs/*.log", "logs", ("logs/*.log", "logs/*.log.gz"), f"{_PKG}.logs:load_plain_log"),
    FileFormat("spans.csv", "spans", ("spans.csv", "spans.csv.gz"), f"{_PKG}.spans:load_spans_csv"),
    FileFormat("spans.jsonl", "spans", ("spans.jsonl", "spans.jsonl.gz"), f"{_PKG}.spans:load_spans_jsonl"),
    FileFormat("traces/*.json", "spans", ("traces/*.json", "traces/*.json.gz", "traces/*.jsonl",
                                          "traces/*.jsonl.gz"), f"{_PKG}.otlp:load_otlp_json"),
    FileFormat("events.jsonl", "events", ("events.jsonl", "events.jsonl.gz"), f"{_PKG}.events:load_events_jsonl"),
):
    register_format(_fmt)
