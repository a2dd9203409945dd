"""The LLM reasoner: a model plans the checks (function calling) and reflects on the
evidence (a JSON verdict), through the gateway only.

Round 1 is the same survey as offline (every signal scanned), so the model starts from
compact findings, never raw series. Each reflection reply is validated against a schema
and retried once with the error; a model that keeps failing — garbage, errors, budget —
hands the run to the offline reasoner, and the output says so.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from aiops.agent.digest import evidence_digest, incident_text, results_text
from aiops.agent.events import PlannedStep
from aiops.agent.prompt_rollout import AssignedPrompts
from aiops.agent.prompts import PromptStore
from aiops.agent.reasoners.base import Plan, Verdict, step_id
from aiops.agent.reasoners.offline import OfflineReasoner
from aiops.agent.state import RunState
from aiops.config import Settings
from aiops.domain import Hypothesis, Usage
from aiops.errors import AiopsError, one_line
from aiops.tooling import ToolRegistry

ALIAS = "planner"
DEFAULT_CONTEXT_TOKENS = 16_000
REFLECT_MAX_TOKENS = 900
PLAN_MAX_TOKENS = 600
REPLY_ECHO_CHARS = 2000     # of an invalid verdict, shown back to the model with the error


class ReplyInvalid(ValueError):
    """A model reply that does not fit the verdict schema."""


def parse_verdict(text: str, services: list[str]) -> dict[str, Any]:
    """The reflector's JSON, checked; ReplyInvalid says what is wrong, in one line."""
    m = re.search(r"\{.*\}", text or "", re.DOTALL)
    if not m:
        raise ReplyInvalid("the reply holds no JSON object")
    try:
        doc = json.loads(m.group(0))
    except json.JSONDecodeError as exc:
        raise ReplyInvalid(f"the JSON does not parse: {exc.msg} at {exc.pos}") from None
    except RecursionError:
        raise ReplyInvalid("the JSON is nested too deeply to read") from None
    if not isinstance(doc, dict):
        raise ReplyInvalid("the JSON is not an object")
    if doc.get("decision") not in ("answer", "investigate"):
        raise ReplyInvalid(f"decision must be \"answer\" or \"investigate\", got {doc.get('decision')!r}")
    hyps = doc.get("hypotheses")
    if not isinstance(hyps, list) or not hyps:
        raise ReplyInvalid("hypotheses must be a non-empty list")
    known = set(services)
    for i, h in enumerate(hyps):
        if not isinstance(h, dict):
            raise ReplyInvalid(f"hypotheses[{i}] is not an object")
        if h.get("service") not in known:
            raise ReplyInvalid(f"hypotheses[{i}].service {h.get('service')!r} is not one of the listed services")
        conf = h.get("confidence")
        if isinstance(conf, bool) or not isinstance(conf, (int, float)) or not 0 <= conf <= 1:
            raise ReplyInvalid(f"hypotheses[{i}].confidence must be a number from 0 to 1")
        if not isinstance(h.get("fault", ""), str):
            raise ReplyInvalid(f"hypotheses[{i}].fault must be a string")
    for key in ("questions", "remediation"):
        if not isinstance(doc.get(key, []), list) or not all(isinstance(x, str) for x in doc.get(key, [])):
            raise ReplyInvalid(f"{key} must be a list of strings")
    return doc


