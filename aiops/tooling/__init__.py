"""Tools the agent can call: the protocol, the one registry, declarative tools.

    registry = default_registry(settings)          # data tools + tools/*.yaml + plug-ins
    tool = registry.get("logs.search")
    result = tool.run(ctx, validate_args(tool.spec.parameters, {"pattern": "timeout"}))
    result.status, result.summary, result.query, result.findings
"""

from aiops.tooling.base import FunctionTool, Tool, ToolContext, ToolResult, ToolSpec, model_name
from aiops.tooling.registry import ToolRefused, ToolRegistry, default_registry
from aiops.tooling.schema import ArgumentError, validate_args

__all__ = [
    "ArgumentError", "FunctionTool", "Tool", "ToolContext", "ToolRefused", "ToolRegistry", "ToolResult", "ToolSpec",
    "default_registry", "model_name", "validate_args",
]
