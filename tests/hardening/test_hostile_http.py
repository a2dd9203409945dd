"""Live sources against a hostile HTTP server: a compression bomb stops at the source's decoded
size cap (read as a stream, never held whole), and a redirect to another origin is refused
before anything is sent there; a redirect within the origin is still followed."""

from __future__ import annotations

import gzip
import threading
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from aiops.errors import SourceError
from aiops.telemetry.live.http import build_session, get_json
from aiops.telemetry.live.options import parse_options
from aiops.telemetry.live.prometheus import PrometheusOptions

BOMB_MB = 200
BOMB = gzip.compress(b"[" + b"0," * (BOMB_MB * 2 ** 19) + b"0]", compresslevel=9)   # ~200 MB of JSON, ~0.2 MB sent


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:  # noqa: ANN001
        """The client stops reading a bomb on purpose: its reset is expected, not a traceback."""


class Hostile:
    """A server answering by path; every request is recorded with its headers."""

    def __init__(self, routes: dict) -> None:
        self.requests: list[tuple[str, dict]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # noqa: ANN002
                pass

            def do_GET(self) -> None:  # noqa: N802
                outer.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                status, headers, body = routes.get(self.path.split("?")[0], (404, {}, b"{}"))
                self.send_response(status)
                for k, v in (headers | {"Content-Length": str(len(body))}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers():
    elsewhere = Hostile({"/latest/meta-data/iam": (200, {"Content-Type": "application/json"}, b'{"secret": "x"}')})
    source = Hostile({
        "/api/v1/bomb": (200, {"Content-Type": "application/json", "Content-Encoding": "gzip"}, BOMB),
        "/api/v1/away": (302, {"Location": f"{elsewhere.url}/latest/meta-data/iam"}, b""),
        "/api/v1/old": (301, {"Location": "/api/v1/new"}, b""),
        "/api/v1/new": (200, {"Content-Type": "application/json"}, b'{"status": "success", "data": []}'),
    })
    yield source, elsewhere
    source.close()
    elsewhere.close()


def _session(url: str, **extra):
    opts = parse_options(PrometheusOptions, {"url": url, "bearer_token_env": "PROM_TOKEN", **extra},
                         "sources.prometheus.main", "config.toml")
    return build_session(opts, "sources.prometheus.main", "config.toml", env={"PROM_TOKEN": "tok-123"})


def test_a_compression_bomb_stops_at_the_default_cap_without_being_held(servers):
    source, _ = servers
    session = _session(source.url)
    tracemalloc.start()
    try:
        with pytest.raises(SourceError) as caught:
            get_json(session, source.url + "/api/v1/bomb", None, 30)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(caught.value) == ("the answer of /api/v1/bomb is larger than 64 MB decoded; not read "
                                 "(raise sources.prometheus.main.max_response_mb to allow more)")
    assert peak < 100 * 2 ** 20, f"peak {peak / 2 ** 20:.0f} MB"        # never the 200 MB answer


def test_the_cap_is_the_sources_max_response_mb(servers):
    source, _ = servers
    with pytest.raises(SourceError, match=r"larger than 1 MB decoded"):
        get_json(_session(source.url, max_response_mb=1), source.url + "/api/v1/bomb", None, 30)
    assert get_json(_session(source.url, max_response_mb=1), source.url + "/api/v1/new", None, 30)["status"] == "success"


def test_a_redirect_to_another_origin_is_refused_and_nothing_is_sent_there(servers):
    source, elsewhere = servers
    with pytest.raises(SourceError) as caught:
        get_json(_session(source.url), source.url + "/api/v1/away", None, 5)
    assert "refused a redirect" in str(caught.value) and "to another origin (http://127.0.0.1:" in str(caught.value)
    assert elsewhere.requests == []
    assert [p for p, _ in source.requests] == ["/api/v1/away"]


def test_a_redirect_within_the_origin_is_followed_with_the_credentials(servers):
    source, _ = servers
    doc = get_json(_session(source.url), source.url + "/api/v1/old", None, 5)
    assert doc == {"status": "success", "data": []}
    assert [p for p, _ in source.requests] == ["/api/v1/old", "/api/v1/new"]
    assert source.requests[-1][1]["authorization"] == "Bearer tok-123"
