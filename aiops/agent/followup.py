"""Follow-up questions after a run: the operator asks, the model answers from the run's
evidence, calling read-only tools when a check would settle it (LLM reasoner only).

    answer = events[-1]                        # the run's Answer event
    for event in answer.followup.ask("why not checkout?"):
        ...                                    # StepStarted, ToolResultEvent ..., FollowUpAnswer
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Iterator

from aiops.agent.digest import diagnosis_text, evidence_digest, incident_text, results_text
from aiops.agent.events import PlannedStep, StepStarted, ToolResultEvent
from aiops.agent.executor import execute
from aiops.agent.reasoners.base import Reasoner
from aiops.agent.state import RunState
from aiops.domain import Diagnosis
from aiops.errors import AiopsError, BadInputError, one_line
from aiops.tooling import ToolRegistry

MAX_TOOL_ROUNDS = 2
ANSWER_MAX_TOKENS = 700


@dataclass(frozen=True)
class FollowUpAnswer:
    question: str
    text: str
    ok: bool = True


class FollowUp:
    """Questions about one finished run; keeps the run's evidence, registry and model budget."""

    def __init__(self, state: RunState, registry: ToolRegistry, diagnosis: Diagnosis, reasoner: Reasoner) -> None:
        self.state = state
        self.registry = registry
        self.diagnosis = diagnosis
        self.reasoner = reasoner
        self.asked = 0

    @property
    def available(self) -> bool:
        """Only a run with a working model can take questions (offline: use drill-downs)."""
        return self.reasoner.gateway is not None and not getattr(self.reasoner, "failed", "")

    def ask(self, question: str) -> Iterator[object]:
        question = " ".join(str(question).split())[:1000]
        if not question:
            raise BadInputError("ask a question (it was empty)")
        if not self.available:
            yield FollowUpAnswer(question, "Follow-up questions need a model (set models.planner and run with the "
                                           "LLM reasoner); in offline mode use the drill-down commands.", ok=False)
            return
        reasoner, state = self.reasoner, self.state
        self.asked += 1
        if getattr(reasoner, "budget", None) is not None:    # a question gets its own wall-time budget
            reasoner.budget.deadline = time.monotonic() + state.settings.diagnose.max_wall_s
        shown = len(state.records)
        base = f"{incident_text(state)}\n\n{evidence_digest(state, reasoner._budget_chars // 3)}\n\n" \
               f"Diagnosis reached:\n{diagnosis_text(self.diagnosis, reasoner._budget_chars // 4)}"
        messages = [{"role": "system", "content": reasoner.prompts.get("followup").text},
                    {"role": "user", "content": f"{base}\n\nQuestion: {question}"}]
        tools = [t.spec.function_schema() for t in self.registry.available(state.context())]
        for round_no in range(MAX_TOOL_ROUNDS + 1):
            try:
                reply = reasoner._complete(messages, tools if round_no < MAX_TOOL_ROUNDS else None, ANSWER_MAX_TOKENS)
            except AiopsError as exc:
                yield FollowUpAnswer(question, f"the model could not answer: {one_line(exc)}", ok=False)
                return
            if not reply.tool_calls:
                yield FollowUpAnswer(question, reasoner.gateway.restore(reply.text).strip() or "(no answer)")
                return
            steps = [PlannedStep(f"q{self.asked}-{round_no + 1}-{i + 1}", (self.registry.resolve(c.name).spec.name
                                 if self.registry.resolve(c.name) else c.name), c.arguments, "analysis",
                                 f"follow-up: {question[:80]}") for i, c in enumerate(reply.tool_calls[:4])]
            for step in steps:
                yield StepStarted(step, 0)
            finished = {}
            for fin in execute(self.registry, state, steps, 0, state.settings.diagnose.tool_timeout_s):
                finished[fin.index] = fin.record
                r = fin.record
                yield ToolResultEvent(r.step, r.result.status, r.result.summary, r.result.query, r.duration_s, 0)
            for i in sorted(finished):
                state.merge(finished[i])
            results = results_text(state.records[shown:], reasoner._budget_chars // 3)
            shown = len(state.records)
            messages += [reply.as_message(),
                         {"role": "user", "content": f"Results of your checks:\n{results}\n\nNow answer the question."}]
        yield FollowUpAnswer(question, "no answer within the follow-up budget", ok=False)
