"""Incident bundles (see shared/spec/incident-bundle.md): load one into a TelemetryStore.

    loaded = load_bundle("incidents/checkout")     # LoadedBundle
    loaded.incident, loaded.store, loaded.files, loaded.warnings

All files load in one transaction: a bad file leaves the store as it was. Bad input raises
a one-line BundleError naming the file (and line, column and value where known). The
window rules are in aiops.telemetry.incident.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiops.domain import Incident
from aiops.errors import BundleError
from aiops.telemetry.formats import bundle_files
from aiops.telemetry.incident import read_incident
from aiops.telemetry.limits import BundleLimits, loading_limits
from aiops.telemetry.store import TelemetryStore
from aiops.timeutil import to_rfc3339

# Files a bundle may hold that are not telemetry (truth.toml is listed, never read here).
_NOT_TELEMETRY = {"incident.toml", "alert.json", "truth.toml"}
_SCANNED_DIRS = ("logs", "traces")
# Below this many bytes of files a bundle's store runs DuckDB on one thread. DuckDB splits
# a scan by row groups (122,880 rows) and a CSV read by large chunks: a bundle of tens of MB
# holds one or two a table, so a second thread has nothing to split and only contends with
# the analytics of the other scans (measured on 2 cores: ~12 % more CPU, a slower load).
SINGLE_THREAD_BYTES = 256 * 1024 * 1024


@dataclass
class LoadedBundle:
    path: Path
    incident: Incident
    store: TelemetryStore
    files: list[tuple[str, str, int]]          # (path relative to the bundle, table, rows)
    warnings: list[str] = field(default_factory=list)


def _bundle_dir(bundle_dir: str | Path) -> Path:
    from aiops.telemetry.paths import not_a_directory

    path = Path(bundle_dir).expanduser()
    why = not_a_directory(path)
    if why == "":
        raise BundleError(f"{path}: bundle does not exist")
    if why == "not a directory":
        raise BundleError(f"{path}: not a bundle directory (a bundle is a directory with incident.toml)")
    if why:
        raise BundleError(f"{path}: {why}, not a bundle directory")
    return path


def load_incident(bundle_dir: str | Path, limits: BundleLimits | None = None) -> Incident:
    """The bundle's Incident. Without a [window] the data decides it, so the data is read."""
    path = _bundle_dir(bundle_dir)
    spec = read_incident(path)
    if spec.window is not None:
        return spec.resolve(None)
    loaded = load_bundle(path, limits=limits)
    loaded.store.close()
    return loaded.incident


def load_bundle(bundle_dir: str | Path, store: TelemetryStore | None = None,
                limits: BundleLimits | None = None) -> LoadedBundle:
    """Read every telemetry file of the bundle into `store` (a new in-memory one by default),
    within `limits` (aiops.telemetry.limits; the defaults when None)."""
    path = _bundle_dir(bundle_dir)
    spec = read_incident(path)
    owned = store is None
    store = store if store is not None else TelemetryStore()
    files: list[tuple[str, str, int]] = []
    warnings: list[str] = list(spec.warnings)
    try:
        found = bundle_files(path, warnings)
        if owned and sum(_size(file) for file, _ in found) < SINGLE_THREAD_BYTES:
            store.connection.execute("SET threads = 1")
        with store.transaction() as con, loading_limits(limits):
            for file, fmt in found:
                rel = file.relative_to(path).as_posix()
                result = fmt.load_function()(con, file, rel)
                files.append((rel, fmt.table, result.rows))
                warnings.extend(result.warnings)
        data_range = store.time_range()
        incident = spec.resolve(data_range)
    except BaseException:
        if owned:
            store.close()
        raise
    warnings.extend(_unclaimed(path, {f for f, _, _ in files}))
    warnings.extend(f"{rel}: no data rows" for rel, _, rows in files if rows == 0)
    if data_range is not None and (data_range[1] < incident.window.start or data_range[0] > incident.window.end):
        warnings.append(f"the data ({to_rfc3339(data_range[0])} .. {to_rfc3339(data_range[1])}) lies outside "
                        f"the window ({to_rfc3339(incident.window.start)} .. {to_rfc3339(incident.window.end)})")
    if not files:
        warnings.append("the bundle has no telemetry files")
    return LoadedBundle(path=path, incident=incident, store=store, files=files, warnings=warnings)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _unclaimed(bundle: Path, claimed: set[str]) -> list[str]:
    out = []
    candidates = [p for p in bundle.iterdir() if p.is_file()]
    for sub in _SCANNED_DIRS:
        if (bundle / sub).is_dir():
            candidates += [p for p in (bundle / sub).iterdir() if p.is_file()]
    for p in sorted(candidates):
        rel = p.relative_to(bundle).as_posix()
        if rel in claimed or rel in _NOT_TELEMETRY or p.name.startswith(".") or p.suffix.lower() in (".md", ".txt"):
            continue
        out.append(f"{rel}: not a bundle file the loader knows; ignored")
    return out


@dataclass
class ValidationReport:
    path: str
    incident: Incident
    files: list[tuple[str, str, int]]
    counts: dict[str, int]
    services: list[str]
    services_by_table: dict[str, list[str]]
    time_range: tuple[float, float] | None
    warnings: list[str]

    def as_dict(self) -> dict[str, Any]:
        inc = self.incident
        return {
            "path": self.path,
            "incident": {
                "title": inc.title,
                "started_at": to_rfc3339(inc.started_at) if inc.started_at is not None else None,
                "window": {"start": to_rfc3339(inc.window.start), "end": to_rfc3339(inc.window.end)},
                "alert": inc.alert,
                "symptom": inc.symptom,
            },
            "files": [{"path": p, "table": t, "rows": n} for p, t, n in self.files],
            "counts": self.counts,
            "services": self.services,
            "services_by_table": self.services_by_table,
            "data_range": None if self.time_range is None else
            {"start": to_rfc3339(self.time_range[0]), "end": to_rfc3339(self.time_range[1])},
            "warnings": self.warnings,
        }


def validate_bundle(bundle_dir: str | Path, limits: BundleLimits | None = None) -> ValidationReport:
    """Load the bundle in memory and report what it holds; BundleError when unusable."""
    loaded = load_bundle(bundle_dir, limits=limits)
    try:
        store = loaded.store
        return ValidationReport(
            path=str(loaded.path), incident=loaded.incident, files=loaded.files, counts=store.counts(),
            services=store.services(), services_by_table=store.services_by_table(),
            time_range=store.time_range(), warnings=loaded.warnings)
    finally:
        loaded.store.close()
