"""Typed events the diagnosis loop yields; the CLI, TUI and CI hook only consume them.

A run yields, in order:

    RunStarted
    (PlanMade, StepStarted*, ToolResultEvent*, FindingMade*, Reflection) per round
    Answer                     always last, also when a budget ran out

Consumers must ignore event types they do not know (more may be added).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from aiops.domain import Diagnosis, Finding, Hypothesis

if TYPE_CHECKING:      # the faces import events at start-up: no numpy before a run
    from aiops.tooling.base import ToolStatus

Decision = Literal["answer", "replan", "budget"]    # answer now | look again | a budget forced the answer


@dataclass(frozen=True)
class PlannedStep:
    """One tool call the planner asked for."""

    id: str                        # unique in the run, e.g. "r1-3"
    tool: str                      # registry name, e.g. "metrics.scan"
    args: dict[str, Any] = field(default_factory=dict)
    specialist: str = ""           # executor that runs it: metrics, logs, traces, changes, knowledge
    reason: str = ""               # the hypothesis or question it tests


@dataclass(frozen=True)
class RunStarted:
    run_id: str
    incident_title: str
    reasoner: str                  # "offline" or "llm:<alias>"
    trace_id: str = ""             # the run's OpenTelemetry trace (32 hex digits)
    prompt_versions: dict[str, str] = field(default_factory=dict)   # prompt name -> version (LLM reasoner)


@dataclass(frozen=True)
class PlanMade:
    round: int
    steps: tuple[PlannedStep, ...]
    hypotheses: tuple[str, ...] = ()
    reasoner: str = "offline"
    playbooks: tuple[str, ...] = ()   # playbook names that shaped this plan


@dataclass(frozen=True)
class StepStarted:
    step: PlannedStep
    round: int = 1


@dataclass(frozen=True)
class ToolResultEvent:
    step: PlannedStep
    status: ToolStatus
    summary: str
    query: str = ""                # what ran (SQL, PromQL, API path ...)
    duration_s: float = 0.0
    round: int = 1


@dataclass(frozen=True)
class FindingMade:
    finding: Finding
    step_id: str = ""


@dataclass(frozen=True)
class Reflection:
    round: int
    summary: str
    confident: bool
    decision: Decision
    hypotheses: tuple[Hypothesis, ...] = ()

    @property
    def top(self) -> tuple[tuple[str, float], ...]:
        return tuple((h.service, h.confidence) for h in self.hypotheses)


@dataclass(frozen=True)
class Answer:
    diagnosis: Diagnosis
    followup: Any = field(default=None, compare=False, repr=False)   # aiops.agent.followup.FollowUp


Event = RunStarted | PlanMade | StepStarted | ToolResultEvent | FindingMade | Reflection | Answer
