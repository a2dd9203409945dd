"""A scripted model backend for tests: `enqueue()` replies, read back what was sent.

    fake = FakeModel()
    fake.enqueue(FakeModel.tool_call("query_metrics", service="checkout"), "checkout is saturated")
    gateway = Gateway.scripted(fake, data_dir=tmp_path)

A reply may be a string (the answer text), a `ToolCall` or a list of them, a
`ModelReply`, a `ProviderError` (raised, e.g. `ProviderError("rate_limited")`), or a
callable taking the `ModelRequest` and returning any of those. Replies queued with
`model=` are used only for that model. When the queue is empty, `default` is used if
given, else the call fails loudly: a test should say how many calls it expects.
No litellm import, no network.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections import deque
from typing import Any, Callable, Union

from aiops.gateway.backends import rough_token_count
from aiops.gateway.budget import Prices
from aiops.gateway.completion import Message, ModelReply, ModelRequest, ToolCall
from aiops.gateway.errors import ProviderError

Scripted = Union[str, ToolCall, list, ModelReply, BaseException, Callable[[ModelRequest], Any]]
FAKE_MODEL = "fake/scripted"


class FakeModel:
    name = "fake"

    def __init__(
        self,
        *replies: Scripted,
        default: Scripted | None = None,
        context_window: int | None = None,
        prices: Prices = Prices(),
        embedding_dim: int = 8,
    ) -> None:
        self._queues: dict[str | None, deque[Scripted]] = {None: deque(replies)}
        self.default = default
        self._window = context_window
        self._prices = prices
        self._dim = embedding_dim
        self._ids = itertools.count(1)
        self.requests: list[ModelRequest] = []     # every request that "left the machine"
        self.embedded: list[list[str]] = []

    def enqueue(self, *replies: Scripted, model: str | None = None) -> "FakeModel":
        self._queues.setdefault(model, deque()).extend(replies)
        return self

    @staticmethod
    def tool_call(name: str, **arguments: Any) -> ToolCall:
        return ToolCall(id="", name=name, raw_arguments=json.dumps(arguments, sort_keys=True))

    @property
    def pending(self) -> int:
        return sum(len(q) for q in self._queues.values())

    # --- Backend -------------------------------------------------------------------
    def complete(self, request: ModelRequest, api_key: str | None) -> ModelReply:
        self.requests.append(request)
        item = self._next(request.model)
        if callable(item) and not isinstance(item, (ToolCall, ModelReply)):
            item = item(request)
        if isinstance(item, BaseException):
            raise item
        prompt_tokens = self.count_tokens(request.model, request.messages, request.tools)
        if isinstance(item, ModelReply):
            reply = item
        elif isinstance(item, str):
            reply = ModelReply(text=item)
        elif isinstance(item, ToolCall):
            reply = ModelReply(text="", tool_calls=(item,))
        elif isinstance(item, (list, tuple)):
            reply = ModelReply(text="", tool_calls=tuple(item))
        else:
            raise TypeError(f"FakeModel: cannot reply with {type(item).__name__}")
        calls = tuple(c if c.id else ToolCall(f"fake_call_{next(self._ids)}", c.name, c.raw_arguments) for c in reply.tool_calls)
        completion_tokens = reply.completion_tokens or max(1, (len(reply.text) + sum(len(c.raw_arguments) + len(c.name) for c in calls)) // 4)
        completion_tokens = min(completion_tokens, request.max_tokens)
        prompt_tokens = reply.prompt_tokens or prompt_tokens
        return ModelReply(
            text=reply.text,
            tool_calls=calls,
            model=reply.model or request.model,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cost_usd=reply.cost_usd or self._prices.cost(prompt_tokens, completion_tokens),
            finish_reason=reply.finish_reason or ("tool_calls" if calls else "stop"),
        )

    def embed(self, model: str, texts: list[str], api_key: str | None, api_base: str, timeout_s: float) -> tuple[list[list[float]], int, float]:
        self.embedded.append(list(texts))
        item = self._peek_error(model)
        if item is not None:
            raise item
        vectors = [_hash_vector(t, self._dim) for t in texts]
        tokens = sum(len(t) // 4 + 1 for t in texts)
        return vectors, tokens, self._prices.cost(tokens, 0)

    def count_tokens(self, model: str, messages: list[Message], tools: list[dict[str, Any]] | None) -> int:
        return rough_token_count(messages, tools)

    def context_window(self, model: str) -> int | None:
        return self._window

    def max_output_tokens(self, model: str) -> int | None:
        return None

    def prices(self, model: str) -> Prices:
        return self._prices

    # --- plumbing ------------------------------------------------------------------
    def _next(self, model: str) -> Scripted:
        for key in (model, None):
            queue = self._queues.get(key)
            if queue:
                return queue.popleft()
        if self.default is not None:
            return self.default
        raise AssertionError(f"FakeModel: no scripted reply left for {model} (call {len(self.requests)})")

    def _peek_error(self, model: str) -> BaseException | None:
        for key in (model, None):
            queue = self._queues.get(key)
            if queue and isinstance(queue[0], ProviderError):
                return queue.popleft()
        return None


def _hash_vector(text: str, dim: int) -> list[float]:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    raw = [digest[i % len(digest)] / 255.0 - 0.5 for i in range(dim)]
    norm = sum(v * v for v in raw) ** 0.5 or 1.0
    return [v / norm for v in raw]
