"""Run budgets and internal-key quotas, checked before a request is sent.

The check returns how many completion tokens the call may ask for: the requested
`max_tokens`, lowered to what every budget still allows. When even a short answer
(`MIN_COMPLETION_TOKENS`) no longer fits, the call is refused with a message that says
which limit, how much is used and what the call needed: nothing is sent.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field

from aiops.domain import Usage
from aiops.gateway.errors import QuotaExceeded, RunBudgetExceeded
from aiops.gateway.internal_keys import KeyRecord
from aiops.gateway.ledger import Totals

MIN_COMPLETION_TOKENS = 16


@dataclass
class RunBudget:
    """What one run (one diagnosis) may spend. Mutable: the gateway charges every call."""

    max_tokens: int | None = None
    max_cost_usd: float | None = None
    deadline: float | None = None          # time.monotonic() by which the run must be done: no retry
                                           # waits past it and requests are cut to what is left
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    used_tokens: int = 0
    used_cost_usd: float = 0.0
    calls: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def charge(self, prompt_tokens: int, completion_tokens: int, cost_usd: float) -> None:
        self.calls += 1
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens
        self.used_tokens += prompt_tokens + completion_tokens
        self.used_cost_usd += cost_usd

    @property
    def usage(self) -> Usage:
        return Usage(llm_calls=self.calls, prompt_tokens=self.prompt_tokens,
                     completion_tokens=self.completion_tokens, cost_usd=self.used_cost_usd)

    @property
    def exhausted(self) -> bool:
        """True when not even a minimal call fits any more."""
        tokens_left = self.max_tokens is not None and self.max_tokens - self.used_tokens <= MIN_COMPLETION_TOKENS
        cost_left = self.max_cost_usd is not None and self.used_cost_usd >= self.max_cost_usd
        return tokens_left or cost_left


@dataclass(frozen=True)
class Prices:
    """USD per token; zero when the model's price is unknown (local models)."""

    input: float = 0.0
    output: float = 0.0

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return prompt_tokens * self.input + completion_tokens * self.output


def allowed_completion_tokens(
    requested: int,
    prompt_tokens: int,
    prices: Prices,
    run: RunBudget,
    key: KeyRecord | None = None,
    today: Totals | None = None,
    last_minute: Totals | None = None,
) -> int:
    """The max_tokens this call may send, or QuotaExceeded / RunBudgetExceeded."""
    floor = min(requested, MIN_COMPLETION_TOKENS)
    allowed = requested
    if key is not None:
        q, who = key.quotas, f"internal key {key.key_id} ({key.name})"
        today = today or Totals()
        if q.requests_per_min is not None and (last_minute or Totals()).requests >= q.requests_per_min:
            raise QuotaExceeded(f"{who} is at its quota of {q.requests_per_min} requests/min; not sent, retry in a minute")
        if q.tokens_per_day is not None:
            room = q.tokens_per_day - today.tokens - prompt_tokens
            if room < floor:
                raise QuotaExceeded(
                    f"{who} would exceed its quota of {q.tokens_per_day} tokens/day "
                    f"({today.tokens} used today, this call needs {prompt_tokens} + {floor}); not sent"
                )
            allowed = min(allowed, room)
        if q.usd_per_day is not None:
            allowed = min(allowed, _affordable(q.usd_per_day - today.cost_usd, prompt_tokens, prices, floor, lambda: QuotaExceeded(
                f"{who} would exceed its quota of ${q.usd_per_day:g}/day (${today.cost_usd:.4f} spent today); not sent"
            )))
    run_limit = _min_defined(run.max_tokens, key.quotas.max_tokens_per_run if key else None)
    if run_limit is not None:
        room = run_limit - run.used_tokens - prompt_tokens
        if room < floor:
            raise RunBudgetExceeded(
                f"run token budget of {run_limit} reached ({run.used_tokens} used, this call needs "
                f"{prompt_tokens} + {floor}); not sent, answer with what you have"
            )
        allowed = min(allowed, room)
    if run.max_cost_usd is not None:
        allowed = min(allowed, _affordable(run.max_cost_usd - run.used_cost_usd, prompt_tokens, prices, floor, lambda: RunBudgetExceeded(
            f"run cost budget of ${run.max_cost_usd:g} reached (${run.used_cost_usd:.4f} spent); not sent, answer with what you have"
        )))
    return max(allowed, floor)


def _affordable(remaining_usd: float, prompt_tokens: int, prices: Prices, floor: int, refusal) -> int:
    left = remaining_usd - prompt_tokens * prices.input
    if left < floor * prices.output or left < 0:
        raise refusal()
    return math.floor(left / prices.output) if prices.output > 0 else 1 << 30


def _min_defined(*values: int | None) -> int | None:
    defined = [v for v in values if v is not None]
    return min(defined) if defined else None
