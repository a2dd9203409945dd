"""Tools the agent can call: the protocol, the one registry, declarative tools.

    registry = default_registry(settings)          # scans, data tools, tools/*.yaml, plug-ins
    tool = registry.get("logs.search")
    result = tool.run(ctx, validate_args(tool.spec.parameters, {"pattern": "timeout"}))
    result.status, result.summary, result.query, result.findings
"""

from aiops.tooling.base import (
    EvidenceView, FunctionTool, Reattribution, Tool, ToolContext, ToolResult, ToolSpec, ToolStatus, model_name,
)
from aiops.tooling.catalog import default_registry
from aiops.tooling.registry import ToolRefused, ToolRegistry
from aiops.tooling.schema import ArgumentError, validate_args

__all__ = [
    "ArgumentError", "EvidenceView", "FunctionTool", "Reattribution", "Tool", "ToolContext", "ToolRefused",
    "ToolRegistry", "ToolResult", "ToolSpec", "ToolStatus", "default_registry", "model_name", "validate_args",
]
