"""The reasoner interface: one loop, two ways to think (offline rules or a model)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from aiops.agent.events import Decision, PlannedStep
from aiops.agent.state import RunState
from aiops.domain import Hypothesis, Usage

if TYPE_CHECKING:
    from aiops.gateway import Gateway


@dataclass
class Plan:
    steps: list[PlannedStep]
    hypotheses: list[str] = field(default_factory=list)
    playbooks: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)     # wanted calls the step budget left out


@dataclass
class Verdict:
    hypotheses: list[Hypothesis]          # best first
    decision: Decision
    summary: str
    confident: bool = False
    ranking: list[str] | None = None      # services in the reasoner's order (None: the evidence ranking)
    remediation: list[str] = field(default_factory=list)
    suspects: list[str] = field(default_factory=list)   # what the next round should look at


class Reasoner(Protocol):
    name: str                             # "offline" | "llm"

    @property
    def label(self) -> str:
        """Who reasoned, as the report says it: "offline", "llm:<model>", or the offline
        reasoner having taken over from a failed model."""

    @property
    def usage(self) -> Usage:
        """Model calls, tokens and cost of the run so far (zero offline)."""

    @property
    def prompt_versions(self) -> dict[str, str]:
        """Prompt name -> version this run reads ({} offline)."""

    @property
    def gateway(self) -> "Gateway | None":
        """The model gateway the reasoner calls (None offline)."""

    def plan(self, state: RunState, round_no: int, last: Verdict | None, max_steps: int) -> Plan:
        """The steps of round `round_no` (at most `max_steps`), given the last verdict."""

    def reflect(self, state: RunState, round_no: int, must_answer: bool) -> Verdict:
        """Weigh the evidence: hypotheses and whether to answer or look again."""


def step_id(round_no: int, index: int) -> str:
    return f"r{round_no}-{index + 1}"
