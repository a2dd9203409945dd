"""No write verb is reachable from any live source: every registered kind declares only GET
endpoints, the sessions and the Kubernetes API client refuse anything else before a byte is
sent, and no source module calls a write method of any client."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import socket
import threading
from pathlib import Path

import pytest

from aiops.telemetry.live.http import READ_METHODS, WriteRefused
from aiops.telemetry.live.registry import build_source, source_kinds

WRITE_VERBS = ("POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "CONNECT", "TRACE")
LIVE_DIR = Path(importlib.import_module("aiops.telemetry.live").__file__).parent


def test_every_registered_kind_declares_only_get_endpoints():
    kinds = {k.name: k.load() for k in source_kinds()}
    assert set(kinds) >= {"prometheus", "alertmanager", "kubernetes", "loki", "jaeger", "tempo", "files"}
    for name, cls in kinds.items():
        assert cls.methods() <= {"GET"}, f"{name} declares {cls.methods()}"
        if name != "files":
            assert cls.ENDPOINTS, f"{name} declares the endpoints it calls"
        for e in cls.ENDPOINTS:
            assert e.path.startswith("/") and e.purpose, (name, e)
    assert kinds["files"].ENDPOINTS == ()
    assert READ_METHODS == frozenset({"GET"})


def test_kubernetes_access_is_list_and_get_and_never_secrets():
    from aiops.telemetry.live.k8s import KubernetesSource

    verbs = {verb for _, _, verb in KubernetesSource.KUBE_ACCESS}
    resources = {res for _, res, _ in KubernetesSource.KUBE_ACCESS}
    assert verbs <= {"get", "list"}
    assert not any("secret" in r for r in resources)
    assert not any("secret" in e.path for e in KubernetesSource.ENDPOINTS)


@pytest.fixture
def listener():
    """A bare TCP listener that counts connections: a refused write must not even connect."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.05)
    seen = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            seen.append(conn)
            conn.close()

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", seen
    stop.set()
    t.join(1)
    server.close()


@pytest.mark.parametrize("kind", ["prometheus", "alertmanager", "loki", "jaeger", "tempo"])
def test_http_sources_refuse_every_write_verb_before_connecting(kind, listener):
    url, seen = listener
    source = build_source(kind, "t", {"url": url})
    for verb in WRITE_VERBS:
        with pytest.raises(WriteRefused, match=f"refusing {verb}"):
            source.session.request(verb, url + "/api/v1/admin/tsdb/delete_series")
    if kind == "prometheus":
        with pytest.raises(WriteRefused):
            source.client._session.post(url + "/api/v1/query", data={"query": "up"})
    assert seen == [], "nothing reached the server"


def test_kubernetes_client_refuses_writes(tmp_path):
    import json

    from aiops.telemetry.live.k8s_client import ReadOnlyApiClient

    assert "call_api" in ReadOnlyApiClient.__dict__
    cfg = tmp_path / "kubeconfig"
    cfg.write_text(json.dumps({"apiVersion": "v1", "kind": "Config", "current-context": "c",
                               "clusters": [{"name": "c", "cluster": {"server": "http://127.0.0.1:9"}}],
                               "users": [{"name": "u", "user": {}}],
                               "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}]}))
    source = build_source("kubernetes", "t", {"kubeconfig": str(cfg)})
    core, apps, _ = source.apis()
    with pytest.raises(WriteRefused):
        core.create_namespaced_pod("shop", {"metadata": {"name": "x"}})
    with pytest.raises(WriteRefused):
        core.delete_namespaced_secret("x", "shop")
    with pytest.raises(WriteRefused):
        apps.patch_namespaced_deployment_scale("payment", "shop", {"spec": {"replicas": 0}})


_WRITE_CALL = ("post", "put", "patch", "delete", "head", "options")
_K8S_WRITE = ("create_", "delete_", "patch_", "replace_", "connect_")


def test_no_source_module_calls_a_write_method():
    """Static belt and braces: no write-named method (post, put, ...) called on a session,
    client or API object anywhere in the live package, no Kubernetes create_/delete_/patch_/
    replace_ call and nothing that reads a Secret."""
    offenders = []
    for path in sorted(LIVE_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                name = node.func.attr
                receiver = ast.unparse(node.func.value)
                http_like = re.search(r"session|client|requests|http|api|pool|urllib|self$", receiver, re.I)
                k8s_secret = re.match(r"(list|read|get|watch)_\w*secret", name)
                if (name in _WRITE_CALL and http_like) or name.startswith(_K8S_WRITE) or k8s_secret:
                    offenders.append(f"{path.name}:{node.lineno} .{name}()")
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.upper() in WRITE_VERBS \
                    and node.value.isupper():
                offenders.append(f"{path.name}:{node.lineno} {node.value!r}")
    assert offenders == []


def test_every_public_read_method_is_documented():
    """The read methods the tool layer will wrap exist on each kind, with docstrings or types."""
    expected = {
        "prometheus": {"query", "query_range", "series", "label_names", "label_values", "metadata", "topk"},
        "alertmanager": {"alerts", "alert_groups"},
        "kubernetes": {"pods", "events", "deployments", "replicasets", "rollout_history", "nodes", "pod_log"},
        "loki": {"query_range", "query", "labels", "label_values", "series"},
        "jaeger": {"services", "operations", "search", "trace"},
        "tempo": {"search", "trace", "tags", "tag_values"},
    }
    for kind, methods in expected.items():
        cls = next(k for k in source_kinds() if k.name == kind).load()
        for m in methods:
            fn = getattr(cls, m)
            assert callable(fn) and inspect.signature(fn).parameters, (kind, m)
