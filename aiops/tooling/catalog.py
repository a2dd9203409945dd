"""Every tool of a run, registered through the one registry: the survey scans, the data
tools, the shipped declarative tools (tools/*.yaml), the operator's tool directories and
plug-ins (the `aiops.tools` entry-point group)."""

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
    return registry