class LlmReasoner:
    name = "llm"

    def __init__(self, settings: Settings, registry: ToolRegistry, offline: OfflineReasoner, *,
                 gateway: Any = None, prompts: PromptStore | AssignedPrompts | None = None,
                 tracer_provider: Any = None) -> None:
        from aiops.gateway import Gateway, RunBudget

        self.settings = settings
        self.registry = registry
        self.offline = offline
        self.gateway = gateway or Gateway.from_settings(settings, tracer_provider=tracer_provider)
        self.budget = RunBudget(max_tokens=settings.diagnose.max_tokens, max_cost_usd=settings.diagnose.max_cost_usd,
                                deadline=time.monotonic() + settings.diagnose.max_wall_s)
        self.prompts = prompts or PromptStore()
        self.failed = ""                     # why the offline reasoner took over, if it did
        self.model = ""
        self._shown = 0                      # records already shown to the model
        self._questions: list[str] = []
        ctx = settings.models.context_windows.get(ALIAS, DEFAULT_CONTEXT_TOKENS)
        self._budget_chars = int(ctx * 4 * 0.5)   # half the window for digest + results

    @property
    def usage(self) -> Usage:
        return self.budget.usage

    @property
    def prompt_versions(self) -> dict[str, str]:
        return self.prompts.assigned if isinstance(self.prompts, AssignedPrompts) else {}

    @property
    def label(self) -> str:
        who = f"llm:{self.model or ALIAS}"
        return f"offline (took over from {who})" if self.failed else who

    def _give_up(self, state: RunState, why: str) -> None:
        if not self.failed:
            self.failed = why
            state.reasoner_note = f"the model failed ({why}); the offline reasoner finished the investigation"
            state.notes.append(state.reasoner_note)

    def _complete(self, messages: list[dict], tools: list[dict] | None, max_tokens: int):
        reply = self.gateway.complete(ALIAS, messages, tools=tools, max_tokens=max_tokens, run=self.budget)
        self.model = reply.model or self.model
        return reply

    def _context(self, state: RunState) -> str:
        new = state.records[self._shown:]
        digest = evidence_digest(state, self._budget_chars // 2)
        results = results_text(new, self._budget_chars // 2)
        return "\n\n".join(x for x in (incident_text(state), digest,
                                        "Results of the latest checks:\n" + results if results else "") if x)

    # -- planning ------------------------------------------------------------------------------

    def plan(self, state: RunState, round_no: int, last: Verdict | None, max_steps: int) -> Plan:
        if round_no == 1 or self.failed:
            return self.offline.plan(state, round_no, last, max_steps)
        ctx = state.context()
        tools = [t.spec.function_schema() for t in self.registry.available(ctx)]
        hyps = "\n".join(f"- {h.service}: {h.fault} ({h.confidence:.2f}) {h.summary}" for h in (last.hypotheses if last else []))
        questions = "\n".join(f"- {q}" for q in self._questions) or "- (none given)"
        messages = [
            {"role": "system", "content": self.prompts.get("planner").text},
            {"role": "user", "content": f"{self._context(state)}\n\nCurrent hypotheses:\n{hyps}\n\n"
                                        f"Open questions:\n{questions}\n\nYou may call at most {max_steps} tools."},
        ]
        try:
            reply = self._complete(messages, tools, PLAN_MAX_TOKENS)
        except AiopsError as exc:
            self._give_up(state, one_line(exc))
            return self.offline.plan(state, round_no, last, max_steps)
        steps = []
        for call in reply.tool_calls[:max_steps]:
            tool = self.registry.resolve(call.name)
            args = call.arguments if not call.parse_error else {"_unparsable_arguments": call.raw_arguments[:200]}
            steps.append(PlannedStep(step_id(round_no, len(steps)), tool.spec.name if tool else call.name, args,
                                     tool.spec.specialist if tool else "analysis", "asked by the model"))
        return Plan(steps, [f"{h.service}: {h.fault}" for h in (last.hypotheses if last else [])])

    # -- reflection ----------------------------------------------------------------------------

    def reflect(self, state: RunState, round_no: int, must_answer: bool) -> Verdict:
        if self.failed:
            return self.offline.reflect(state, round_no, must_answer)
        ask = "You must answer now: use decision \"answer\"." if must_answer else ""
        messages = [
            {"role": "system", "content": self.prompts.get("reflector").text},
            {"role": "user", "content": f"{self._context(state)}\n\n{ask}".strip()},
        ]
        doc = None
        for attempt in range(2):
            try:
                reply = self._complete(messages, None, REFLECT_MAX_TOKENS)
            except AiopsError as exc:
                self._give_up(state, one_line(exc))
                return self.offline.reflect(state, round_no, must_answer)
            try:
                doc = parse_verdict(reply.text, state.services)
                break
            except ReplyInvalid as exc:
                if attempt == 1:
                    self._give_up(state, f"invalid verdict twice: {exc}")
                    return self.offline.reflect(state, round_no, must_answer)
                echo = {"role": "assistant", "content": reply.text[:REPLY_ECHO_CHARS]}   # a ramble must not fill the window
                messages += [echo, {"role": "user", "content":
                             f"Your reply was not valid: {exc}. Reply with the JSON object only."}]
        self._shown = len(state.records)
        assert doc is not None
        return self._verdict(state, doc, round_no, must_answer)

    def _verdict(self, state: RunState, doc: dict[str, Any], round_no: int, must_answer: bool) -> Verdict:
        hyps, seen = [], set()
        for h in doc["hypotheses"]:
            if h["service"] in seen:
                continue
            seen.add(h["service"])
            hyps.append(Hypothesis(h["service"], str(h.get("fault") or "unknown"), round(float(h["confidence"]), 3),
                                   str(h.get("reasoning", ""))[:400]))
        self._questions = [q[:300] for q in doc.get("questions", [])][:5]
        decision = "replan" if doc["decision"] == "investigate" and not must_answer else "answer"
        top = hyps[0].confidence
        summary = str(doc.get("summary") or ", ".join(f"{h.service} ({h.confidence:.2f})" for h in hyps[:3]))
        return Verdict(hyps, decision, summary[:400], confident=top >= 0.6, ranking=[h.service for h in hyps],
                       remediation=[r[:300] for r in doc.get("remediation", [])][:5],
                       suspects=[h.service for h in hyps[:3]])
