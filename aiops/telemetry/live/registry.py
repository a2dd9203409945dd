"""The one registry of live-source kinds (habit 1: register, don't scan).

A kind is a name and a lazily imported "module:Class"; built-ins register here through
`register_source_kind`, exactly as a plug-in would. `build_sources` turns the config's
`[sources.<kind>.<name>]` tables into sources, checking every option.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Mapping

from aiops.errors import BadInputError

_PKG = "aiops.telemetry.live"


@dataclass(frozen=True)
class SourceKind:
    name: str
    target: str            # "module:Class", imported on first use
    description: str = ""

    def load(self) -> type:
        module, _, cls = self.target.partition(":")
        return getattr(importlib.import_module(module), cls)


_KINDS: dict[str, SourceKind] = {}


def register_source_kind(name: str, target: str, description: str = "") -> None:
    """Add (or replace) a source kind; `target` is "module:Class" of a LiveSource subclass."""
    _KINDS[name] = SourceKind(name, target, description)


def get_source_kind(name: str) -> SourceKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise BadInputError(f"unknown source kind {name!r} (known: {', '.join(sorted(_KINDS))})") from None


def source_kinds() -> list[SourceKind]:
    return list(_KINDS.values())


def configured_tables(settings: Any) -> list[tuple[str, str, Mapping[str, Any]]]:
    """(kind, name, table) for every configured source, in registry then name order."""
    out = []
    for kind in _KINDS:
        for name, table in sorted((getattr(settings.sources, kind, None) or {}).items()):
            out.append((kind, name, table))
    return out


def build_source(kind: str, name: str, table: Mapping[str, Any], where: str = "settings",
                 env: Mapping[str, str] | None = None):
    """One source from its config table; ConfigError naming the key when an option is bad."""
    from aiops.telemetry.live.options import parse_options

    cls = get_source_kind(kind).load()
    opts = parse_options(cls.Options, table, f"sources.{kind}.{name}", where)
    return cls(name, opts, env=env, where=where)


def _matches(selector: str, kind: str, name: str) -> bool:
    return selector in (name, kind, f"{kind}.{name}", f"{kind}/{name}")


def build_sources(settings: Any, names: list[str] | None = None, env: Mapping[str, str] | None = None,
                  telemetry_only: bool = False) -> list:
    """The configured sources (all, or those `names` select: NAME, KIND or KIND.NAME)."""
    where = settings.source_file or "settings"
    tables = configured_tables(settings)
    if names:
        for sel in names:
            if not any(_matches(sel, k, n) for k, n, _ in tables):
                known = ", ".join(f"{k}.{n}" for k, n, _ in tables) or "none configured"
                raise BadInputError(f"--source {sel}: no such source (configured: {known})")
        tables = [(k, n, t) for k, n, t in tables if any(_matches(sel, k, n) for sel in names)]
    sources = [build_source(k, n, t, where, env) for k, n, t in tables]
    if telemetry_only:
        sources = [s for s in sources if s.provides]
    return sources


for _name, _cls, _desc in (
    ("prometheus", "prometheus:PrometheusSource", "metrics: PromQL range queries, aggregated server-side"),
    ("alertmanager", "alertmanager:AlertmanagerSource", "firing alerts (v2 API): the incident to diagnose"),
    ("kubernetes", "k8s:KubernetesSource", "pods, restarts, events, rollouts, nodes, pod logs (read-only)"),
    ("loki", "loki:LokiSource", "logs: LogQL query_range"),
    ("jaeger", "jaeger:JaegerSource", "traces: Jaeger query HTTP API"),
    ("tempo", "tempo:TempoSource", "traces: Tempo search + trace by id (OTLP JSON)"),
    ("files", "files:FilesSource", "log, span, event or metric files by glob (bundle formats)"),
):
    register_source_kind(_name, f"{_PKG}.{_cls}", _desc)
