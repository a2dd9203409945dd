"""Every tool of a run, registered through the one registry: the survey scans, the data
tools, the shipped declarative tools (tools/*.yaml), the operator's tool directories and
plug-ins (the `aiops.tools` entry-point group) and the tools of the operator's MCP servers
([mcp.servers.NAME]; the caller closes the registry to end those connections)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiops.resources import content_dir
from aiops.tooling.data_tools import register_data_tools
from aiops.tooling.registry import ToolRegistry
from aiops.tooling.scans import register_scans


def default_registry(settings: Any, plugins: bool = True) -> ToolRegistry:
    registry = ToolRegistry()
    register_scans(registry)
    register_data_tools(registry)
    registry.load_directory(content_dir("tools"))
    for extra in settings.tools.paths or []:
        registry.load_directory(Path(extra).expanduser())
    if plugins:
        registry.load_plugins()
    mcp = getattr(settings, "mcp", None)
    if mcp is not None and mcp.servers:       # the operator's MCP servers: started now, closed by registry.close()
        from aiops.tooling.mcp_tools import register_mcp_servers

        register_mcp_servers(registry, mcp.configs())
    return registry
