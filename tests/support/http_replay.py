"""A small local HTTP server for the live-source tests: routes answer from Python functions
(built from real telemetry, in each API's documented JSON shape), every request is recorded,
and faults can be switched on: `slow` (hold the answer until the test ends), `status`
(answer every request with that HTTP status), `truncate` (promise more bytes than sent, then
hang up), `garbage` (a 200 with a cut JSON body).

    server = ReplayServer({"/api/services": lambda req: {"data": ["a"]}})
    server.url, server.requests, server.fault = "slow"; server.close()

A route is a path with `{name}` segments; the handler gets a `Request` and returns a JSON
value, or a (status, content_type, body bytes) triple. Only GET has routes: any other verb
is recorded and answered 405, so a test can prove none was sent.
"""

from __future__ import annotations

import json
import re
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

HOLD_S = 30.0          # a `slow` answer waits at most this long for the test to end


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]                                  # names lower-cased
    params: dict[str, str] = field(default_factory=dict)     # {name} segments of the route

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default


Handler = Callable[[Request], Any]


def _compile(route: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{([a-z_]+)\\\}", r"(?P<\1>[^/]+)", re.escape(route)) + "/?$")


class ReplayServer:
    def __init__(self, routes: dict[str, Handler], tls: "ssl.SSLContext | None" = None) -> None:
        self.routes = [(route, _compile(route), fn) for route, fn in routes.items()]
        self.requests: list[Request] = []
        self.fault: str | None = None
        self.fault_paths: re.Pattern[str] | None = None     # only these paths fail (None: every path)
        self.status = 503
        self.release = threading.Event()
        self.arrived = threading.Event()                     # set when any request comes in
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = 1 << 16          # headers and body leave in one write (no delayed-ACK stalls)

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                req = Request(self.command, parts.path, parse_qs(parts.query), {k.lower(): v for k, v in self.headers.items()})
                server.requests.append(req)
                server.arrived.set()
                if self.command != "GET":
                    return self._send(405, "application/json", b'{"error": "method not allowed"}')
                faulty = server.fault and (server.fault_paths is None or server.fault_paths.search(parts.path))
                if faulty and server.fault == "slow":
                    server.release.wait(HOLD_S)
                    return self._send(503, "text/plain", b"released")
                if faulty and server.fault == "status":
                    return self._send(server.status, "application/json",
                                      json.dumps({"status": "error", "error": f"injected {server.status}"}).encode())
                for _, pattern, fn in server.routes:
                    m = pattern.match(parts.path)
                    if m:
                        req.params = m.groupdict()
                        answer = fn(req)
                        break
                else:
                    return self._send(404, "application/json", b'{"error": "not found"}')
                status, ctype, body = answer if isinstance(answer, tuple) else \
                    (200, "application/json", json.dumps(answer).encode())
                if faulty and server.fault == "truncate":
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body) + 1000))
                    self.end_headers()
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return None
                if faulty and server.fault == "garbage":
                    body = body[: max(1, len(body) // 2)]
                return self._send(status, ctype, body)

            def _send(self, status: int, ctype: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.scheme = "http"
        if tls is not None:                   # HTTPS (a failed handshake just drops that connection)
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
            self.scheme = "https"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"{self.scheme}://{host}:{port}"

    def reset(self, fault: str | None = None, status: int = 503, paths: str | None = None) -> None:
        self.release.set()                  # wake answers held by an earlier `slow` fault
        self.fault, self.status = fault, status
        self.fault_paths = re.compile(paths) if paths else None
        self.requests.clear()
        self.release.clear()
        self.arrived.clear()

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> "ReplayServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
