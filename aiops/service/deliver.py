"""Deliveries: every outcome to every configured sink, each tried with exponential backoff,
every attempt and every final status in the service log.

    sinks = sinks_from_settings(settings)        # slack, webhook, files (any of them)
    out = Deliveries(sinks, log, metrics, attempts=5, backoff_s=1.0, max_waiting=200)
    out.start(); out.submit(outcome); ...; out.stop()

A bounded queue sits in front of one sender thread: when it is full the delivery is recorded
as dropped (never blocks a diagnosis, never grows without bound). Retries: connection
errors, timeouts, HTTP 429 and 5xx; another 4xx is final (the receiver refused the
message, sending it again will not help).
"""

from __future__ import annotations

import json
import queue
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from aiops.config import Settings
from aiops.errors import ConfigError
from aiops.service.journal_log import ServiceLog
from aiops.service.messages import Outcome, json_document, markdown_document, slack_message
from aiops.service.metrics import ServiceMetrics

MAX_BACKOFF_S = 60.0


class DeliveryError(Exception):
    def __init__(self, reason: str, retry: bool = True) -> None:
        super().__init__(reason)
        self.retry = retry


def post_json(url: str, body: dict[str, Any], timeout_s: float, token: str = "") -> None:
    data = json.dumps(body, ensure_ascii=False, default=str).encode("utf-8")
    headers = {"Content-Type": "application/json", "User-Agent": "aiops-serve"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as r:       # noqa: S310 - configured http(s) URL
            r.read(1024)
    except urllib.error.HTTPError as exc:
        retry = exc.code == 429 or exc.code >= 500
        raise DeliveryError(f"HTTP {exc.code}", retry=retry) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise DeliveryError(f"cannot reach the receiver: {reason}") from None


@dataclass
class Sink:
    name: str                                   # slack | webhook | files
    send: Callable[[Outcome], None]


def _slack(url: str, timeout_s: float, link_base: str) -> Sink:
    return Sink("slack", lambda o: post_json(url, slack_message(o, link_base), timeout_s))


def _webhook(url: str, token: str, timeout_s: float) -> Sink:
    return Sink("webhook", lambda o: post_json(url, json_document(o), timeout_s, token))


def _files(directory: Path) -> Sink:
    def send(o: Outcome) -> None:
        from aiops.report.files import write_atomic

        try:
            directory.mkdir(parents=True, exist_ok=True)
            write_atomic(directory / f"{o.incident}.json", json.dumps(json_document(o), indent=2, default=str) + "\n")
            write_atomic(directory / f"{o.incident}.md", markdown_document(o))
        except OSError as exc:
            raise DeliveryError(f"{directory}: {exc.strerror or exc}") from None

    return Sink("files", send)


def link_base(settings: Settings) -> str:
    if settings.serve.link_base:
        return settings.serve.link_base
    for table in settings.sources.prometheus.values():
        if isinstance(table, dict) and table.get("url"):
            return str(table["url"])
    return ""


def sinks_from_settings(settings: Settings, env: dict[str, str] | None = None) -> list[Sink]:
    """The configured sinks; ConfigError when an environment variable named for a secret is unset."""
    from aiops.telemetry.live.http import secret_from_env

    s = settings.serve
    where = settings.source_file or "settings"
    out = []
    if s.slack_url_env:
        out.append(_slack(secret_from_env(s.slack_url_env, "serve.slack_url_env", where, env), s.delivery_timeout_s,
                          link_base(settings)))
    if s.webhook_url:
        token = secret_from_env(s.webhook_token_env, "serve.webhook_token_env", where, env) if s.webhook_token_env else ""
        out.append(_webhook(s.webhook_url, token, s.delivery_timeout_s))
    if s.out_dir:
        out.append(_files(Path(s.out_dir).expanduser()))
    if not out:
        raise ConfigError(f"{where}: aiops serve has nowhere to deliver: set serve.slack_url_env, serve.webhook_url "
                          "or serve.out_dir")
    return out


class Deliveries:
    def __init__(self, sinks: list[Sink], log: ServiceLog, metrics: ServiceMetrics, attempts: int = 5,
                 backoff_s: float = 1.0, max_waiting: int = 200) -> None:
        self.sinks = sinks
        self.log = log
        self.metrics = metrics
        self.attempts = attempts
        self.backoff_s = backoff_s
        self._queue: queue.Queue[tuple[Sink, Outcome] | None] = queue.Queue(maxsize=max_waiting)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="aiops-deliveries", daemon=True)
        metrics.gauge("aiops_serve_delivery_queue_depth", self._queue.qsize)

    def start(self) -> None:
        self._thread.start()

    def submit(self, o: Outcome) -> None:
        for sink in self.sinks:
            try:
                self._queue.put_nowait((sink, o))
            except queue.Full:
                self._final(sink, o, "dropped", f"the delivery queue is full (serve.max_deliveries = "
                                                f"{self._queue.maxsize})", 0)

    def _final(self, sink: Sink, o: Outcome, status: str, error: str, attempts: int) -> None:
        self.metrics.inc("aiops_serve_deliveries_total", sink=sink.name, status=status)
        self.log.write("delivery", o.incident, sink=sink.name, status=status, attempts=attempts, error=error)

    def _deliver(self, sink: Sink, o: Outcome) -> None:
        error = ""
        for attempt in range(1, self.attempts + 1):
            try:
                sink.send(o)
            except DeliveryError as exc:
                error = str(exc)
                self.metrics.inc("aiops_serve_delivery_attempts_total", sink=sink.name, outcome="error")
                self.log.write("attempt", o.incident, sink=sink.name, attempt=attempt, ok=False, error=error)
                if not exc.retry or attempt == self.attempts:
                    break
                if self._stop.wait(min(MAX_BACKOFF_S, self.backoff_s * 2 ** (attempt - 1))):
                    error += " (stopped while waiting to retry)"
                    break
                continue
            self.metrics.inc("aiops_serve_delivery_attempts_total", sink=sink.name, outcome="ok")
            self.log.write("attempt", o.incident, sink=sink.name, attempt=attempt, ok=True)
            self._final(sink, o, "delivered", "", attempt)
            return
        self._final(sink, o, "failed", error, attempt)

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                self._deliver(*job)
            except Exception as exc:  # noqa: BLE001 - a bug in one message never stops the sender
                self._final(job[0], job[1], "failed", f"{type(exc).__name__}: {exc}", 0)

    def stop(self, timeout_s: float = 30.0) -> None:
        """Send what is queued (no more retry waits), then stop; what is left is recorded as dropped."""
        self._stop.set()
        try:
            self._queue.put(None, timeout=timeout_s)
        except queue.Full:
            pass
        self._thread.join(timeout=timeout_s)
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                return
            if job is not None:
                self._final(job[0], job[1], "dropped", "the service stopped before it was sent", 0)
