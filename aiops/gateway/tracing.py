"""One OpenTelemetry span per gateway call, with the gen_ai semantic-convention attributes.

Never prompt text or keys; the redacted prompt only when `[gateway] trace_prompts` is on.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

TRACER_NAME = "aiops.gateway"


def get_tracer(tracer_provider: Any = None) -> Any:
    from opentelemetry import trace

    if tracer_provider is not None:
        return tracer_provider.get_tracer(TRACER_NAME)
    return trace.get_tracer(TRACER_NAME)


@contextmanager
def call_span(tracer: Any, operation: str, alias: str, request_model: str, max_tokens: int | None) -> Iterator[Any]:
    """A span named like `chat openai/gpt-4o-mini`; the gateway fills in the outcome."""
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": operation,
        "gen_ai.request.model": request_model,
        "aiops.alias": alias,
    }
    if max_tokens is not None:
        attributes["gen_ai.request.max_tokens"] = max_tokens
    with tracer.start_as_current_span(f"{operation} {request_model}", attributes=attributes, record_exception=False) as span:
        try:
            yield span
        except Exception as exc:   # the span ends with status ERROR and the one-line message
            span.set_attribute("aiops.outcome", type(exc).__name__)
            raise


def record_result(
    span: Any,
    *,
    system: str,
    response_model: str,
    input_tokens: int,
    output_tokens: int,
    cost_usd: float,
    cache_hit: bool,
    outcome: str,
    attempts: int,
) -> None:
    span.set_attribute("gen_ai.system", system)
    span.set_attribute("gen_ai.response.model", response_model)
    span.set_attribute("gen_ai.usage.input_tokens", input_tokens)
    span.set_attribute("gen_ai.usage.output_tokens", output_tokens)
    span.set_attribute("aiops.cost_usd", cost_usd)
    span.set_attribute("aiops.cache_hit", cache_hit)
    span.set_attribute("aiops.outcome", outcome)
    span.set_attribute("aiops.attempts", attempts)


def record_attempt(span: Any, model: str, outcome: str) -> None:
    span.add_event("aiops.attempt", {"gen_ai.request.model": model, "aiops.outcome": outcome})

