"""The tool protocol: what every tool the agent can call looks like.

A tool has a `ToolSpec` (name, a description written for a model, typed parameters as a
JSON schema, the specialist that runs it, read-only flag, the HTTP methods it may use)
and two methods: `available(ctx)` says why it cannot run here (or None), `run(ctx, args)`
returns a `ToolResult`. Expected failures are values (habit 2): a tool returns status
`no_data`, `error` or `denied` with a one-line summary; exceptions are bugs, and the
executor turns even those into an `error` result so one tool never sinks a diagnosis.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from aiops.domain import Finding, Incident

STATUSES = ("ok", "no_data", "error", "denied")
SPECIALISTS = ("metrics", "logs", "traces", "changes", "kubernetes", "knowledge", "analysis")


@dataclass(frozen=True)
class ToolSpec:
    name: str                                  # dotted, e.g. "metrics.scan"
    description: str                           # for a model: what it does, when to use it
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})
    specialist: str = "analysis"               # which executor runs it
    read_only: bool = True                     # only read-only tools are ever offered
    http_methods: tuple[str, ...] = ()         # HTTP verbs the tool can send (empty: no HTTP)
    origin: str = "builtin"                    # builtin | file path of a declarative tool

    def __post_init__(self) -> None:
        if self.specialist not in SPECIALISTS:
            raise ValueError(f"tool {self.name}: specialist {self.specialist!r} is not one of {SPECIALISTS}")

    def function_schema(self) -> dict[str, Any]:
        """The OpenAI-style function description a model sees (names use _ for .)."""
        return {"type": "function", "function": {
            "name": model_name(self.name), "description": self.description, "parameters": self.parameters}}


def model_name(tool_name: str) -> str:
    """Provider function names allow [A-Za-z0-9_-]: metrics.scan -> metrics__scan."""
    return tool_name.replace(".", "__")


@dataclass
class ToolResult:
    status: str                                # ok | no_data | error | denied
    summary: str                               # compact, for the reasoner (never raw series)
    query: str = ""                            # what ran: SQL, PromQL, API path, search text
    findings: list[Finding] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)   # raw data for the report, never for a model
    truncated: bool = False

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"tool status {self.status!r} is not one of {STATUSES}")


@dataclass
class ToolContext:
    """What a tool may read: the incident, its telemetry and the run's shared services.

    `baseline_end` splits the window into before (baseline) and after; `onset` is when the
    symptom began, if known. `kb` opens the knowledge base on first use (shared by the run).
    `sources` holds live sources by kind and name, when the run has any.
    """

    incident: Incident
    store: Any                                 # aiops.telemetry.store.TelemetryStore
    settings: Any                              # aiops.config.Settings
    baseline_end: float
    onset: float | None = None
    services: list[str] = field(default_factory=list)
    kb: Callable[[], Any] | None = None
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    state: Any = None                          # the run's evidence so far (read-only view)


class Tool(Protocol):
    spec: ToolSpec

    def available(self, ctx: ToolContext) -> str | None:
        """None when the tool can run in this context, else the one-line reason it cannot."""

    def run(self, ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
        """Run with validated `args` (defaults filled in)."""


@dataclass
class FunctionTool:
    """A tool made of a spec and plain functions (how the built-ins are written)."""

    spec: ToolSpec
    fn: Callable[[ToolContext, dict[str, Any]], ToolResult]
    requires: Callable[[ToolContext], str | None] | None = None

    def available(self, ctx: ToolContext) -> str | None:
        return self.requires(ctx) if self.requires else None

    def run(self, ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
        return self.fn(ctx, args)
