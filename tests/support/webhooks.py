"""Alertmanager webhook notifications as Alertmanager sends them, and a local HTTP receiver
standing in for Slack or a JSON webhook (the `aiops serve` tests)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def notification(group: str, *alerts: dict, status: str = "firing") -> dict:
    return {"version": "4", "groupKey": group, "status": status, "receiver": "aiops", "groupLabels": {},
            "commonLabels": {}, "externalURL": "http://am.example",
            "alerts": [{"status": a.get("status", status), "labels": a["labels"], "annotations": a.get("annotations", {}),
                        "startsAt": "2024-05-01T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
                        "generatorURL": "http://prom.example/graph?g0.expr=up", "fingerprint": a.get("fingerprint", "")}
                       for a in alerts]}


def alert(name: str, service: str = "checkout", **extra: str) -> dict:
    return {"labels": {"alertname": name, "service": service, **extra}, "annotations": {"summary": f"{name} on {service}"}}


class Receiver:
    """A local HTTP server that records JSON posts; `fail_first` answers the first N with `code`."""

    def __init__(self, fail_first: int = 0, code: int = 503) -> None:
        self.posts: list[dict] = []
        self.headers: list[dict] = []
        self.fail_first, self.code = fail_first, code
        self.got = threading.Condition()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with owner.got:
                    if owner.fail_first > 0:
                        owner.fail_first -= 1
                        self.send_response(owner.code)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    owner.posts.append(json.loads(body))
                    owner.headers.append(dict(self.headers))
                    owner.got.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, n: int, timeout_s: float = 30.0) -> list[dict]:
        with self.got:
            self.got.wait_for(lambda: len(self.posts) >= n, timeout=timeout_s)
            return list(self.posts)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
