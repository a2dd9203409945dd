"""Reading truth.toml (evaluation bundles only; `aiops diagnose` never reads it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aiops.errors import BundleError
from aiops.tomlfile import read_toml

TRUTH_FILE = "truth.toml"


@dataclass(frozen=True)
class Truth:
    services: tuple[str, ...]
    kind: str
    tags: tuple[str, ...] = ()


def read_truth(bundle: Path) -> Truth | None:
    path = Path(bundle) / TRUTH_FILE
    if not path.is_file():
        return None
    data = read_toml(path, BundleError)
    causes = data.get("root_cause") or []
    if isinstance(causes, dict):
        causes = [causes]
    services = tuple(str(c["service"]) for c in causes if isinstance(c, dict) and c.get("service"))
    if not services:
        raise BundleError(f"{path}: no [[root_cause]] with a service")
    kind = str(causes[0].get("kind") or "unknown")
    tags = data.get("tags") or []
    if isinstance(tags, str):
        tags = [tags]
    tags = [str(t) for t in tags]
    source = data.get("source")
    if isinstance(source, str) and source and source not in tags:
        tags.append(source)                   # `source = "feedback"` tags a case too
    return Truth(services=services, kind=kind, tags=tuple(tags))
