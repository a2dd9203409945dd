"""The live-source protocol: a named, configured source with health() and fetch_into().

Every source declares `ENDPOINTS`, the (method, path) of each HTTP call it can make, so a
test can show that no write verb is reachable; the session it uses refuses them anyway.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

from aiops.domain import TimeWindow
from aiops.telemetry.live.result import FetchResult, Health


@dataclass(frozen=True)
class Endpoint:
    method: str        # GET
    path: str          # /api/v1/query_range
    purpose: str = ""


@dataclass(frozen=True)
class FetchScope:
    """What the operator narrowed the fetch to (flags win over the source's own options)."""

    namespace: str | None = None
    context: str | None = None


class LiveSource:
    """Base of every source kind. Subclasses set `kind`, `Options`, `ENDPOINTS`, `provides`."""

    kind: ClassVar[str] = ""
    Options: ClassVar[type] = object
    ENDPOINTS: ClassVar[tuple[Endpoint, ...]] = ()
    provides: ClassVar[tuple[str, ...]] = ()          # store tables it fills; () = alerts only

    def __init__(self, name: str, options: Any, env: Mapping[str, str] | None = None, where: str = "settings") -> None:
        self.name = name
        self.options = options
        self.env = env
        self.where = where

    @property
    def label(self) -> str:
        return f"{self.kind} '{self.name}'"

    @property
    def key(self) -> str:
        return f"sources.{self.kind}.{self.name}"

    def target(self) -> str:
        """Where the source points (URL, kubeconfig context, paths) — never a secret."""
        return str(getattr(self.options, "url", "") or "")

    def health(self) -> Health:
        raise NotImplementedError

    def check(self) -> Health:
        """health(), timed, with any failure turned into a value."""
        t0 = time.perf_counter()
        try:
            h = self.health()
        except Exception as exc:  # noqa: BLE001 - a failing check is a value
            from aiops.telemetry.live.http import describe_error

            h = Health(False, describe_error(exc, float(getattr(self.options, "timeout_s", 0) or 0), self.target()))
        return Health(h.ok, h.message, time.perf_counter() - t0)

    def fetch_into(self, store: Any, window: TimeWindow, scope: FetchScope = FetchScope()) -> FetchResult:
        return FetchResult(source=self.label, status="no_data", message="not a telemetry source")

    def validate_secrets(self) -> None:
        """ConfigError when an environment variable named for a secret is not set."""


class HttpSource(LiveSource):
    """A source behind an HTTP API: a read-only session built from `HttpOptions`."""

    _session: Any = None

    def validate_secrets(self) -> None:
        from aiops.telemetry.live.http import auth_headers, basic_auth

        auth_headers(self.options, self.key, self.where, self.env)
        basic_auth(self.options, self.key, self.where, self.env)

    @property
    def session(self) -> Any:
        if self._session is None:
            from aiops.telemetry.live.http import build_session

            self._session = build_session(self.options, self.key, self.where, self.env)
        return self._session

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET url+path as JSON (SourceError for a non-200 answer or bad JSON)."""
        from aiops.telemetry.live.http import get_json

        return get_json(self.session, self.options.url + path, params, self.options.timeout_s)

    def describe(self, exc: BaseException) -> str:
        from aiops.telemetry.live.http import describe_error

        return describe_error(exc, self.options.timeout_s, self.options.url)
