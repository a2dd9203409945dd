"""The model gateway: the one way from aiops to any model provider.

`complete()` redacts the messages, asks the content-safety hooks, answers from the cache
when it can, and otherwise walks the alias's fallback chain: for each model it checks the
context window and every budget *before* sending, retries rate limits, timeouts and 5xx
with backoff, and records every attempt in the ledger and on one trace span.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from aiops.config import Settings
from aiops.domain import Usage
from aiops.gateway.backends import Backend, LiteLLMBackend
from aiops.gateway.budget import MIN_COMPLETION_TOKENS, RunBudget, allowed_completion_tokens
from aiops.gateway.cache import ResponseCache, cache_key
from aiops.gateway.completion import Completion, Message, ModelReply, ModelRequest, ToolCall
from aiops.gateway.errors import (
    ContentRefused, InvalidInternalKey, ModelUnavailable, ProviderError, QuotaExceeded, RunBudgetExceeded,
)
from aiops.gateway.internal_keys import InternalKeyStore, KeyRecord
from aiops.gateway.ledger import Ledger, LedgerRow
from aiops.gateway.models import ModelCatalog, ModelRoute, ModelTarget
from aiops.gateway.provider_keys import ProviderKeys
from aiops.gateway.redact import Redactor
from aiops.gateway import tracing

SafetyHook = Callable[[list[Message]], "str | None"]   # returns a reason to veto, or None
MAX_BACKOFF_S = 30.0
MIN_ATTEMPT_S = 10.0       # past the run's deadline: one attempt per model, this long at most


@dataclass(frozen=True)
class _Sent:
    """A successful provider call, whatever the operation."""

    value: Any
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    attempts: int


def gateway_paths(settings: Settings) -> tuple[Path, Path, Path]:
    """(ledger, internal key store, cache dir) for these settings."""
    g, data = settings.gateway, settings.data_dir
    return (
        Path(g.ledger_path).expanduser() if g.ledger_path else data / "gateway.duckdb",
        Path(g.keys_path).expanduser() if g.keys_path else data / "gateway-keys.json",
        Path(g.cache_dir).expanduser() if g.cache_dir else data / "gateway-cache",
    )


class Gateway:
    def __init__(
        self,
        catalog: ModelCatalog,
        backend: Backend,
        ledger: Ledger,
        cache: ResponseCache | None = None,
        provider_keys: ProviderKeys | None = None,
        *,
        key: KeyRecord | None = None,
        redactor: Redactor | None = None,
        safety_hooks: Sequence[SafetyHook] = (),
        tracer_provider: Any = None,
        timeout_s: float = 60.0,
        max_retries: int = 3,
        backoff_s: float = 1.0,
        default_max_tokens: int = 1024,
        trace_prompts: bool = False,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.catalog = catalog
        self.backend = backend
        self.ledger = ledger
        self.cache = cache
        self.key = key
        self.redactor = redactor or Redactor()
        self.run = RunBudget()              # used when a call passes no run of its own
        self._keys = provider_keys
        self._api_keys: dict[str, str | None] = {}     # provider -> key, looked up once
        self._hooks = list(safety_hooks)
        self._tracer = tracing.get_tracer(tracer_provider)
        self._timeout_s = timeout_s
        self._max_retries = max_retries
        self._backoff_s = backoff_s
        self._default_max_tokens = default_max_tokens
        self._trace_prompts = trace_prompts
        self._sleep = sleep
        self._clock = clock

    @classmethod
    def from_settings(
        cls, settings: Settings, internal_key: str | None = None, *, backend: Backend | None = None, **options: Any
    ) -> "Gateway":
        """The gateway for these settings; `internal_key` (or [gateway] internal_key) selects quotas."""
        g = settings.gateway
        ledger_path, keys_path, cache_dir = gateway_paths(settings)
        provider_keys = ProviderKeys(g.key_file or None, g.use_keyring)
        plain = internal_key or g.internal_key
        record = InternalKeyStore(keys_path).authenticate(plain) if plain else None
        if record is None and g.require_internal_key:
            raise InvalidInternalKey("[gateway] require_internal_key is on: pass an internal key (AIOPS_GATEWAY_INTERNAL_KEY)")
        redactor = Redactor(pii=g.redact_pii, literals=[*provider_keys.all_values(), plain or ""])
        from aiops.gateway.safety import hooks_from_settings

        options["safety_hooks"] = [*hooks_from_settings(settings), *options.get("safety_hooks", ())]
        return cls(
            ModelCatalog.from_settings(settings),
            backend or LiteLLMBackend(),
            Ledger(ledger_path),
            ResponseCache(cache_dir, g.cache_ttl_s) if g.cache_enabled else None,
            provider_keys,
            key=record,
            redactor=redactor,
            timeout_s=g.timeout_s,
            max_retries=g.max_retries,
            backoff_s=g.backoff_s,
            default_max_tokens=g.default_max_tokens,
            trace_prompts=g.trace_prompts,
            **options,
        )

    @classmethod
    def scripted(cls, backend: Backend, data_dir: str | Path, *, aliases: dict[str, str] | None = None, **options: Any) -> "Gateway":
        """A gateway over a scripted backend (FakeModel) for tests: every built-in alias
        names `fake/scripted`, ledger and cache live in `data_dir`, backoff never sleeps, and
        no provider key is looked up unless `provider_keys=` is given."""
        from aiops.gateway.fake import FAKE_MODEL

        data = Path(data_dir)
        names = aliases or {a: FAKE_MODEL for a in ("planner", "fast", "local", "embedding")}
        options.setdefault("sleep", lambda _s: None)
        keys = options.pop("provider_keys", None)
        return cls(ModelCatalog(names), backend, Ledger(data / "gateway.duckdb"),
                   ResponseCache(data / "gateway-cache", 7 * 86400.0), keys, **options)

    # --- public API ----------------------------------------------------------------
    def has_alias(self, alias: str) -> bool:
        return self.catalog.has(alias)

    def preflight(self, alias: str, timeout_s: float = 2.0) -> list[str]:
        """Why no model of `alias` can be called (no API key, endpoint refusing connections),
        checked without sending anything; [] when at least one can be tried."""
        from aiops.gateway.preflight import route_problems

        return route_problems(self.catalog.resolve(alias), self._api_key, timeout_s)

    def add_safety_hook(self, hook: SafetyHook) -> None:
        self._hooks.append(hook)

    def restore(self, text: str) -> str:
        """Put back, locally, the secrets from the data a placeholder in `text` stands for
        (never a provider or internal key: a placeholder for one stays as it is)."""
        return self.redactor.restore(text, self.redactor.restorable)

    def complete(
        self,
        alias: str,
        messages: Sequence[Message],
        tools: list[dict[str, Any]] | None = None,
        max_tokens: int | None = None,
        run: RunBudget | None = None,
        temperature: float | None = None,
    ) -> Completion:
        """One chat completion. Raises RunBudgetExceeded / QuotaExceeded (nothing sent),
        ContentRefused, ModelUnavailable (every model failed), UnknownAlias."""
        run = run or self.run
        route = self.catalog.resolve(alias)
        for target in route.targets:
            self._api_key(target)                      # known keys are redacted from this very prompt
        requested = max_tokens or self._default_max_tokens
        outgoing: list[Message] = self.redactor.redact_value(list(messages))
        outgoing_tools = self.redactor.redact_value(tools) if tools else None
        with tracing.call_span(self._tracer, "chat", alias, route.models[0], requested) as span:
            if self._trace_prompts:
                span.set_attribute("aiops.prompt.redacted", json.dumps(outgoing, ensure_ascii=False)[:16000])
            key = cache_key(route.models, outgoing, outgoing_tools)
            cached = self._cached(key, route, run, span, "chat")
            if cached is not None:
                reply = ModelReply.from_json(cached)
                return self._completion(reply, route.alias, Usage(), cached=True, attempts=0)

            def send(target: ModelTarget, allowed: int, api_key: str | None,
                     timeout_s: float) -> tuple[ModelReply, str, int, int, float]:
                request = ModelRequest(target.model, outgoing, allowed, outgoing_tools, target.api_base, timeout_s, temperature)
                reply = self.backend.complete(request, api_key)
                return reply, reply.model or target.model, reply.prompt_tokens, reply.completion_tokens, reply.cost_usd

            sent = self._send_through_chain(
                route, run, span, "chat", requested, outgoing,
                count=lambda t: self.backend.count_tokens(t.model, outgoing, outgoing_tools), send=send,
            )
            reply: ModelReply = sent.value
            if self.cache is not None:
                self.cache.put(key, reply.to_json())
            usage = Usage(llm_calls=1, prompt_tokens=sent.prompt_tokens, completion_tokens=sent.completion_tokens, cost_usd=sent.cost_usd)
            return self._completion(reply, route.alias, usage, cached=False, attempts=sent.attempts)

    def embed(self, alias: str, texts: Sequence[str], run: RunBudget | None = None) -> list[list[float]]:
        """Embedding vectors for `texts` (redacted first), cached like completions."""
        run = run or self.run
        route = self.catalog.resolve(alias)
        for target in route.targets:
            self._api_key(target)
        outgoing = [self.redactor.redact(t)[0] for t in texts]
        as_messages: list[Message] = [{"role": "user", "content": t} for t in outgoing]
        with tracing.call_span(self._tracer, "embeddings", alias, route.models[0], None) as span:
            key = cache_key(route.models, as_messages, None, operation="embed")
            cached = self._cached(key, route, run, span, "embed")
            if cached is not None:
                return cached["vectors"]

            def send(target: ModelTarget, allowed: int, api_key: str | None,
                     timeout_s: float) -> tuple[list[list[float]], str, int, int, float]:
                vectors, tokens, cost = self.backend.embed(target.model, outgoing, api_key, target.api_base, timeout_s)
                return vectors, target.model, tokens, 0, cost

            sent = self._send_through_chain(
                route, run, span, "embed", 1, as_messages,
                count=lambda t: sum(len(x) // 4 + 1 for x in outgoing), send=send,
            )
            if self.cache is not None:
                self.cache.put(key, {"vectors": sent.value, "model": sent.model})
            return sent.value

    def close(self) -> None:
        """Fold waiting ledger rows into DuckDB (best effort: they are durable either way)."""
        self.ledger.fold()

    def __enter__(self) -> "Gateway":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the chain -----------------------------------------------------------------
    def _send_through_chain(self, route: ModelRoute, run: RunBudget, span: Any, operation: str, requested: int,
                            outgoing: list[Message], count: Callable[[ModelTarget], int], send: Callable[..., tuple]) -> _Sent:
        self.ledger.ensure_writable()
        veto = next((reason for hook in self._hooks if (reason := hook(outgoing))), None)
        if veto:
            self._record(route.alias, route.targets[0], "refused_safety", run, operation, error=veto)
            raise ContentRefused(f"content-safety hook vetoed the prompt for alias {route.alias!r}: {veto}; not sent")
        failures: list[str] = []
        attempts = 0
        for target in route.targets:
            prompt_tokens = count(target)
            window = target.context_window or self.backend.context_window(target.model)
            if window and prompt_tokens + min(requested, MIN_COMPLETION_TOKENS) > window:
                note = f"prompt of ~{prompt_tokens} tokens does not fit the {window}-token context window"
                self._record(route.alias, target, "skipped_context", run, operation, prompt_tokens=0, error=note)
                tracing.record_attempt(span, target.model, "skipped_context")
                failures.append(f"{target.model}: {note}")
                continue
            cap = min(requested, window - prompt_tokens) if window else requested
            out_max = self.backend.max_output_tokens(target.model)
            cap = min(cap, out_max) if out_max else cap
            for retry in range(self._max_retries + 1):
                attempts += 1
                allowed = self._allowance(cap, prompt_tokens, target, run, route.alias, operation, attempts)
                started = time.monotonic()
                try:
                    value, model, p_tok, c_tok, cost = send(target, allowed, self._api_key(target),
                                                            self._attempt_timeout(run, started))
                except ProviderError as exc:
                    message = self.redactor.redact(exc.message)[0]
                    self._record(route.alias, target, exc.kind, run, operation, attempt=attempts,
                                 latency_s=time.monotonic() - started, error=message)
                    tracing.record_attempt(span, target.model, exc.kind)
                    failures.append(f"{target.model}: {exc.kind} ({message})")
                    if exc.kind == "content_policy":
                        raise ContentRefused(f"{target.model} refused the content: {message}") from None
                    if exc.retryable and retry < self._max_retries:
                        delay = self._backoff(retry, exc.retry_after)
                        if run.deadline is not None and time.monotonic() + delay >= run.deadline:
                            failures.append(f"{target.model}: no retry in {delay:.0f} s, past the run's wall-time budget")
                            break
                        self._sleep(delay)
                        continue
                    break
                latency = time.monotonic() - started
                self._record(route.alias, target, "ok", run, operation, attempt=attempts, prompt_tokens=p_tok,
                             completion_tokens=c_tok, cost_usd=cost, latency_s=latency, model=model)
                run.charge(p_tok, c_tok, cost)
                tracing.record_result(span, system=target.provider, response_model=model, input_tokens=p_tok,
                                      output_tokens=c_tok, cost_usd=cost, cache_hit=False, outcome="ok", attempts=attempts)
                self.ledger.maybe_fold()
                return _Sent(value, model, p_tok, c_tok, cost, attempts)
        raise ModelUnavailable(f"alias {route.alias!r}: no model answered after {attempts} attempt(s): " + "; ".join(failures))

    def _allowance(self, cap: int, prompt_tokens: int, target: ModelTarget, run: RunBudget,
                   alias: str, operation: str, attempt: int) -> int:
        today = last_minute = None
        if self.key is not None:
            now = self._clock()
            q = self.key.quotas
            if q.tokens_per_day is not None or q.usd_per_day is not None:
                today = self.ledger.totals(since=now - now % 86400, key_id=self.key.key_id)
            if q.requests_per_min is not None:
                last_minute = self.ledger.totals(since=now - 60, key_id=self.key.key_id)
        try:
            return allowed_completion_tokens(cap, prompt_tokens, self.backend.prices(target.model), run,
                                             self.key, today, last_minute)
        except (QuotaExceeded, RunBudgetExceeded) as exc:
            outcome = "refused_quota" if isinstance(exc, QuotaExceeded) else "refused_budget"
            self._record(alias, target, outcome, run, operation, attempt=attempt, error=str(exc))
            raise

    def _cached(self, key: str, route: ModelRoute, run: RunBudget, span: Any, operation: str) -> dict[str, Any] | None:
        if self.cache is None:
            return None
        hit = self.cache.get(key)
        if hit is None:
            return None
        model = hit.get("model") or route.models[0]
        self._record(route.alias, route.targets[0], "ok", run, operation, cache_hit=True, model=model)
        run.cache_hits += 1
        tracing.record_result(span, system=route.targets[0].provider, response_model=model, input_tokens=0,
                              output_tokens=0, cost_usd=0.0, cache_hit=True, outcome="ok", attempts=0)
        return hit

    def _completion(self, reply: ModelReply, alias: str, usage: Usage, cached: bool, attempts: int) -> Completion:
        calls = tuple(ToolCall(c.id, c.name, self.restore(c.raw_arguments)) for c in reply.tool_calls)
        return Completion(text=reply.text, tool_calls=calls, usage=usage, model=reply.model, alias=alias,
                          cached=cached, finish_reason=reply.finish_reason, attempts=attempts)

    def _api_key(self, target: ModelTarget) -> str | None:
        provider = target.provider
        if provider not in self._api_keys:
            value = self._keys.api_key(provider, self.key.profile if self.key else "default") if self._keys else None
            if value:
                self.redactor.add_literal(value)     # scrubbed from any text, prompts included
            self._api_keys[provider] = value
        return self._api_keys[provider]

    def _attempt_timeout(self, run: RunBudget, now: float) -> float:
        """The request timeout: the configured one, cut to what is left of the run's wall-time
        budget — but at least MIN_ATTEMPT_S, so an answer past the budget still gets one try."""
        if run.deadline is None:
            return self._timeout_s
        return min(self._timeout_s, max(run.deadline - now, MIN_ATTEMPT_S))

    def _backoff(self, retry: int, retry_after: float | None) -> float:
        delay = min(self._backoff_s * (2 ** retry), MAX_BACKOFF_S) * (0.75 + 0.25 * random.random())
        if retry_after is not None:
            delay = max(delay, min(retry_after, 2 * MAX_BACKOFF_S))
        return delay

    def _record(self, alias: str, target: ModelTarget, outcome: str, run: RunBudget, operation: str, *,
                model: str | None = None, **fields: Any) -> None:
        self.ledger.record(LedgerRow(
            alias=alias, model=model or target.model, provider=target.provider, outcome=outcome, operation=operation,
            key_id=self.key.key_id if self.key else "", run_id=run.run_id, ts=self._clock(), **fields,
        ))

