"""`aiops serve` put together: settings in, a running service out.

    service = Service.from_settings(settings)      # ConfigError/BadInputError before anything listens
    service.start()                               # workers, the sender, the HTTP server thread
    service.url                                    # e.g. http://127.0.0.1:9095
    service.stop()                                # stop listening, finish running work, log the rest

`diagnose` and `sinks` may be given (tests, embedding); by default incidents are diagnosed
from the configured live sources and delivered to the configured sinks.
"""

from __future__ import annotations

import ssl
import threading
from typing import Any, Callable

from aiops.config import Settings
from aiops.config_service import is_loopback
from aiops.errors import BadInputError, ConfigError
from aiops.service.deliver import Deliveries, Sink, sinks_from_settings
from aiops.service.http import ServiceHTTPServer
from aiops.service.journal_log import ServiceLog, log_path
from aiops.service.messages import Outcome
from aiops.service.metrics import ServiceMetrics
from aiops.service.scheduler import Scheduler, ServeIncident


def _tls(settings: Settings) -> ssl.SSLContext | None:
    s = settings.serve
    if not s.tls_cert:
        return None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(s.tls_cert, s.tls_key)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"{settings.source_file or 'settings'}: serve.tls_cert / serve.tls_key "
                          f"({s.tls_cert}, {s.tls_key}): {getattr(exc, 'strerror', None) or exc}") from None
    return ctx


def check_settings(settings: Settings) -> None:
    """What must hold before the service listens (ConfigError naming the key otherwise)."""
    s = settings.serve
    where = settings.source_file or "settings"
    if not is_loopback(s.bind) and not s.token and not s.allow_unauthenticated:
        raise ConfigError(f"{where}: serve.bind = {s.bind!r} is reachable beyond this machine: set a token "
                          "(AIOPS_SERVE_TOKEN) or serve.allow_unauthenticated = true")


class Service:
    def __init__(self, settings: Settings, diagnose: Callable[[ServeIncident], Outcome], sinks: list[Sink]) -> None:
        check_settings(settings)
        s = settings.serve
        self.settings = settings
        self.metrics = ServiceMetrics()
        self.log = ServiceLog(log_path(settings))
        self.deliveries = Deliveries(sinks, self.log, self.metrics, s.delivery_attempts, s.delivery_backoff_s,
                                     s.max_deliveries)
        self.scheduler = Scheduler(s, diagnose, self.deliveries.submit, self.log, self.metrics)
        try:
            self.http = ServiceHTTPServer((s.bind, s.port), receive=self.scheduler.receive, health=self.health,
                                          metrics=self.metrics, token=s.token, max_body=s.max_body_kb * 1024,
                                          tls=_tls(settings))
        except OSError as exc:
            raise BadInputError(f"serve.bind {s.bind}, serve.port {s.port}: cannot listen "
                                f"({exc.strerror or exc})") from None
        self._thread = threading.Thread(target=self.http.serve_forever, name="aiops-http", daemon=True)

    @classmethod
    def from_settings(cls, settings: Settings) -> "Service":
        from aiops.service.diagnosis import live_diagnoser
        from aiops.telemetry.live.registry import build_sources

        if not build_sources(settings, None, telemetry_only=True):
            where = settings.source_file or "the config file"
            raise ConfigError(f"{where}: aiops serve diagnoses from live sources: add [sources.<kind>.<name>] tables "
                              "(see docs/live-sources.md)")
        return cls(settings, live_diagnoser(settings), sinks_from_settings(settings))

    @property
    def url(self) -> str:
        return self.http.url

    def health(self) -> dict[str, Any]:
        return {**self.scheduler.status(), "log_write_failures": self.log.failures}

    def start(self) -> None:
        self.deliveries.start()
        self.scheduler.start()
        self._thread.start()

    def stop(self, timeout_s: float = 60.0) -> None:
        self.http.shutdown()
        self.http.server_close()
        self.scheduler.stop(timeout_s)
        self.deliveries.stop(timeout_s)
