"""Typed events the diagnosis loop yields; the CLI, TUI and CI hook only consume them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiops.domain import Diagnosis, Finding


@dataclass(frozen=True)
class PlanMade:
    steps: tuple[str, ...]
    hypotheses: tuple[str, ...] = ()
    round: int = 1


@dataclass(frozen=True)
class StepStarted:
    step: str
    tool: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ToolResultEvent:
    step: str
    tool: str
    status: str            # ok | no_data | error | denied
    summary: str
    duration_s: float = 0.0


@dataclass(frozen=True)
class FindingMade:
    finding: Finding


@dataclass(frozen=True)
class Reflection:
    summary: str
    confident: bool
    top: tuple[tuple[str, float], ...] = ()   # (service, confidence)
    round: int = 1


@dataclass(frozen=True)
class Answer:
    diagnosis: Diagnosis


Event = PlanMade | StepStarted | ToolResultEvent | FindingMade | Reflection | Answer
