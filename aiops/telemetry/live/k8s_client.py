"""The `kubernetes` client, configured read-only (imported only when a Kubernetes source runs).

`ReadOnlyApiClient` is the client's own ApiClient with one rule added at its single request
entry point (`call_api`): any method but GET is refused before a byte is sent. Redirects
are not followed (an API server has no reason to send one), and `read_capped` reads an
answer up to a decoded size.
"""

from __future__ import annotations

import json
from typing import Any

import kubernetes.client as kc
import kubernetes.config as kconfig
from urllib3.util.retry import Retry

from aiops.errors import SourceError
from aiops.telemetry.live.http import RETRY_STATUSES, WriteRefused


class ReadOnlyApiClient(kc.ApiClient):
    """An ApiClient that can only GET."""

    def call_api(self, method: str, url: str, *args: Any, **kwargs: Any):  # type: ignore[override]
        if str(method).upper() != "GET":
            raise WriteRefused(f"read-only source: refusing {str(method).upper()} {url}")
        return super().call_api(method, url, *args, **kwargs)


def configuration(options: Any, context: str | None) -> kc.Configuration:
    cfg = kc.Configuration()
    if options.in_cluster:
        kconfig.load_incluster_config(client_configuration=cfg)
    else:
        kconfig.load_kube_config(config_file=options.kubeconfig or None, context=context or None,
                                 client_configuration=cfg, persist_config=False)
    cfg.retries = Retry(total=options.retries, connect=options.retries, read=0, status=options.retries, other=0,
                        redirect=0, raise_on_redirect=False,      # a 3xx comes back as itself: "HTTP 302"
                        backoff_factor=0.5, status_forcelist=RETRY_STATUSES, allowed_methods=frozenset({"GET"}),
                        raise_on_status=False)
    return cfg


def read_only_apis(options: Any, context: str | None) -> tuple[Any, Any, Any]:
    client = ReadOnlyApiClient(configuration(options, context))
    return kc.CoreV1Api(client), kc.AppsV1Api(client), kc.VersionApi(client)


def read_capped(response: Any, limit: int, key: str) -> bytes:
    """The body of a raw (urllib3) answer, refused past `limit` decoded bytes."""
    if 300 <= int(getattr(response, "status", 200) or 200) < 400:
        response.release_conn()
        raise SourceError(f"HTTP {response.status}: the API server answered with a redirect, which is not followed")
    chunks, size = [], 0
    try:
        for chunk in response.stream(64 * 1024, decode_content=True):
            size += len(chunk)
            if size > limit:
                raise SourceError(f"an answer of the Kubernetes API is larger than {limit / 2 ** 20:.3g} MB decoded; "
                                  f"not read (raise {key} to allow more)")
            chunks.append(chunk)
    finally:
        response.release_conn()
    return b"".join(chunks)


def api_error(exc: BaseException) -> BaseException:
    """An ApiException as a one-line SourceError ("HTTP 403: pods is forbidden ..."); others unchanged."""
    if isinstance(exc, kc.ApiException):
        message = ""
        try:
            message = str(json.loads(exc.body or "{}").get("message") or "")
        except (ValueError, AttributeError):
            message = str(exc.body or "")[:160]
        text = " ".join((message or str(exc.reason or "")).split())[:200]
        return SourceError(f"HTTP {exc.status}" + (f": {text}" if text else ""))
    return exc
