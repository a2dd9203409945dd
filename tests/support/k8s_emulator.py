"""A local Kubernetes API emulator for the live-source tests: serves the API server's own
JSON shapes (PodList, EventList, DeploymentList, ReplicaSetList, NodeList, Status, /version,
container logs as text) over HTTP, with `limit`/`continue` paging, `previous=true`,
`timestamps=true`, `tailLines` and `sinceSeconds` on logs. Every request is recorded, so a
test can show what the client asked for (and that it never touched a Secret).

    cluster = crashloop_cluster(now)               # a namespace where one service crash-loops
    with KubeEmulator(cluster) as api:
        api.write_kubeconfig(path)                 # points the real client at http://127.0.0.1:PORT
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from http_replay import ReplayServer


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_nano(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


@dataclass
class Cluster:
    pods: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    deployments: list[dict] = field(default_factory=list)
    replicasets: list[dict] = field(default_factory=list)
    nodes: list[dict] = field(default_factory=list)
    secrets: list[dict] = field(default_factory=list)
    logs: dict[tuple[str, str, bool], list[tuple[float, str]]] = field(default_factory=dict)  # (pod, container, previous)


class KubeEmulator(ReplayServer):
    def __init__(self, cluster: Cluster, page_size: int = 3) -> None:
        self.cluster = cluster
        self.page_size = page_size          # the server may return fewer items than `limit` (paging)
        core, ns_core, apps, ns_apps = "/api/v1", "/api/v1/namespaces/{namespace}", "/apis/apps/v1", \
            "/apis/apps/v1/namespaces/{namespace}"
        routes = {"/version": lambda req: {"major": "1", "minor": "29", "gitVersion": "v1.29.4-emulator",
                                           "platform": "linux/amd64"}}
        for kind, items, api_version in (("Pod", "pods", "v1"), ("Event", "events", "v1"), ("Secret", "secrets", "v1")):
            routes[f"{core}/{items}"] = self._lister(kind, items, api_version)
            routes[f"{ns_core}/{items}"] = self._lister(kind, items, api_version)
        for kind, items in (("Deployment", "deployments"), ("ReplicaSet", "replicasets")):
            routes[f"{apps}/{items}"] = self._lister(kind, items, "apps/v1")
            routes[f"{ns_apps}/{items}"] = self._lister(kind, items, "apps/v1")
        routes[f"{core}/nodes"] = self._lister("Node", "nodes", "v1")
        routes[f"{ns_core}/pods/{{name}}/log"] = self._log
        super().__init__(routes)

    # -- handlers -----------------------------------------------------------------------
    def _lister(self, kind: str, attr: str, api_version: str):
        def handler(req) -> Any:
            ns = req.params.get("namespace")
            items = [o for o in getattr(self.cluster, attr) if ns is None or o["metadata"].get("namespace") == ns]
            start = int(req.arg("continue", "0") or 0)
            limit = int(req.arg("limit", "0") or 0)
            size = min(limit, self.page_size) if limit else len(items)
            page = items[start:start + size]
            meta: dict[str, Any] = {"resourceVersion": "4242"}
            if limit and start + size < len(items):
                meta["continue"] = str(start + size)
            return {"kind": f"{kind}List", "apiVersion": api_version, "metadata": meta, "items": page}
        return handler

    def _log(self, req) -> Any:
        ns, pod = req.params["namespace"], req.params["name"]
        found = [p for p in self.cluster.pods if p["metadata"]["name"] == pod and p["metadata"]["namespace"] == ns]
        if not found:
            return _status(404, "NotFound", f'pods "{pod}" not found')
        container = req.arg("container") or found[0]["spec"]["containers"][0]["name"]
        previous = req.arg("previous") == "true"
        lines = self.cluster.logs.get((pod, container, previous))
        if lines is None:
            what = "previous terminated container" if previous else "container"
            return _status(400, "BadRequest", f'{what} "{container}" in pod "{pod}" not found')
        if req.arg("sinceSeconds"):
            import time

            lines = [ln for ln in lines if ln[0] >= time.time() - int(req.arg("sinceSeconds"))]
        if req.arg("tailLines"):
            lines = lines[-int(req.arg("tailLines")):]
        stamp = req.arg("timestamps") == "true"
        text = "".join((f"{iso_nano(t)} " if stamp else "") + line + "\n" for t, line in lines)
        return 200, "text/plain", text.encode()

    # -- client side --------------------------------------------------------------------
    def write_kubeconfig(self, path: Path, context: str = "emulator", namespace: str = "default") -> Path:
        """A kubeconfig whose context points the real client at this emulator (token auth)."""
        doc = {"apiVersion": "v1", "kind": "Config", "current-context": context,
               "clusters": [{"name": "emu", "cluster": {"server": self.url}}],
               "users": [{"name": "reader", "user": {"token": "emulator-token"}}],
               "contexts": [{"name": context, "context": {"cluster": "emu", "user": "reader", "namespace": namespace}}]}
        path.write_text(json.dumps(doc))
        return path

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]


def _status(code: int, reason: str, message: str) -> tuple[int, str, bytes]:
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason, "code": code}
    return code, "application/json", json.dumps(body).encode()


# -- a cluster state ------------------------------------------------------------------------
_HASHES = {"frontend": "7d9fbc4c6b", "cart": "5c8d7b9f4d", "checkout": "6b7c9d8f5b", "payment": "84f6c9b7d5",
           "payment-old": "7f5c6d8b9c"}


def _pod(name: str, service: str, node: str, started: float, restarts: int = 0, last: dict | None = None,
         waiting: str | None = None, image: str = "") -> dict:
    state = {"waiting": {"reason": waiting, "message": "back-off 5m0s restarting failed container"}} if waiting else \
        {"running": {"startedAt": iso(started)}}
    status = {"name": service, "ready": waiting is None, "restartCount": restarts, "image": image,
              "imageID": "", "containerID": "containerd://abc", "started": waiting is None, "state": state,
              "lastState": {"terminated": last} if last else {}}
    return {"metadata": {"name": name, "namespace": "shop", "uid": f"uid-{name}",
                         "labels": {"app.kubernetes.io/name": service},
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": name.rsplit("-", 1)[0],
                                              "uid": "rs", "controller": True}],
                         "creationTimestamp": iso(started)},
            "spec": {"nodeName": node, "containers": [{"name": service, "image": image}]},
            "status": {"phase": "Running", "hostIP": "10.0.0.1", "podIP": "10.244.1.5", "startTime": iso(started),
                       "conditions": [{"type": "Ready", "status": "True" if waiting is None else "False",
                                       "lastTransitionTime": iso(started)}],
                       "containerStatuses": [status]}}


def _event(name: str, obj_kind: str, obj_name: str, reason: str, message: str, first: float, last: float,
           count: int = 1, type_: str = "Normal") -> dict:
    return {"metadata": {"name": name, "namespace": "shop", "creationTimestamp": iso(first)},
            "involvedObject": {"kind": obj_kind, "namespace": "shop", "name": obj_name, "apiVersion": "v1"},
            "reason": reason, "message": message, "source": {"component": "kubelet"},
            "firstTimestamp": iso(first), "lastTimestamp": iso(last), "count": count, "type": type_,
            "eventTime": None, "reportingComponent": "kubelet", "reportingInstance": ""}


def _deployment(name: str, created: float, image: str, available: bool = True) -> dict:
    cond = [{"type": "Available", "status": "True" if available else "False",
             "reason": "MinimumReplicasAvailable" if available else "MinimumReplicasUnavailable",
             "message": "Deployment has minimum availability." if available else "Deployment does not have minimum availability.",
             "lastTransitionTime": iso(created), "lastUpdateTime": iso(created)}]
    return {"metadata": {"name": name, "namespace": "shop", "creationTimestamp": iso(created),
                         "annotations": {"deployment.kubernetes.io/revision": "1"}},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": name, "image": image}]}}},
            "status": {"replicas": 2, "availableReplicas": 2 if available else 1, "conditions": cond}}


def _replicaset(deployment: str, hash_: str, revision: int, created: float, image: str, replicas: int) -> dict:
    return {"metadata": {"name": f"{deployment}-{hash_}", "namespace": "shop", "creationTimestamp": iso(created),
                         "annotations": {"deployment.kubernetes.io/revision": str(revision)},
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": deployment,
                                              "uid": f"uid-{deployment}", "controller": True}]},
            "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"name": deployment, "image": image}]}}},
            "status": {"replicas": replicas}}


def _node(name: str, ready: bool = True, pressure: str | None = None, since: float = 0.0) -> dict:
    conds = [{"type": t, "status": "True" if t == pressure else "False", "reason": f"Kubelet{'Has' if t == pressure else 'HasNo'}{t}",
              "message": f"kubelet has {'' if t == pressure else 'no '}{t}", "lastTransitionTime": iso(since)}
             for t in ("MemoryPressure", "DiskPressure", "PIDPressure")]
    conds.append({"type": "Ready", "status": "True" if ready else "False", "reason": "KubeletReady" if ready else "KubeletNotReady",
                  "message": "kubelet is posting ready status", "lastTransitionTime": iso(since)})
    return {"metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
            "status": {"conditions": conds, "nodeInfo": {"kubeletVersion": "v1.29.4"}}}


def crashloop_cluster(now: float) -> Cluster:
    """Namespace `shop`: payment rolled out v2.4.0 twenty minutes ago and now crash-loops
    (OOMKilled, then a panic); the others run normally, one restarted long ago."""
    c = Cluster()
    day = 86400.0
    svc_pods = {
        "frontend": [("frontend-7d9fbc4c6b-x2k8p", "node-a"), ("frontend-7d9fbc4c6b-q9w4z", "node-b")],
        "cart": [("cart-5c8d7b9f4d-h7j2m", "node-a")],
        "checkout": [("checkout-6b7c9d8f5b-t5r8n", "node-b")],
        "payment": [("payment-84f6c9b7d5-b6v9x", "node-b"), ("payment-84f6c9b7d5-m2n4p", "node-a")],
    }
    rollout = now - 20 * 60
    for svc, pods in svc_pods.items():
        image = f"registry.example.com/shop/{svc}:{'v2.4.0' if svc == 'payment' else 'v1.8.2'}"
        c.deployments.append(_deployment(svc, now - 30 * day, image, available=svc != "payment"))
        c.replicasets.append(_replicaset(svc, _HASHES["payment-old" if svc == "payment" else svc], 1, now - 30 * day,
                                         image if svc != "payment" else
                                         "registry.example.com/shop/payment:v2.3.1", 0 if svc == "payment" else len(pods)))
        for name, node in pods:
            if svc == "payment":
                last = {"exitCode": 137, "reason": "OOMKilled", "startedAt": iso(now - 5 * 60),
                        "finishedAt": iso(now - 4 * 60), "containerID": "containerd://dead"}
                c.pods.append(_pod(name, svc, node, rollout + 30, restarts=6, last=last, waiting="CrashLoopBackOff",
                                   image=image))
            elif name.startswith("cart"):
                last = {"exitCode": 1, "reason": "Error", "startedAt": iso(now - 9 * day), "finishedAt": iso(now - 8 * day)}
                c.pods.append(_pod(name, svc, node, now - 8 * day, restarts=1, last=last, image=image))
            else:
                c.pods.append(_pod(name, svc, node, now - 10 * day, image=image))
    c.replicasets.append(_replicaset("payment", _HASHES["payment"], 2, rollout,
                                     "registry.example.com/shop/payment:v2.4.0", 2))
    c.nodes = [_node("node-a", since=now - 40 * day), _node("node-b", since=now - 40 * day)]
    c.secrets = [{"metadata": {"name": "payment-db", "namespace": "shop"}, "data": {"password": "c2VjcmV0"}}]
    c.events = [
        _event("ev1", "Deployment", "payment", "ScalingReplicaSet", "Scaled up replica set payment-84f6c9b7d5 to 2",
               rollout, rollout),
        _event("ev2", "Pod", "payment-84f6c9b7d5-b6v9x", "BackOff", "Back-off restarting failed container payment "
               "in pod payment-84f6c9b7d5-b6v9x", now - 15 * 60, now - 60, count=24, type_="Warning"),
        _event("ev3", "Pod", "payment-84f6c9b7d5-m2n4p", "Killing", "Container payment failed liveness probe, will be "
               "restarted", now - 14 * 60, now - 2 * 60, count=5, type_="Warning"),
        _event("ev4", "Pod", "frontend-7d9fbc4c6b-x2k8p", "Pulled", "Container image already present on machine",
               now - 10 * day, now - 10 * day),
        _event("ev5", "Pod", "checkout-6b7c9d8f5b-t5r8n", "Unhealthy", "Readiness probe failed: HTTP probe failed "
               "with statuscode: 503", now - 9 * 60, now - 9 * 60, type_="Warning"),
    ]
    t0 = now - 25 * 60
    for svc, pods in svc_pods.items():
        for name, _ in pods:
            lines = []
            for i in range(150):
                t = t0 + i * 10
                if svc == "payment" and t > rollout:
                    continue
                lines.append((t, f"level=info msg=\"request served\" path=/api/{svc} status=200 took_ms={8 + i % 5}"))
            if svc == "checkout":
                lines += [(now - 9 * 60 + k, "level=warn msg=\"payment call failed, retrying\" err=\"connection refused\"")
                          for k in range(0, 300, 20)]
                lines.sort()
            c.logs[(name, svc, False)] = lines
            if svc == "payment":
                c.logs[(name, svc, False)] = [(now - 60, "level=info msg=\"starting payment v2.4.0\"")]
                c.logs[(name, svc, True)] = [
                    (now - 5 * 60, "level=info msg=\"starting payment v2.4.0\""),
                    (now - 5 * 60 + 2, "level=info msg=\"loading fraud model\" size_mb=900"),
                    (now - 4 * 60 - 1, "level=error msg=\"fatal error: runtime: out of memory\""),
                ]
    return c
