"""The HTTP face of `aiops serve` (standard library only).

    POST /alerts     an Alertmanager webhook notification -> 200 {"outcome": queued|merged|repeat|resolved|skipped, ...}
    GET  /healthz    200 {"status": "ok", waiting, diagnosing, ...} (no token needed: for liveness probes)
    GET  /metrics    Prometheus text exposition

Every path but /healthz needs `Authorization: Bearer <serve.token>` when a token is set
(compared in constant time). Bodies above serve.max_body_kb are refused (413) before they
are read; at most MAX_CONNECTIONS requests are served at once (503 beyond), so neither a
flood of requests nor a huge one can exhaust memory. With serve.tls_cert/tls_key the
socket speaks TLS only.
"""

from __future__ import annotations

import hmac
import json
import logging
import socket
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

from aiops.service.intake import BadNotification, parse_notification
from aiops.service.metrics import ServiceMetrics

MAX_CONNECTIONS = 64
ALERT_PATHS = ("/alerts", "/", "/api/v1/alerts")
log = logging.getLogger("aiops.serve")


class ServiceHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], *, receive: Callable[[Any], dict[str, Any]],
                 health: Callable[[], dict[str, Any]], metrics: ServiceMetrics, token: str = "",
                 max_body: int = 1 << 20, tls: ssl.SSLContext | None = None) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, ServiceHandler)
        self.receive = receive
        self.health = health
        self.metrics = metrics
        self.token = token
        self.max_body = max_body
        self.tls = tls
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            try:
                request.settimeout(1.0)
                request.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            except OSError:
                pass
            self.metrics.inc("aiops_serve_requests_total", path="*", code="503")
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            if self.tls is not None:
                request = self.tls.wrap_socket(request, server_side=True)   # the handshake runs in this thread
            super().process_request_thread(request, client_address)
        except (ssl.SSLError, OSError):
            self.handle_error(request, client_address)      # one line: the client went away
            self.shutdown_request(request)
        finally:
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-request (reset, broken pipe, timed out) is one line at
        info; anything else is a bug in a handler, logged with its traceback (socketserver would
        print either raw to stderr)."""
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):
            log.info("connection from %s: %s", client_address, exc)
        else:
            log.error("request from %s failed", client_address, exc_info=True)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host = f"[{host}]" if ":" in host else host
        return f"{'https' if self.tls else 'http'}://{host}:{port}"


class ServiceHandler(BaseHTTPRequestHandler):
    server: ServiceHTTPServer
    protocol_version = "HTTP/1.1"
    timeout = 30
    server_version = "aiops-serve"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        log.debug("%s " + format, self.address_string(), *args)

    def _send(self, code: int, body: bytes, ctype: str = "application/json", path: str = "") -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if code >= 400:
            self.send_header("Connection", "close")
            self.close_connection = True
        if code == 401:
            self.send_header("WWW-Authenticate", 'Bearer realm="aiops"')
        self.end_headers()
        self.wfile.write(body)
        self.server.metrics.inc("aiops_serve_requests_total", path=path or "other", code=str(code))

    def _json(self, code: int, doc: dict[str, Any], path: str = "") -> None:
        self._send(code, (json.dumps(doc, ensure_ascii=False) + "\n").encode("utf-8"), path=path)

    def _authorized(self) -> bool:
        token = self.server.token
        if not token:
            return True
        given = self.headers.get("Authorization", "")
        scheme, _, value = given.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            self._json(200, {"status": "ok", **self.server.health()}, path)
        elif path == "/metrics":
            if not self._authorized():
                self._json(401, {"error": "a bearer token is required"}, path)
                return
            self._send(200, self.server.metrics.render().encode(), "text/plain; version=0.0.4; charset=utf-8", path)
        else:
            self._json(404, {"error": f"no such path: {path} (POST /alerts, GET /healthz, GET /metrics)"})

    def do_POST(self) -> None:  # noqa: N802
        path = self.path.split("?", 1)[0]
        if path not in ALERT_PATHS:
            self._json(404, {"error": f"no such path: {path} (POST /alerts)"})
            return
        path = "/alerts"
        if not self._authorized():
            self._json(401, {"error": "a bearer token is required"}, path)
            return
        length = self.headers.get("Content-Length")
        if length is None or not length.strip().isdigit():
            self._json(411, {"error": "a Content-Length is required"}, path)
            return
        if int(length) > self.server.max_body:
            self._json(413, {"error": f"body of {int(length)} bytes is above serve.max_body_kb "
                                      f"({self.server.max_body // 1024} KiB)"}, path)
            return
        body = self.rfile.read(int(length))
        try:
            notification = parse_notification(body)
        except BadNotification as exc:
            self._json(400, {"error": str(exc)}, path)
            return
        self._json(200, self.server.receive(notification), path)
