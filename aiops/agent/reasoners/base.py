"""The reasoner interface: one loop, two ways to think (offline rules or a model)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from aiops.agent.events import PlannedStep
from aiops.agent.state import RunState
from aiops.domain import Hypothesis


@dataclass
class Plan:
    steps: list[PlannedStep]
    hypotheses: list[str] = field(default_factory=list)
    playbooks: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)     # wanted calls the step budget left out


@dataclass
class Verdict:
    hypotheses: list[Hypothesis]          # best first
    decision: str                         # answer | replan | budget
    summary: str
    confident: bool = False
    ranking: list[str] | None = None      # services in the reasoner's order (None: the evidence ranking)
    remediation: list[str] = field(default_factory=list)
    suspects: list[str] = field(default_factory=list)   # what the next round should look at


class Reasoner(Protocol):
    name: str

    def plan(self, state: RunState, round_no: int, last: Verdict | None, max_steps: int) -> Plan:
        """The steps of round `round_no` (at most `max_steps`), given the last verdict."""

    def reflect(self, state: RunState, round_no: int, must_answer: bool) -> Verdict:
        """Weigh the evidence: hypotheses and whether to answer or look again."""


def step_id(round_no: int, index: int) -> str:
    return f"r{round_no}-{index + 1}"
