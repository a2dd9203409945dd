"""The one registry of tools (habit 1: register, don't scan).

Built-in tools, declarative tools from `tools/*.yaml` (shipped and the operator's own
directories) and plug-ins (the `aiops.tools` entry-point group: a callable taking the
registry) all arrive through `ToolRegistry.register`. Only read-only tools are accepted:
a tool that declares itself writing, or an HTTP verb other than GET/HEAD, is refused at
registration, so no write verb is reachable from any tool.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable, Iterable

from aiops.errors import BadInputError
from aiops.tooling.base import Tool, ToolContext, ToolSpec, model_name

log = logging.getLogger("aiops.tooling")
READ_VERBS = frozenset({"GET", "HEAD"})
ENTRY_POINT_GROUP = "aiops.tools"


class ToolRefused(BadInputError):
    """A tool that could write, or a name clash: refused at registration."""


class ToolRegistry:
    def __init__(self) -> None:
        self._tools: dict[str, Tool] = {}
        self.problems: list[str] = []          # declarative tools or plug-ins that failed to load
        self.missing: list[str] = []           # tool sources out of reach (an MCP server): missing evidence
        self.refused: list[Any] = []           # tools offered but refused (aiops.tooling.mcp_tools.Refusal)
        self.closers: list[Callable[[], None]] = []   # connections the registry holds open

    def close(self) -> None:
        """Close what the tools hold open (MCP server processes and sessions)."""
        closers, self.closers = self.closers, []
        for close in reversed(closers):
            try:
                close()
            except Exception as exc:  # noqa: BLE001 - closing is best effort
                log.warning("closing a tool connection failed: %s", exc)

    def register(self, tool: Tool, replace: bool = False) -> Tool:
        spec: ToolSpec = tool.spec
        if not spec.read_only:
            raise ToolRefused(f"tool {spec.name} ({spec.origin}): only read-only tools can be registered")
        writes = sorted(set(m.upper() for m in spec.http_methods) - READ_VERBS)
        if writes:
            raise ToolRefused(f"tool {spec.name} ({spec.origin}): HTTP method(s) {', '.join(writes)} are not read-only")
        if spec.name in self._tools and not replace:
            raise ToolRefused(f"tool {spec.name} ({spec.origin}): a tool of that name exists "
                              f"({self._tools[spec.name].spec.origin})")
        self._tools[spec.name] = tool
        return tool

    def __contains__(self, name: str) -> bool:
        return self.resolve(name) is not None

    def __len__(self) -> int:
        return len(self._tools)

    def resolve(self, name: str) -> Tool | None:
        """A tool by its name or by the name a model sees (metrics__scan)."""
        if name in self._tools:
            return self._tools[name]
        for tool in self._tools.values():
            if model_name(tool.spec.name) == name:
                return tool
        return None

    def get(self, name: str) -> Tool:
        tool = self.resolve(name)
        if tool is None:
            raise KeyError(f"no tool named {name!r} (known: {', '.join(sorted(self._tools))})")
        return tool

    def tools(self) -> list[Tool]:
        return [self._tools[n] for n in sorted(self._tools)]

    def specs(self) -> list[ToolSpec]:
        return [t.spec for t in self.tools()]

    def available(self, ctx: ToolContext) -> list[Tool]:
        """The tools that can run in this context (e.g. no Kubernetes tools without a cluster)."""
        return [t for t in self.tools() if t.available(ctx) is None]

    def load_plugins(self, entry_points: Iterable[Any] | None = None) -> None:
        """Call every `aiops.tools` entry point with this registry; failures become problems."""
        if entry_points is None:
            from importlib.metadata import entry_points as _eps

            entry_points = _eps(group=ENTRY_POINT_GROUP)
        for ep in entry_points:
            try:
                hook: Callable[[ToolRegistry], None] = ep.load()
                hook(self)
            except Exception as exc:  # noqa: BLE001 - a broken plug-in must not stop a diagnosis
                self.problems.append(f"plug-in {getattr(ep, 'name', ep)}: {type(exc).__name__}: {exc}")
                log.warning("tool plug-in %s failed: %s", getattr(ep, "name", ep), exc)

    def load_directory(self, directory: Path, strict: bool = False) -> int:
        """Register the declarative tools of every *.yaml file in `directory`."""
        from aiops.tooling.declarative import load_tool_file

        count = 0
        for path in sorted(Path(directory).glob("*.y*ml")):
            try:
                for tool in load_tool_file(path):
                    self.register(tool)
                    count += 1
            except BadInputError as exc:
                if strict:
                    raise
                self.problems.append(str(exc))
                log.warning("%s", exc)
        return count
