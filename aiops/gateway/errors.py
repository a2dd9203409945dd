"""The gateway's error family. Messages are one line and never carry a key or a prompt."""

from __future__ import annotations

from aiops.errors import AiopsError, BadInputError, BudgetExceeded


class GatewayError(AiopsError):
    """Base of every failure the model gateway reports on purpose."""


class UnknownAlias(BadInputError, GatewayError):
    """An alias that names no model in [models]."""


class KeyFileError(BadInputError, GatewayError):
    """The provider key file is unreadable, malformed or readable by others (mode not 0600)."""


class InvalidInternalKey(BadInputError, GatewayError):
    """An internal key that is unknown, malformed or revoked."""


class QuotaExceeded(GatewayError):
    """An internal key's quota (tokens/day, USD/day, requests/min) would be exceeded: not sent."""


class RunBudgetExceeded(BudgetExceeded, GatewayError):
    """The run's token or cost budget would be exceeded: not sent. The agent must answer now."""


class ContentRefused(GatewayError):
    """A content-safety hook vetoed the prompt: not sent."""


class ModelUnavailable(GatewayError):
    """Every model in the alias's fallback chain failed (after retries) or was skipped."""


class LedgerBusy(GatewayError):
    """The ledger database is locked by another process for too long."""


class LedgerUnavailable(GatewayError):
    """A ledger row cannot be written (disk full, read-only): no model call is made without one."""


# What a backend reports when a provider call fails, whatever library it uses.
PROVIDER_FAILURES = (
    "rate_limited",      # 429: retry with backoff
    "timeout",           # retry
    "server_error",      # 5xx: retry
    "connection_error",  # retry
    "context_too_long",  # next model
    "auth_error",        # next model
    "not_found",         # next model
    "bad_request",       # next model
    "content_policy",    # stop: the provider refused the content
    "error",             # anything else: next model
)
RETRYABLE = frozenset({"rate_limited", "timeout", "server_error", "connection_error"})


class ProviderError(GatewayError):
    """One failed provider call, classified. Backends raise it; FakeModel replies may be one."""

    def __init__(self, kind: str, message: str = "", retry_after: float | None = None) -> None:
        if kind not in PROVIDER_FAILURES:
            raise ValueError(f"unknown provider failure kind {kind!r}")
        super().__init__(message or kind.replace("_", " "))
        self.kind = kind
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE
