"""The tool protocol: what every tool the agent can call looks like.

A tool has a `ToolSpec` (name, a description written for a model, typed parameters as a
JSON schema, the kind of evidence it reads, read-only flag, the HTTP methods it may use)
and two methods: `available(ctx)` says why it cannot run here (or None), `run(ctx, args)`
returns a `ToolResult`. Expected failures are values (habit 2): a tool returns status
`no_data`, `error` or `denied` with a one-line summary; exceptions are bugs, and the
executor turns even those into an `error` result so one tool never sinks a diagnosis.

What a tool contributes to the run beyond its findings is typed on the result (`graph`,
`inferred`, `reattributions`, `runbook_hits`) and merged by the run state in plan order;
`data` is raw material for a report and is never read back by the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Literal, Protocol, get_args

from aiops.domain import Finding, Incident
from aiops.telemetry.reader import TelemetryReader

if TYPE_CHECKING:       # the knowledge base (DuckDB) loads only when a run opens it
    from aiops.kb.knowledge_base import Hit, KnowledgeBase

ToolStatus = Literal["ok", "no_data", "error", "denied"]
STATUSES: tuple[str, ...] = get_args(ToolStatus)
SPECIALISTS = ("metrics", "logs", "traces", "changes", "kubernetes", "knowledge", "analysis")


@dataclass(frozen=True)
class ToolSpec:
    name: str                                  # dotted, e.g. "metrics.scan"
    description: str                           # for a model: what it does, when to use it
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})
    specialist: str = "analysis"               # the kind of evidence it reads (a label for people and models)
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


@dataclass(frozen=True)
class Reattribution:
    """A second look showed `service`'s own trace latency is time spent waiting on `to`."""

    service: str
    to: str
    why: str


@dataclass
class ToolResult:
    status: ToolStatus
    summary: str                               # compact, for the reasoner (never raw series)
    query: str = ""                            # what ran: SQL, PromQL, API path, search text
    findings: list[Finding] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)   # raw data for the report, never read by the run
    truncated: bool = False
    # -- effects on the run, merged by the run state (aiops.agent.state.RunState.merge) --
    graph: dict[str, tuple[str, ...]] = field(default_factory=dict)      # caller -> callees seen in traces
    inferred: dict[str, tuple[str, ...]] = field(default_factory=dict)   # service -> dependencies shown otherwise
    reattributions: list[Reattribution] = field(default_factory=list)
    timed: tuple[str, ...] = ()                                          # untraced peers timed on both sides
    runbook_hits: list[Hit] = field(default_factory=list)                # best first

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"tool status {self.status!r} is not one of {STATUSES}")


class EvidenceView(Protocol):
    """The run's evidence so far, as a tool may read it (never write it)."""

    findings: list[Finding]


@dataclass
class ToolContext:
    """What a tool may read: the incident, its telemetry and the run's shared services.

    `baseline_end` splits the window into before (baseline) and after; `onset` is when the
    symptom began, if known (both from aiops.analytics.baseline.split_window). `kb` opens
    the knowledge base on first use (shared by the run). `sources` holds live sources by
    kind and name, when the run has any.
    """

    incident: Incident
    store: TelemetryReader | None
    settings: Any                              # aiops.config.Settings
    baseline_end: float
    onset: float | None = None
    services: list[str] = field(default_factory=list)
    kb: Callable[[], "KnowledgeBase | None"] | None = None
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    state: EvidenceView | None = None          # the run's evidence so far


class Tool(Protocol):
    spec: ToolSpec

    def available(self, ctx: ToolContext) -> str | None:
        """None when the tool can run in this context, else the one-line reason it cannot."""

    def run(self, ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
        """Run with validated `args` (defaults filled in)."""


def needs_store(ctx: ToolContext) -> str | None:
    """The availability check of every tool that reads the telemetry store."""
    return None if ctx.store is not None else "no telemetry store"


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
