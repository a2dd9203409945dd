"""The tools of the operator's MCP servers ([mcp.servers.NAME]) as read-only agent tools.

Each enabled server is started (stdio) or reached (streamable HTTP) when the registry is
built; its tools join the registry as `mcp.<server>.<tool>` through the same `register`
as every other tool. Only read-only tools get in: a tool is refused — and listed as refused
by `aiops tools` — when it is not on the server's `allow` list, or when its annotations say
it is not read-only (`readOnlyHint` not true, or `destructiveHint` true); a tool without
annotations is taken on the operator's word (the allow-list). A refused tool is never
offered to a model and never called. A server that cannot be started or reached is named
as missing evidence in every run.

A result is text for the reasoner like any tool's: capped, fenced by the agent's digest and
redacted by the gateway before it reaches a model. It also becomes a finding tagged
`external` (score 0: cited as evidence, never weighed in the ranking) on the service its
arguments name, so the diagnosis cites what the external tool said.
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

from aiops.config_mcp import McpServerConfig
from aiops.domain import Finding
from aiops.tooling.base import ToolContext, ToolResult, ToolSpec, model_name
from aiops.tooling.mcp_client import McpConnection, McpUnavailable

if TYPE_CHECKING:
    from aiops.tooling.registry import ToolRegistry

EXTERNAL = "external"          # the tag of a finding an MCP tool returned
MAX_RESULT_CHARS = 6000        # of one tool result's text kept for the reasoner
MAX_DESCRIPTION_CHARS = 600
MAX_FUNCTION_NAME = 64         # the longest function name model providers accept
_SIMPLE = ("string", "integer", "number", "boolean", "array", "object")


@dataclass(frozen=True)
class Refusal:
    name: str                  # mcp.<server>.<tool>
    reason: str


@dataclass
class McpTool:
    """One allowed, read-only tool of an MCP server."""

    spec: ToolSpec
    connection: McpConnection
    remote_name: str           # the tool's name on its server
    server: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def available(self, ctx: ToolContext) -> str | None:
        failed = self.connection.failed
        return f"MCP server {self.server} is not connected: {failed}" if failed else None

    def run(self, ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
        query = f"mcp {self.server} tools/call {self.remote_name} {json.dumps(args, sort_keys=True, default=str)}"
        try:
            result = self.connection.call(self.remote_name, args)
        except McpUnavailable as exc:
            return ToolResult("error", f"MCP server {self.server}: {exc}", query=query)
        text, truncated = result_text(result)
        where = f"{self.server}/{self.remote_name}"
        if getattr(result, "is_error", False):
            return ToolResult("error", f"{where} failed: {text or '(no message)'}", query=query, truncated=truncated)
        if not text.strip():
            return ToolResult("no_data", f"{where} returned nothing", query=query)
        service = next((v for v in args.values() if isinstance(v, str) and v in ctx.services), "")
        first = " ".join(text.split())[:240]
        finding = Finding(kind="event", service=service, signal=f"mcp:{where}", score=0.0,
                          summary=f"{where} (MCP): {first}", ref=f"mcp://{where} {json.dumps(args, sort_keys=True, default=str)}",
                          tags=(EXTERNAL,))
        return ToolResult("ok", f"{where}:\n{text}", query=query, findings=[finding], truncated=truncated,
                          data={"mcp_server": self.server, "tool": self.remote_name})


def result_text(result: Any) -> tuple[str, bool]:
    """A CallToolResult as text (its text blocks, else its structured content), capped."""
    parts: list[str] = []
    for block in getattr(result, "content", None) or []:
        kind = getattr(block, "type", "")
        if kind == "text":
            parts.append(str(block.text))
        elif kind == "resource":
            res = block.resource
            parts.append(str(getattr(res, "text", "")) or f"[binary resource {getattr(res, 'uri', '')}]")
        elif kind == "resource_link":
            parts.append(f"[resource {getattr(block, 'uri', '')}]")
        else:
            parts.append(f"[{kind or 'unknown'} content omitted]")
    structured = getattr(result, "structured_content", None)
    if not parts and structured is not None:
        parts.append(json.dumps(structured, ensure_ascii=False, default=str))
    text = "\n".join(parts)
    if len(text) > MAX_RESULT_CHARS:
        return text[:MAX_RESULT_CHARS] + f"\n[cut: {len(text) - MAX_RESULT_CHARS} more characters]", True
    return text, False


def _simple(prop: Any) -> dict[str, Any]:
    """A property schema reduced to what aiops.tooling.schema enforces (one plain type)."""
    if not isinstance(prop, dict):
        return {"type": "string"}
    out = {k: v for k, v in prop.items() if k in ("description", "enum", "minimum", "maximum", "maxLength",
                                                     "maxItems", "pattern", "default")}
    typ = prop.get("type")
    if isinstance(typ, list):
        typ = next((t for t in typ if t != "null"), None)
    if typ is None:
        options = prop.get("anyOf") or prop.get("oneOf") or []
        typ = next((o.get("type") for o in options if isinstance(o, dict) and o.get("type") not in (None, "null")), None)
    out["type"] = typ if typ in _SIMPLE else "string"
    if out["type"] == "array":
        out["items"] = _simple(prop.get("items", {"type": "string"}))
    return out


def parameters_of(schema: Any) -> dict[str, Any]:
    """The tool's input schema as the registry's parameter schema (names and plain types)."""
    schema = schema if isinstance(schema, dict) else {}
    props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    kept = {name: _simple(p) for name, p in props.items() if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(name))}
    required = [r for r in schema.get("required", []) if r in kept] if isinstance(schema.get("required"), list) else []
    return {"type": "object", "properties": kept} | ({"required": required} if required else {})


def refusal_reason(config: McpServerConfig, tool: Any) -> str:
    """Why `tool` may not join the registry, or "" when it may."""
    if not any(fnmatch.fnmatchcase(tool.name, pattern) for pattern in config.allow):
        return f"not on the allow-list (mcp.servers.{config.name}.allow)"
    notes = getattr(tool, "annotations", None)
    if notes is not None:
        if getattr(notes, "destructive_hint", None) is True:
            return "its annotations say it is destructive"
        if getattr(notes, "read_only_hint", None) is not True:
            return "its annotations do not say it is read-only (readOnlyHint)"
    return ""


def tools_of(config: McpServerConfig, connection: McpConnection, listed: list[Any]) -> tuple[list[McpTool], list[Refusal]]:
    """The server's tools split into the ones the agent may call and the refused ones."""
    allowed: list[McpTool] = []
    refused: list[Refusal] = []
    seen: set[str] = set()
    for tool in listed:
        local = f"mcp.{config.name}.{re.sub(r'[^A-Za-z0-9_-]', '_', str(tool.name))}"
        reason = refusal_reason(config, tool)
        if not reason and local in seen:
            reason = "its name clashes with another tool of this server"
        if not reason and len(model_name(local)) > MAX_FUNCTION_NAME:
            reason = f"its name is longer than a model's function name may be ({MAX_FUNCTION_NAME})"
        if reason:
            refused.append(Refusal(local, reason))
            continue
        seen.add(local)
        text = " ".join(str(tool.description or tool.name).split())[:MAX_DESCRIPTION_CHARS]
        spec = ToolSpec(local, f"[{config.name} MCP server] {text}", parameters_of(tool.input_schema),
                        specialist=config.specialist, read_only=True, origin=f"mcp:{config.name}")
        allowed.append(McpTool(spec, connection, str(tool.name), config.name))
    return allowed, refused


def register_mcp_servers(registry: "ToolRegistry", configs: list[McpServerConfig],
                         environ: Mapping[str, str] | None = None) -> None:
    """Connect to every configured server and register its allowed tools. A server that
    fails is named in `registry.missing`; refused tools go to `registry.refused`."""
    for config in configs:
        connection = McpConnection(config, environ)
        try:
            listed = connection.open()
        except McpUnavailable as exc:
            registry.missing.append(f"MCP server {config.name} ({config.transport}) and its tools: "
                                    f"could not connect: {exc}")
            continue
        registry.closers.append(connection.close)
        allowed, refused = tools_of(config, connection, listed)
        registry.refused.extend(refused)
        for tool in allowed:
            try:
                registry.register(tool)
            except Exception as exc:  # noqa: BLE001 - one bad tool never stops the others
                registry.refused.append(Refusal(tool.spec.name, str(exc)))
