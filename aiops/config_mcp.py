"""The [mcp] settings: external MCP servers whose read-only tools join the investigation.

    [mcp.servers.grafana]                      # stdio: aiops starts the server process
    command = "mcp-grafana"
    args = ["-t", "stdio"]
    env = { GRAFANA_URL = "http://grafana:3000" }
    pass_env = ["GRAFANA_SERVICE_ACCOUNT_TOKEN"]   # aiops's own variables handed on (secrets: names only)
    allow = ["search_dashboards", "query_prometheus", "list_*"]

    [mcp.servers.sentry]                       # streamable HTTP
    url = "https://mcp.sentry.example/mcp"
    headers_env = { Authorization = "SENTRY_MCP_AUTH" }   # header -> the variable holding its value
    allow = ["search_issues"]
    timeout_s = 20                             # each call; startup_timeout_s (60) to connect

Each table is checked here when the settings load (a bad key or value names the file, the
key and the value); aiops.tooling.mcp connects to the servers and registers their tools.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from aiops.errors import ConfigError

SERVER_NAME = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SPECIALISTS = ("metrics", "logs", "traces", "changes", "kubernetes", "knowledge", "analysis")
_KEYS = {"command": str, "args": list, "env": dict, "pass_env": list, "cwd": str, "url": str, "headers": dict,
         "headers_env": dict, "allow": list, "timeout_s": (int, float), "startup_timeout_s": (int, float),
         "enabled": bool, "specialist": str}


@dataclass(frozen=True)
class McpServerConfig:
    name: str
    command: str = ""                    # stdio: the program (found on PATH)
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)           # set in the server's environment
    pass_env: tuple[str, ...] = ()       # names of aiops's own environment variables handed on
    cwd: str = ""
    url: str = ""                        # streamable HTTP endpoint (http:// or https://)
    headers: dict[str, str] = field(default_factory=dict)
    headers_env: dict[str, str] = field(default_factory=dict)   # header -> environment variable holding its value
    allow: tuple[str, ...] = ()          # tool names (or fnmatch patterns) the agent may call; none by default
    timeout_s: float = 30.0              # for each tool call
    startup_timeout_s: float = 60.0      # to start (stdio) or reach (HTTP) the server and list its tools
    enabled: bool = True
    specialist: str = "analysis"         # what kind of evidence its tools read (a label)

    @property
    def transport(self) -> str:
        return "stdio" if self.command else "http"


def _strings(where: str, key: str, value: Any, kind: type) -> Any:
    items = value.items() if kind is dict else enumerate(value)
    for k, v in items:
        if not isinstance(v, str) or (kind is dict and not isinstance(k, str)):
            raise ConfigError(f"{where}: {key} = {value!r} must hold strings only")
    return dict(value) if kind is dict else tuple(value)


def mcp_server_config(where: str, name: str, table: Any) -> McpServerConfig:
    """One [mcp.servers.NAME] table, checked; ConfigError names the key and the value."""
    prefix = f"mcp.servers.{name}"
    if not SERVER_NAME.match(name):
        raise ConfigError(f"{where}: [{prefix}]: a server name is 1-40 letters, digits, '_' or '-'")
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: {prefix} = {table!r} must be a [{prefix}] table")
    values: dict[str, Any] = {}
    for key, value in table.items():
        kind = _KEYS.get(key)
        if kind is None:
            raise ConfigError(f"{where}: unknown key {prefix}.{key} (known: {', '.join(_KEYS)})")
        if not isinstance(value, kind) or (kind == (int, float) and isinstance(value, bool)):
            raise ConfigError(f"{where}: {prefix}.{key} = {value!r} has the wrong type")
        values[key] = _strings(where, f"{prefix}.{key}", value, kind) if kind in (list, dict) else value
    if bool(values.get("command")) == bool(values.get("url")):
        raise ConfigError(f"{where}: [{prefix}] needs exactly one of command (stdio) or url (streamable HTTP)")
    url = values.get("url", "")
    if url and not re.match(r"^https?://[^/\s]+", url):
        raise ConfigError(f"{where}: {prefix}.url = {url!r} is not an http:// or https:// URL")
    for key in ("timeout_s", "startup_timeout_s"):
        if key in values and not 0 < values[key] <= 3600:
            raise ConfigError(f"{where}: {prefix}.{key} = {values[key]!r} must be > 0 and at most 3600")
        if key in values:
            values[key] = float(values[key])
    if values.get("specialist", "analysis") not in SPECIALISTS:
        raise ConfigError(f"{where}: {prefix}.specialist = {values['specialist']!r} is not one of {', '.join(SPECIALISTS)}")
    for key, names in (("pass_env", values.get("pass_env", ())), ("headers_env", values.get("headers_env", {}).values())):
        for var in names:
            if not ENV_NAME.match(var):
                raise ConfigError(f"{where}: {prefix}.{key}: {var!r} is not an environment variable name")
    return McpServerConfig(name=name, **values)


@dataclass
class McpSettings:
    """External MCP servers ([mcp.servers.NAME] tables, see this module's docstring)."""

    servers: dict[str, dict] = field(default_factory=dict)

    def validate(self, where: str) -> None:
        if not isinstance(self.servers, dict):
            raise ConfigError(f"{where}: mcp.servers = {self.servers!r} must be a table of [mcp.servers.NAME] tables")
        for name, table in self.servers.items():
            mcp_server_config(where, name, table)

    def configs(self) -> list[McpServerConfig]:
        """The enabled servers, checked, in name order."""
        out = [mcp_server_config("settings", name, table) for name, table in sorted(self.servers.items())]
        return [c for c in out if c.enabled]
