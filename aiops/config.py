"""Typed settings in one place: built-in defaults < file < AIOPS_* env vars < flags.

The file is the first of `--config PATH`, `$AIOPS_CONFIG`, `~/.config/aiops/config.toml`
that is given/exists. Every key is declared as a typed dataclass field (one dataclass per
section, in aiops.config_sections, re-exported here); unknown
sections or keys and values of the wrong type are rejected with a message that names the
file (or env var / flag), the key and the bad value. Nothing else in aiops reads
`os.environ` for settings.
"""

from __future__ import annotations

import dataclasses
import os
import typing
from pathlib import Path
from typing import Any, Mapping

from aiops.config_sections import (  # re-exported: the sections are part of this module's API
    GeneralSettings,
    DiagnoseSettings,
    AnalyticsSettings,
    ModelsSettings,
    GatewaySettings,
    KbSettings,
    ToolsSettings,
    PlaybooksSettings,
    SourcesSettings,
    TracingSettings,
    HistorySettings,
    EvaluationSettings,
    PromptsSettings,
    LimitsSettings,
    ReleaseSettings,
    ServeSettings,
    MemorySettings,
    Settings,
    section_names,
)
from aiops.config_mcp import McpServerConfig, McpSettings
from aiops.errors import ConfigError
from aiops.tomlfile import read_toml

ENV_PREFIX = "AIOPS_"
ENV_CONFIG = "AIOPS_CONFIG"
__all__ = [
    "GeneralSettings",
    "DiagnoseSettings",
    "AnalyticsSettings",
    "ModelsSettings",
    "GatewaySettings",
    "KbSettings",
    "ToolsSettings",
    "PlaybooksSettings",
    "SourcesSettings",
    "TracingSettings",
    "HistorySettings",
    "EvaluationSettings",
    "PromptsSettings",
    "LimitsSettings",
    "ReleaseSettings",
    "ServeSettings",
    "MemorySettings",
    "McpSettings",
    "McpServerConfig",
    "Settings",
    "section_names",
    "ENV_PREFIX", "ENV_CONFIG", "config_path", "load_settings", "step_summary_path",
]


def _coerce(where: str, key: str, value: Any, typ: Any, from_text: bool) -> Any:
    """Check (or, for env/flags, convert from text) one value against its declared type."""
    origin = typing.get_origin(typ)
    args = typing.get_args(typ)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        if value is None or (from_text and str(value).lower() in ("", "none", "null")):
            if type(None) in args:
                return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(where, key, value, inner[0], from_text)
    bad = ConfigError(f"{where}: {key} = {value!r} is not a valid {getattr(typ, '__name__', typ)}")
    if typ is bool:
        if isinstance(value, bool):
            return value
        if from_text and str(value).lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            return str(value).lower() in ("1", "true", "yes", "on")
        raise bad
    if typ is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if from_text:
            try:
                return int(str(value))
            except ValueError:
                raise bad from None
        raise bad
    if typ is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if from_text:
            try:
                return float(str(value))
            except ValueError:
                raise bad from None
        raise bad
    if typ is str:
        if isinstance(value, str):
            return value
        if from_text:
            return str(value)
        raise bad
    if origin in (list, tuple):
        if from_text and isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, (list, tuple)):
            raise bad
        return [_coerce(where, key, v, args[0] if args else str, from_text) for v in value]
    if origin is dict or typ is dict:
        if not isinstance(value, Mapping):
            raise bad
        return dict(value)
    return value


def _apply(settings: Settings, where: str, section: str, key: str, value: Any, from_text: bool) -> None:
    if section not in section_names():
        raise ConfigError(f"{where}: unknown section [{section}] (known: {', '.join(section_names())})")
    obj = getattr(settings, section)
    hints = typing.get_type_hints(type(obj))
    names = [f.name for f in dataclasses.fields(obj)]
    if key not in names:
        raise ConfigError(f"{where}: unknown key {section}.{key} (known: {', '.join(names)})")
    setattr(obj, key, _coerce(where, f"{section}.{key}", value, hints[key], from_text))


def config_path(explicit: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None) -> Path | None:
    """The config file to read, or None when no file is given and the default is absent."""
    env = os.environ if env is None else env
    if explicit:
        return Path(explicit).expanduser()
    if env.get(ENV_CONFIG):
        return Path(env[ENV_CONFIG]).expanduser()
    default = Path.home() / ".config" / "aiops" / "config.toml"
    return default if default.is_file() else None


def load_settings(
    path: str | os.PathLike[str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Build validated settings. `overrides` are flag values keyed 'section.key'."""
    env = os.environ if env is None else env
    settings = Settings()
    file = config_path(path, env)
    if file is not None:
        where = str(file)
        if not file.is_file():
            raise ConfigError(f"{where}: config file does not exist")
        data = read_toml(file, ConfigError, where)
        for section, table in data.items():
            if not isinstance(table, dict):
                raise ConfigError(f"{where}: {section} = {table!r} must be a [{section}] table")
            for key, value in table.items():
                _apply(settings, where, section, key, value, from_text=False)
        settings.source_file = where
    sections = sorted(section_names(), key=len, reverse=True)
    for name, value in sorted(env.items()):
        if not name.startswith(ENV_PREFIX) or name == ENV_CONFIG or name.startswith("AIOPS_TEST_"):
            continue
        rest = name[len(ENV_PREFIX):].lower()
        section = next((s for s in sections if rest.startswith(s + "_")), None)
        if section is None:
            raise ConfigError(f"environment variable {name}: no such setting (use AIOPS_<SECTION>_<KEY>)")
        _apply(settings, f"environment variable {name}", section, rest[len(section) + 1:], value, from_text=True)
    for dotted, value in (overrides or {}).items():
        if value is None:
            continue
        section, _, key = dotted.partition(".")
        _apply(settings, f"flag for {dotted}", section, key, value, from_text=isinstance(value, str))
    settings.otel_env = {k: v for k, v in env.items() if k.startswith("OTEL_")}
    where = settings.source_file or "settings"
    for section in section_names():
        getattr(settings, section).validate(where)
    return settings


def step_summary_path(settings: Settings, env: Mapping[str, str] | None = None) -> Path | None:
    """Where the post-release report's Markdown is appended: [release] step_summary, else
    $GITHUB_STEP_SUMMARY (GitHub Actions sets it for every step); None when neither is set."""
    env = os.environ if env is None else env
    path = settings.release.step_summary or env.get("GITHUB_STEP_SUMMARY", "")
    return Path(path).expanduser() if path else None
