"""Read-only HTTP for live sources: one session type that can only GET, auth from env var
names, TLS options, per-request timeouts, retries on connection errors and 5xx, and one-line
descriptions of every way a request fails ("timed out after 5 s", "HTTP 503", ...).

Every API the live sources read has a GET form (Prometheus, Alertmanager v2, Loki, Jaeger,
Tempo), so GET is the only verb: a write cannot be sent even by mistake. An answer is read
as a stream and refused once its *decoded* size passes the source's `max_response_mb` (a
1 MB gzip bomb would otherwise be gigabytes), and a redirect is followed only within the
origin (scheme, host, port) of the request: a source answering 302 to another host (a
cloud metadata address, say) gets a one-line error, not a request carrying its credentials.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, Mapping
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from aiops.errors import AiopsError, ConfigError, SourceError, one_line
from aiops.telemetry.live.options import HttpOptions

READ_METHODS = frozenset({"GET"})
RETRY_STATUSES = (500, 502, 503, 504)
MAX_REDIRECTS = 5
_CHUNK = 64 * 1024


class WriteRefused(RuntimeError):
    """A source tried a write verb: a bug, never an expected failure."""


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port filled in."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or {"http": 80, "https": 443}.get(scheme)


class ReadOnlySession(requests.Session):
    """A requests session that refuses every method but GET (before any I/O), reads answers
    up to `max_response_bytes` decoded, and follows redirects only within the origin."""

    max_response_bytes: int = 64 * 1024 * 1024
    limit_key: str = "max_response_mb"          # the config key named when the cap is hit
    max_redirects = MAX_REDIRECTS

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if str(method).upper() not in READ_METHODS:
            raise WriteRefused(f"read-only source: refusing {str(method).upper()} {url}")
        # requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a session's CA unless the
        # request names it: the configured tls_ca_file (or skip-verify) must win.
        kwargs.setdefault("verify", self.verify)
        kwargs["stream"] = True                 # the body is read below, counted as it is decoded
        response = super().request(method, url, *args, **kwargs)
        read_capped(response, self.max_response_bytes, self.limit_key)
        return response

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        target = super().get_redirect_target(resp)
        if target is not None and origin(urljoin(resp.url, target)) != origin(resp.url):
            here, there = origin(resp.url), origin(urljoin(resp.url, target))
            resp.close()
            raise SourceError(f"refused a redirect from {here[0]}://{here[1]}:{here[2]} to another origin "
                              f"({there[0]}://{there[1]}:{there[2]}): redirects are followed within the source's "
                              "own scheme, host and port only")
        return target


def read_capped(response: requests.Response, limit: int, key: str = "max_response_mb") -> None:
    """Read the body of a streamed response into it, refusing it past `limit` decoded bytes."""
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_content(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise SourceError(f"the answer of {_path(response.url)} is larger than {limit / 2 ** 20:.3g} MB "
                                  f"decoded; not read (raise {key} to allow more)")
            chunks.append(chunk)
    except BaseException:
        response.close()
        raise
    response._content = b"".join(chunks)     # what .content, .text and .json() read
    response._content_consumed = True


def secret_from_env(var: str, key: str, where: str, env: Mapping[str, str] | None = None) -> str:
    """The secret held by environment variable `var` (named by config key `key`)."""
    env = os.environ if env is None else env
    value = env.get(var, "")
    if not value:
        raise ConfigError(f"{where}: {key} = {var!r}: environment variable {var} is not set")
    return value


def auth_headers(opts: HttpOptions, key: str, where: str, env: Mapping[str, str] | None = None) -> dict[str, str]:
    headers = {str(k): str(v) for k, v in opts.headers.items()}
    if opts.bearer_token_env:
        token = secret_from_env(opts.bearer_token_env, f"{key}.bearer_token_env", where, env)
        headers["Authorization"] = f"Bearer {token}"
    return headers


def basic_auth(opts: HttpOptions, key: str, where: str, env: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    if not opts.username:
        return None
    password = secret_from_env(opts.password_env, f"{key}.password_env", where, env) if opts.password_env else ""
    return opts.username, password


def retry_policy(retries: int, backoff_s: float) -> Retry:
    """Retry connection failures and 5xx answers of GETs; a read timeout is not retried."""
    return Retry(total=retries, connect=retries, read=0, status=retries, other=0, backoff_factor=backoff_s,
                 status_forcelist=RETRY_STATUSES, allowed_methods=READ_METHODS, raise_on_status=True,
                 respect_retry_after_header=False)


def build_session(opts: HttpOptions, key: str, where: str, env: Mapping[str, str] | None = None) -> ReadOnlySession:
    """A read-only session with the source's auth, TLS options and retry policy."""
    session = ReadOnlySession()
    session.max_response_bytes = round(opts.max_response_mb * 1024 * 1024)
    session.limit_key = f"{key}.max_response_mb"
    session.headers.update(auth_headers(opts, key, where, env))
    session.auth = basic_auth(opts, key, where, env)
    if opts.tls_insecure_skip_verify:
        import urllib3

        session.verify = False
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)   # asked for: no warning per request
    elif opts.tls_ca_file:
        session.verify = os.path.expanduser(opts.tls_ca_file)
    if opts.tls_cert_file:
        cert = os.path.expanduser(opts.tls_cert_file)
        session.cert = (cert, os.path.expanduser(opts.tls_key_file)) if opts.tls_key_file else cert
    adapter = HTTPAdapter(max_retries=retry_policy(opts.retries, opts.backoff_s))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def get_json(session: requests.Session, url: str, params: Mapping[str, Any] | None, timeout_s: float,
             headers: Mapping[str, str] | None = None) -> Any:
    """GET a JSON document; SourceError (one line) for any HTTP status but 200 or bad JSON."""
    response = session.get(url, params=params, timeout=timeout_s, headers=dict(headers or {}))
    return json_body(response)


