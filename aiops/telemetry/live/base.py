"""The live-source protocol: a named, configured source with health() and fetch().

Every source declares `ENDPOINTS`, the (method, path) of each HTTP call it can make, so a
test can show that no write verb is reachable; the session (or Kubernetes API client) it
uses refuses anything but GET anyway. `fetch()` never raises for an expected failure and
never touches a store: it returns a `FetchResult` holding a `Batch` (see `result`).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

from aiops.domain import TimeWindow
from aiops.telemetry.live.result import FetchResult, Health


@dataclass(frozen=True)
class Endpoint:
    method: str        # GET
    path: str          # /api/v1/query_range, /api/v1/label/{name}/values
    purpose: str = ""

    def matches(self, method: str, path: str) -> bool:
        """Does a request (method, path) fall under this endpoint? `{x}` matches one segment."""
        pattern = "^" + re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(self.path)) + "/?$"
        return method.upper() == self.method and re.match(pattern, path) is not None


@dataclass(frozen=True)
class FetchScope:
    """What the operator narrowed the fetch to (flags win over the source's own options).

    `service` is the service the symptom was seen on: trace sources search its traces first
    (they cover its dependencies); nothing else is narrowed by it, since the culprit is
    usually another service.
    """

    namespace: str | None = None
    context: str | None = None
    service: str | None = None


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

    @classmethod
    def methods(cls) -> set[str]:
        """Every HTTP method this kind can send."""
        return {e.method for e in cls.ENDPOINTS}

    @property
    def label(self) -> str:
        return f"{self.kind} '{self.name}'"

    @property
    def key(self) -> str:
        return f"sources.{self.kind}.{self.name}"

    def target(self) -> str:
        """Where the source points (URL, kubeconfig context, paths) — never a secret."""
        return str(getattr(self.options, "url", "") or "")

    def timeout_s(self) -> float:
        return float(getattr(self.options, "timeout_s", 0) or 0)

    def health(self) -> Health:
        raise NotImplementedError

    def check(self) -> Health:
        """health(), timed, with any failure turned into a value."""
        t0 = time.perf_counter()
        try:
            h = self.health()
        except Exception as exc:  # noqa: BLE001 - a failing check is a value
            h = Health(False, self.describe(exc))
        return Health(h.ok, h.message, time.perf_counter() - t0, h.version)

    def fetch(self, window: TimeWindow, scope: FetchScope = FetchScope()) -> FetchResult:
        return FetchResult(source=self.label, status="no_data", message="not a telemetry source")

    def validate_secrets(self) -> None:
        """ConfigError when an environment variable named for a secret is not set."""

    def describe(self, exc: BaseException) -> str:
        from aiops.telemetry.live.http import describe_error

        return describe_error(exc, self.timeout_s(), self.target())

    def close(self) -> None:
        """Release connections (sessions, API clients)."""


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

    def get(self, path: str, params: Mapping[str, Any] | None = None,
            headers: Mapping[str, str] | None = None) -> Any:
        """GET url+path as JSON (SourceError for a non-200 answer or bad JSON)."""
        from aiops.telemetry.live.http import get_json

        return get_json(self.session, self.options.url + path, params, self.options.timeout_s, headers)

    def get_text(self, path: str) -> str:
        from aiops.telemetry.live.http import get_text

        return get_text(self.session, self.options.url + path, self.options.timeout_s)

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None
