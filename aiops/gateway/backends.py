"""Backends carry one request to a model. The gateway owns retries, fallbacks and budgets.

`LiteLLMBackend` is the only code in aiops that imports litellm, lazily: importing it
takes seconds, so it happens on the first real call. Failures come back as
`ProviderError(kind)` so the gateway never needs litellm's exception classes.
"""

from __future__ import annotations

import json
import os
from typing import Any, Callable, Protocol

from aiops.errors import one_line
from aiops.gateway.budget import Prices
from aiops.gateway.completion import Message, ModelReply, ModelRequest, ToolCall
from aiops.gateway.errors import ProviderError

RequestHook = Callable[[dict[str, Any]], dict[str, Any]]
NO_KEY = "no-key"      # sent to an OpenAI-compatible api_base (llama.cpp, Ollama, vLLM) when no key is configured


class Backend(Protocol):
    name: str

    def complete(self, request: ModelRequest, api_key: str | None) -> ModelReply: ...

    def embed(self, model: str, texts: list[str], api_key: str | None, api_base: str, timeout_s: float) -> tuple[list[list[float]], int, float]: ...

    def count_tokens(self, model: str, messages: list[Message], tools: list[dict[str, Any]] | None) -> int: ...

    def context_window(self, model: str) -> int | None: ...

    def max_output_tokens(self, model: str) -> int | None: ...

    def prices(self, model: str) -> Prices: ...


def import_litellm():  # -> module
    """litellm, configured to stay offline about its cost map and quiet on stdout."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True
    litellm.telemetry = False
    return litellm


class LiteLLMBackend:
    """Any provider litellm knows. `request_hook` sees (and may change) each request's
    keyword arguments just before sending, without the API key: tests use it to capture
    what would leave the machine and to script replies with litellm's `mock_response`."""

    name = "litellm"

    def __init__(self, request_hook: RequestHook | None = None) -> None:
        self._hook = request_hook
        self._info: dict[str, dict[str, Any]] = {}

    def complete(self, request: ModelRequest, api_key: str | None) -> ModelReply:
        litellm = import_litellm()
        kwargs: dict[str, Any] = {
            "model": request.model,
            "messages": request.messages,
            "max_tokens": request.max_tokens,
            "timeout": request.timeout_s,
            "num_retries": 0,
        }
        if request.tools:
            kwargs["tools"] = request.tools
            # OpenAI's default with tools, said out loud: some OpenAI-compatible servers
            # (llama.cpp's function-calling chat formats) ignore the tools without it
            kwargs["tool_choice"] = "auto"
        if request.api_base:
            kwargs["api_base"] = request.api_base
        if request.temperature is not None:
            kwargs["temperature"] = request.temperature
        if self._hook is not None:
            kwargs = self._hook(dict(kwargs))
        if api_key:
            kwargs["api_key"] = api_key
        elif request.api_base and request.model.partition("/")[0] in ("openai", request.model):
            kwargs["api_key"] = NO_KEY      # a keyless local server; the OpenAI client will not send without one
        try:
            response = litellm.completion(**kwargs)
        except Exception as exc:  # noqa: BLE001 - every provider failure is classified
            raise classify_litellm_error(litellm, exc) from None
        choice = response.choices[0]
        message = choice.message
        calls = tuple(
            ToolCall(id=c.id or f"call_{i + 1}", name=c.function.name or "", raw_arguments=c.function.arguments or "{}")
            for i, c in enumerate(getattr(message, "tool_calls", None) or [])
        )
        usage = getattr(response, "usage", None)
        prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
        completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
        cost = (getattr(response, "_hidden_params", {}) or {}).get("response_cost")
        if cost is None:
            cost = self.prices(request.model).cost(prompt_tokens, completion_tokens)
        return ModelReply(
            text=message.content or "",
            tool_calls=calls,
            model=str(getattr(response, "model", "") or request.model),
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cost_usd=float(cost or 0.0),
            finish_reason=str(getattr(choice, "finish_reason", "") or ""),
        )

    def embed(self, model: str, texts: list[str], api_key: str | None, api_base: str, timeout_s: float) -> tuple[list[list[float]], int, float]:
        litellm = import_litellm()
        kwargs: dict[str, Any] = {"model": model, "input": texts, "timeout": timeout_s}
        if api_base:
            kwargs["api_base"] = api_base
        if self._hook is not None:
            kwargs = self._hook(dict(kwargs))
        if api_key:
            kwargs["api_key"] = api_key
        try:
            response = litellm.embedding(**kwargs)
        except Exception as exc:  # noqa: BLE001
            raise classify_litellm_error(litellm, exc) from None
        vectors = [list(map(float, item["embedding"] if isinstance(item, dict) else item.embedding)) for item in response.data]
        prompt_tokens = int(getattr(getattr(response, "usage", None), "prompt_tokens", 0) or 0)
        cost = (getattr(response, "_hidden_params", {}) or {}).get("response_cost")
        return vectors, prompt_tokens, float(cost if cost is not None else self.prices(model).cost(prompt_tokens, 0))

    def count_tokens(self, model: str, messages: list[Message], tools: list[dict[str, Any]] | None) -> int:
        litellm = import_litellm()
        try:
            return int(litellm.token_counter(model=model, messages=messages, tools=tools))
        except Exception:  # noqa: BLE001 - fall back to a rough count rather than fail
            return rough_token_count(messages, tools)

    def context_window(self, model: str) -> int | None:
        value = self._model_info(model).get("max_input_tokens")
        return int(value) if value else None

    def max_output_tokens(self, model: str) -> int | None:
        value = self._model_info(model).get("max_output_tokens")
        return int(value) if value else None

    def prices(self, model: str) -> Prices:
        info = self._model_info(model)
        return Prices(float(info.get("input_cost_per_token") or 0.0), float(info.get("output_cost_per_token") or 0.0))

    def _model_info(self, model: str) -> dict[str, Any]:
        if model not in self._info:
            litellm = import_litellm()
            try:
                self._info[model] = dict(litellm.get_model_info(model))
            except Exception:  # noqa: BLE001 - unknown model: no window, no price
                self._info[model] = {}
        return self._info[model]