def get_text(session: requests.Session, url: str, timeout_s: float) -> str:
    """GET a short text answer (readiness endpoints); SourceError for any status but 200."""
    response = session.get(url, timeout=timeout_s)
    if response.status_code != 200:
        raise SourceError(f"HTTP {response.status_code}{_reason(response)}")
    return response.text


def json_body(response: requests.Response) -> Any:
    if response.status_code != 200:
        raise SourceError(f"HTTP {response.status_code}{_reason(response)}")
    try:
        return response.json()
    except RecursionError:
        raise SourceError(f"JSON nested too deeply to read in the response of {_path(response.url)}") from None
    except ValueError as exc:
        raise SourceError(f"malformed or truncated JSON in the response of {_path(response.url)}: "
                          f"{one_line(exc)[:120]}") from None


def _path(url: str) -> str:
    return re.sub(r"^[a-z]+://[^/]+", "", url).split("?")[0] or "/"


def _reason(response: requests.Response) -> str:
    text = (response.text or "").strip()
    try:
        doc = json.loads(text)
        if isinstance(doc, dict):
            text = str(doc.get("error") or doc.get("message") or doc.get("errors") or text)
    except (ValueError, RecursionError):
        pass
    text = " ".join(text.split())[:160]
    return f": {text}" if text else ""


_CLIENT_STATUS = re.compile(r"HTTP Status Code (\d{3}) \((.*)\)$", re.S)   # prometheus-api-client
_TIMEOUT = re.compile(r"timed? ?out|ReadTimeout|ConnectTimeout|TimeoutError", re.I)
_TOO_MANY = re.compile(r"too many (\d{3}) error responses")


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or any(e is s for s in seen) or len(seen) > 20:
            continue
        seen.append(e)
        todo += [e.__cause__, e.__context__, getattr(e, "reason", None) if isinstance(getattr(e, "reason", None), BaseException) else None]
        todo += [a for a in getattr(e, "args", ()) if isinstance(a, BaseException)]
    return seen


def describe_error(exc: BaseException, timeout_s: float, url: str = "") -> str:
    """One line for an expected failure of a request: timeout, refused, HTTP status, ..."""
    if isinstance(exc, AiopsError):
        return exc.message
    if m := _CLIENT_STATUS.search(str(exc)):
        body = " ".join(m.group(2).strip("b'\"").split())[:160]
        return f"HTTP {m.group(1)}" + (f": {body}" if body else "")
    chain = _chain(exc)
    text = " ".join(one_line(e) + " " + type(e).__name__ for e in chain)
    if m := _TOO_MANY.search(text):
        return f"HTTP {m.group(1)} (still failing after retries)"
    if _TIMEOUT.search(text):
        return f"timed out after {timeout_s:g} s"
    where = f" {url}" if url else ""
    if re.search(r"Connection refused|ConnectionRefused|Errno 111", text):
        return f"cannot connect to{where} (connection refused)"
    if re.search(r"Name or service not known|nodename nor servname|getaddrinfo|NameResolution", text):
        return f"cannot resolve the host of{where}"
    if re.search(r"SSLError|CERTIFICATE_VERIFY_FAILED|certificate", text):
        return f"TLS error talking to{where}: {one_line(exc)[:160]}"
    if re.search(r"RemoteDisconnected|Connection aborted|ConnectionReset|IncompleteRead|ProtocolError|ChunkedEncoding", text):
        return f"the connection to{where} broke off mid-response"
    if isinstance(exc, (requests.ConnectionError,)):
        return f"cannot connect to{where}: {one_line(exc)[:160]}"
    if isinstance(exc, (ValueError, KeyError, TypeError)):      # incl. requests' JSONDecodeError
        return f"malformed or truncated answer from{where}: {type(exc).__name__}: {one_line(exc)[:120]}"
    return f"{type(exc).__name__}: {one_line(exc)[:200]}"
