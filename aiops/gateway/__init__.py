"""Model gateway: the only way from aiops to a model provider (and the only litellm importer).

    gateway = Gateway.from_settings(settings, internal_key=None)
    run = RunBudget(max_tokens=20_000, max_cost_usd=0.50)
    reply = gateway.complete("planner", messages, tools=tools, max_tokens=800, run=run)
    reply.text, reply.tool_calls, reply.usage, reply.model, reply.cached
    vectors = gateway.embed("embedding", texts)

Tests script the model with `FakeModel` and `Gateway.scripted(fake, tmp_path)`.
"""

from aiops.gateway.backends import LiteLLMBackend
from aiops.gateway.budget import Prices, RunBudget
from aiops.gateway.completion import Completion, ModelReply, ModelRequest, ToolCall
from aiops.gateway.errors import (
    ContentRefused,
    GatewayError,
    InvalidInternalKey,
    KeyFileError,
    LedgerBusy,
    LedgerUnavailable,
    ModelUnavailable,
    ProviderError,
    QuotaExceeded,
    RunBudgetExceeded,
    UnknownAlias,
)
from aiops.gateway.fake import FAKE_MODEL, FakeModel
from aiops.gateway.gateway import Gateway, SafetyHook, gateway_paths
from aiops.gateway.internal_keys import InternalKeyStore, KeyRecord, Quotas
from aiops.gateway.ledger import Ledger, LedgerRow
from aiops.gateway.redact import Redactor

__all__ = [
    "Completion", "ContentRefused", "FAKE_MODEL", "FakeModel", "Gateway", "GatewayError", "InternalKeyStore",
    "InvalidInternalKey", "KeyFileError", "KeyRecord", "Ledger", "LedgerBusy", "LedgerRow", "LedgerUnavailable", "LiteLLMBackend",
    "ModelReply", "ModelRequest", "ModelUnavailable", "Prices", "ProviderError", "QuotaExceeded", "Quotas",
    "Redactor", "RunBudget", "RunBudgetExceeded", "SafetyHook", "ToolCall", "UnknownAlias", "gateway_paths",
]