# A provider client refusing to start for want of a key: a configuration error, whatever
# class litellm wraps it in (OpenAI's "Missing credentials" arrives as a 500).
_NO_CREDENTIALS = ("missing credentials", "api_key client option must be set", "no api key provided")


def classify_litellm_error(litellm: Any, exc: Exception) -> ProviderError:
    message = one_line(exc)[:300]
    if any(text in message.lower() for text in _NO_CREDENTIALS):
        return ProviderError("auth_error", message)
    checks = [
        ("context_too_long", "ContextWindowExceededError"),
        ("content_policy", "ContentPolicyViolationError"),
        ("rate_limited", "RateLimitError"),
        ("timeout", "Timeout"),
        ("auth_error", "AuthenticationError"),
        ("auth_error", "PermissionDeniedError"),
        ("not_found", "NotFoundError"),
        ("connection_error", "APIConnectionError"),
        ("server_error", "InternalServerError"),
        ("server_error", "ServiceUnavailableError"),
        ("server_error", "BadGatewayError"),
        ("bad_request", "UnprocessableEntityError"),
        ("bad_request", "BadRequestError"),
    ]
    for kind, class_name in checks:
        cls = getattr(litellm, class_name, None)
        if isinstance(cls, type) and isinstance(exc, cls):
            return ProviderError(kind, message, retry_after=_retry_after(exc))
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and status >= 500:
        return ProviderError("server_error", message)
    return ProviderError("error", message)


def _retry_after(exc: Exception) -> float | None:
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    try:
        value = headers.get("retry-after")
        return float(value) if value is not None else None
    except (TypeError, ValueError, AttributeError):
        return None


def rough_token_count(messages: list[Message], tools: list[dict[str, Any]] | None = None) -> int:
    """About four characters a token: good enough for budgets when no tokenizer is at hand."""
    chars = len(json.dumps(messages, ensure_ascii=False)) + (len(json.dumps(tools)) if tools else 0)
    return chars // 4 + 1
