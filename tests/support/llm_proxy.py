"""A recording HTTP proxy between aiops and a real model server: every request passes through
unchanged and is kept with the server's answer, so a test can see what went over the wire
(the path, the body aiops sent, the status and the usage the server reported).

    proxy = RecordingProxy("http://127.0.0.1:8080")     # the real server
    proxy.start()                                       # proxy.url: point api_bases here
    ...
    proxy.exchanges        # [Exchange(method, path, request, status, response), ...]
    proxy.stop()
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Exchange:
    method: str
    path: str
    request: Any          # the JSON body aiops sent (None for a GET)
    status: int
    response: Any         # the JSON the server answered (its text when it is not JSON)

    @property
    def usage(self) -> dict[str, int]:
        return (self.response or {}).get("usage") or {} if isinstance(self.response, dict) else {}


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode("utf-8", "replace")


class RecordingProxy:
    def __init__(self, upstream: str, timeout_s: float = 600.0) -> None:
        self.upstream = upstream.rstrip("/")
        self.timeout_s = timeout_s
        self.exchanges: list[Exchange] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the proxy first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def mark(self) -> int:
        """How many exchanges so far: `proxy.since(mark)` gives the ones after it."""
        with self._lock:
            return len(self.exchanges)

    def since(self, mark: int) -> list[Exchange]:
        with self._lock:
            return list(self.exchanges[mark:])

    def start(self) -> "RecordingProxy":
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) if self.command == "POST" else None
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() in ("content-type", "authorization", "accept")}
                req = urllib.request.Request(proxy.upstream + self.path, data=body, headers=headers, method=self.command)
                try:
                    with urllib.request.urlopen(req, timeout=proxy.timeout_s) as r:
                        status, payload, ctype = r.status, r.read(), r.headers.get("Content-Type", "application/json")
                except urllib.error.HTTPError as exc:
                    status, payload, ctype = exc.code, exc.read(), exc.headers.get("Content-Type", "application/json")
                with proxy._lock:
                    proxy.exchanges.append(Exchange(self.command, self.path, _json(body or b""), status, _json(payload)))
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = _forward
            do_POST = _forward

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="llm-proxy", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
