"""What goes to a model backend and what comes back: requests, replies, completions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiops.domain import Usage

Message = dict[str, Any]


@dataclass(frozen=True)
class ToolCall:
    """A tool the model asks for. `arguments` is parsed JSON; `parse_error` says why it is empty."""

    id: str
    name: str
    raw_arguments: str = "{}"

    @property
    def arguments(self) -> dict[str, Any]:
        value, _ = _parse_arguments(self.raw_arguments)
        return value

    @property
    def parse_error(self) -> str:
        _, error = _parse_arguments(self.raw_arguments)
        return error

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "type": "function", "function": {"name": self.name, "arguments": self.raw_arguments}}


def _parse_arguments(raw: str) -> tuple[dict[str, Any], str]:
    try:
        value = json.loads(raw or "{}")
    except json.JSONDecodeError as exc:
        return {}, f"arguments are not JSON: {exc.msg} at {exc.pos}"
    except RecursionError:
        return {}, "arguments are JSON nested too deeply to read"
    if not isinstance(value, dict):
        return {}, "arguments are not a JSON object"
    return value, ""


@dataclass(frozen=True)
class ModelRequest:
    """One provider call exactly as it would leave the machine (already redacted)."""

    model: str
    messages: list[Message]
    max_tokens: int
    tools: list[dict[str, Any]] | None = None
    api_base: str = ""
    timeout_s: float = 60.0
    temperature: float | None = None


@dataclass(frozen=True)
class ModelReply:
    """What a backend returns for one successful provider call."""

    text: str
    tool_calls: tuple[ToolCall, ...] = ()
    model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    finish_reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "tool_calls": [c.as_dict() for c in self.tool_calls],
            "model": self.model,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_usd": self.cost_usd,
            "finish_reason": self.finish_reason,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ModelReply":
        calls = tuple(
            ToolCall(c["id"], c["function"]["name"], c["function"].get("arguments") or "{}") for c in data.get("tool_calls", [])
        )
        return cls(
            text=data.get("text", ""),
            tool_calls=calls,
            model=data.get("model", ""),
            prompt_tokens=int(data.get("prompt_tokens", 0)),
            completion_tokens=int(data.get("completion_tokens", 0)),
            cost_usd=float(data.get("cost_usd", 0.0)),
            finish_reason=data.get("finish_reason", ""),
        )


@dataclass(frozen=True)
class Completion:
    """The gateway's answer to `complete()`.

    `text` and tool-call arguments are as the model wrote them: secrets in the prompt were
    replaced by placeholders such as `[REDACTED_AWS_ACCESS_KEY_1]` before sending, and the
    model may echo them. `Gateway.restore()` puts the originals back, locally. `usage` is
    what was billed: a cache hit costs nothing (`cached=True`, `usage.llm_calls == 0`).
    """

    text: str
    tool_calls: tuple[ToolCall, ...]
    usage: Usage
    model: str
    alias: str
    cached: bool = False
    finish_reason: str = ""
    attempts: int = 1

    def as_message(self) -> Message:
        """This reply as an assistant message, to append to the conversation."""
        message: Message = {"role": "assistant", "content": self.text}
        if self.tool_calls:
            message["tool_calls"] = [c.as_dict() for c in self.tool_calls]
        return message
