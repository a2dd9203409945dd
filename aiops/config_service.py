"""Settings of the long-running pieces: `aiops serve` ([serve]) and the incident memory
([memory]). Same rules as aiops.config_sections: typed fields, each section validates its
own values and names the key in its message."""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass

from aiops.errors import ConfigError


def _positive(where: str, key: str, value: float) -> None:
    if not (value > 0 and math.isfinite(value)):
        raise ConfigError(f"{where}: {key} = {value!r} must be > 0")


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class ServeSettings:
    """`aiops serve`: the Alertmanager webhook receiver that diagnoses and delivers."""

    bind: str = "127.0.0.1"          # listen address; beyond loopback a token (or allow_unauthenticated) is required
    port: int = 9095
    tls_cert: str = ""               # PEM certificate chain; with tls_key the service speaks HTTPS only
    tls_key: str = ""
    token: str = ""                  # bearer token callers must send; a secret: set it via AIOPS_SERVE_TOKEN
    allow_unauthenticated: bool = False
    debounce_s: float = 10.0         # wait this long after a group's first alert before diagnosing it
    rediagnose_s: float = 3600.0     # a group notified again within this long: diagnosed again only with new alerts
    window: str = ""                 # diagnosis window around the alert's start; "" = sources.default_window
    max_queue: int = 20              # incidents waiting for a worker; more are skipped, and said so
    concurrency: int = 2             # diagnoses at once
    max_body_kb: int = 1024          # largest webhook body accepted (413 above)
    max_alerts_per_incident: int = 50   # alerts kept per incident (the rest are counted)
    max_groups: int = 1000           # groups remembered for debounce and re-notification
    slack_url_env: str = ""          # env var holding a Slack-compatible incoming-webhook URL
    webhook_url: str = ""            # generic JSON webhook (POST of the diagnosis)
    webhook_token_env: str = ""      # env var holding a bearer token for webhook_url
    out_dir: str = ""                # write <incident>.json and .md here
    delivery_attempts: int = 5       # per delivery, with exponential backoff
    delivery_backoff_s: float = 1.0
    delivery_timeout_s: float = 10.0
    max_deliveries: int = 200        # deliveries waiting to be sent; more are recorded as dropped
    log_path: str = ""               # delivery log (JSON lines); "" = <data_dir>/serve/deliveries.jsonl
    link_base: str = ""              # Prometheus UI for evidence links; "" = the first [sources.prometheus] url

    def validate(self, where: str) -> None:
        if not 0 < self.port < 65536:
            raise ConfigError(f"{where}: serve.port = {self.port!r} must be 1..65535")
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ConfigError(f"{where}: serve.tls_cert and serve.tls_key go together (one is empty)")
        for key in ("debounce_s", "rediagnose_s", "delivery_timeout_s"):
            value = getattr(self, key)
            if not (value >= 0 and math.isfinite(value)):
                raise ConfigError(f"{where}: serve.{key} = {value!r} must be >= 0")
        if not (self.delivery_backoff_s >= 0 and math.isfinite(self.delivery_backoff_s)):
            raise ConfigError(f"{where}: serve.delivery_backoff_s = {self.delivery_backoff_s!r} must be >= 0")
        for key in ("max_queue", "concurrency", "max_body_kb", "max_alerts_per_incident", "max_groups",
                    "delivery_attempts", "max_deliveries"):
            _positive(where, f"serve.{key}", getattr(self, key))
        if self.window:
            from aiops.timeutil import parse_duration

            try:
                if parse_duration(self.window) <= 0:
                    raise ValueError
            except ValueError:
                raise ConfigError(f"{where}: serve.window = {self.window!r} is not a duration (use e.g. 30m)") from None
        if self.webhook_url and not self.webhook_url.startswith(("http://", "https://")):
            raise ConfigError(f"{where}: serve.webhook_url = {self.webhook_url!r} must be an http(s) URL")


@dataclass
class MemorySettings:
    """The incident memory: past diagnoses and verdicts, recalled for similar incidents."""

    enabled: bool = True
    path: str = ""                   # JSON lines; "" = <data_dir>/memory.jsonl
    min_similarity: float = 0.45     # a past incident this similar (0..1) is recalled
    max_recalled: int = 5            # similar incidents cited per run
    max_boost: float = 0.05          # the most a confirmed past cause adds to a suspect's score
    max_incidents: int = 5000        # kept in the file; the oldest are dropped beyond it

    def validate(self, where: str) -> None:
        if not 0.0 < self.min_similarity <= 1.0:
            raise ConfigError(f"{where}: memory.min_similarity = {self.min_similarity!r} must be in (0, 1]")
        if not 0.0 <= self.max_boost <= 0.2:
            raise ConfigError(f"{where}: memory.max_boost = {self.max_boost!r} must be between 0 and 0.2")
        _positive(where, "memory.max_recalled", self.max_recalled)
        _positive(where, "memory.max_incidents", self.max_incidents)
