"""Kubernetes API objects (their JSON, as the API server sends it) -> bundle records.

Pure functions, no I/O: pods -> restart / waiting / eviction events, core/v1 events ->
k8s_event records, ReplicaSets -> rollout (deploy) events with the image change, deployment
and node conditions -> warnings, container logs -> log records. Services are named from pod
names the way the bundle loader does (`service_from_pod`), so every signal agrees.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from aiops.telemetry.services import service_from_pod
from aiops.timeutil import parse_timestamp, to_rfc3339

REVISION = "deployment.kubernetes.io/revision"
_LOG_LINE = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}))\s?(.*)$")
_PROBLEM_WAITING = {"CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError",
                    "CreateContainerError", "InvalidImageName", "RunContainerError"}


def ts(value: Any) -> float | None:
    if not value:
        return None
    try:
        return parse_timestamp(value)
    except (ValueError, TypeError, OverflowError):
        return None


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


def _event(at: float, kind: str, service: str, message: str, **attrs: Any) -> dict[str, Any]:
    return {"timestamp": to_rfc3339(at), "kind": kind, "service": service, "message": message,
            "namespace": attrs.get("namespace", ""), "pod": attrs.get("pod", ""), "reason": attrs.get("reason", ""),
            "type": attrs.get("type", ""), "object": attrs.get("object", "")}


def pod_events(pods: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Restarts (with the last termination reason), problem waiting states, failed phases."""
    out = []
    for pod in pods:
        meta, status = _meta(pod), pod.get("status") or {}
        name, ns = str(meta.get("name") or ""), str(meta.get("namespace") or "")
        service = service_from_pod(name)
        for cs in (status.get("containerStatuses") or []) + (status.get("initContainerStatuses") or []):
            container = cs.get("name", "")
            restarts = int(cs.get("restartCount") or 0)
            last = (cs.get("lastState") or {}).get("terminated") or {}
            waiting = (cs.get("state") or {}).get("waiting") or {}
            finished = ts(last.get("finishedAt"))
            if restarts and finished is not None:
                reason = last.get("reason") or "Error"
                code = last.get("exitCode")
                detail = f": {' '.join(str(last['message']).split())[:200]}" if last.get("message") else ""
                out.append(_event(finished, "restart", service,
                                  f"container {container} of pod {name} restarted ({restarts} restarts); last "
                                  f"terminated {reason} (exit code {code}){detail}",
                                  namespace=ns, pod=name, reason=reason, type="Warning", object=f"pod/{name}"))
            if waiting.get("reason") in _PROBLEM_WAITING:
                at = finished or ts(status.get("startTime"))
                if at is not None:
                    out.append(_event(at, "k8s_event", service,
                                      f"container {container} of pod {name} is waiting: {waiting['reason']}"
                                      + (f": {waiting['message']}" if waiting.get("message") else ""),
                                      namespace=ns, pod=name, reason=waiting["reason"], type="Warning",
                                      object=f"pod/{name}"))
        if status.get("phase") in ("Failed", "Unknown") and status.get("reason"):
            at = max([t for c in status.get("conditions") or [] if (t := ts(c.get("lastTransitionTime")))]
                     or [ts(status.get("startTime")) or 0.0])
            if at:
                out.append(_event(at, "k8s_event", service, f"pod {name} {status['phase']}: {status['reason']}"
                                  + (f": {status['message']}" if status.get("message") else ""),
                                  namespace=ns, pod=name, reason=status["reason"], type="Warning", object=f"pod/{name}"))
    return out


def _object_service(obj: dict[str, Any]) -> str:
    kind, name = obj.get("kind", ""), str(obj.get("name") or "")
    if kind == "Pod":
        return service_from_pod(name)
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "Service", "HorizontalPodAutoscaler"):
        return name
    if kind == "ReplicaSet":
        return re.sub(r"-[bcdfghjklmnpqrstvwxz2456789]{6,10}$", "", name)
    return ""


def cluster_events(events: Iterable[dict[str, Any]], since: float) -> list[dict[str, Any]]:
    """core/v1 Events; a repeated event counts from its first time if that is after `since`."""
    out = []
    for ev in events:
        obj = ev.get("involvedObject") or ev.get("regarding") or {}
        first = ts(ev.get("firstTimestamp")) or ts(ev.get("eventTime")) or ts(_meta(ev).get("creationTimestamp"))
        last = ts(ev.get("lastTimestamp")) or ts((ev.get("series") or {}).get("lastObservedTime")) or first
        if first is None and last is None:
            continue
        at = first if first is not None and first >= since else (last or first)
        count = int(ev.get("count") or (ev.get("series") or {}).get("count") or 1)
        name = str(obj.get("name") or "")
        message = " ".join(str(ev.get("message") or ev.get("note") or "").split())
        text = f"{obj.get('kind', '')}/{name} {ev.get('reason', '')}: {message}" + (f" (x{count})" if count > 1 else "")
        out.append(_event(at, "k8s_event", _object_service(obj), text, namespace=obj.get("namespace", ""),
                          pod=name if obj.get("kind") == "Pod" else "", reason=ev.get("reason", ""),
                          type=ev.get("type", ""), object=f"{str(obj.get('kind', '')).lower()}/{name}"))
    return out


def _images(template: dict[str, Any]) -> str:
    containers = ((template.get("spec") or {}).get("containers")) or []
    return ", ".join(str(c.get("image", "")) for c in containers)


def rollout_history(deployment: str, replicasets: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The deployment's revisions, oldest first: revision, created (unix s), images, replicas, name."""
    revs = []
    for rs in replicasets:
        meta = _meta(rs)
        owners = [o for o in meta.get("ownerReferences") or [] if o.get("kind") == "Deployment"]
        if not owners or owners[0].get("name") != deployment:
            continue
        try:
            revision = int((meta.get("annotations") or {}).get(REVISION, "0"))
        except ValueError:
            revision = 0
        revs.append({"revision": revision, "created": ts(meta.get("creationTimestamp")), "name": meta.get("name", ""),
                     "images": _images((rs.get("spec") or {}).get("template") or {}),
                     "replicas": int((rs.get("status") or {}).get("replicas") or 0)})
    return sorted(revs, key=lambda r: r["revision"])


def rollout_events(deployments: Iterable[dict[str, Any]], replicasets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A deploy event per revision (its ReplicaSet's creation), plus failing deployment conditions."""
    out = []
    for dep in deployments:
        meta = _meta(dep)
        name, ns = str(meta.get("name") or ""), str(meta.get("namespace") or "")
        history = rollout_history(name, [rs for rs in replicasets if _meta(rs).get("namespace", ns) == ns])
        for prev, rev in zip([None] + history[:-1], history):
            if rev["created"] is None:
                continue
            change = f"image {rev['images']}" + (f" (was {prev['images']})" if prev and prev["images"] != rev["images"] else "")
            out.append(_event(rev["created"], "deploy", name,
                              f"deployment/{name} rolled out revision {rev['revision']}: {change}",
                              namespace=ns, reason="ScalingReplicaSet", type="Normal", object=f"deployment/{name}"))
        for cond in (dep.get("status") or {}).get("conditions") or []:
            if cond.get("type") in ("Available", "Progressing") and cond.get("status") == "False":
                at = ts(cond.get("lastTransitionTime")) or ts(cond.get("lastUpdateTime"))
                if at is not None:
                    out.append(_event(at, "k8s_event", name,
                                      f"deployment/{name} not {cond['type'].lower()}: {cond.get('reason', '')}: "
                                      f"{cond.get('message', '')}", namespace=ns, reason=cond.get("reason", ""),
                                      type="Warning", object=f"deployment/{name}"))
    return out


def node_events(nodes: Iterable[dict[str, Any]], pods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Node trouble (not Ready, memory/disk/PID pressure), once per service with a pod on the node."""
    on_node: dict[str, set[str]] = {}
    for pod in pods:
        node = (pod.get("spec") or {}).get("nodeName")
        if node:
            on_node.setdefault(node, set()).add(service_from_pod(_meta(pod).get("name", "")))
    out = []
    for node in nodes:
        name = str(_meta(node).get("name") or "")
        for cond in (node.get("status") or {}).get("conditions") or []:
            kind, status = cond.get("type", ""), cond.get("status", "")
            bad = (kind == "Ready" and status != "True") or (kind != "Ready" and status == "True")
            at = ts(cond.get("lastTransitionTime"))
            if not bad or at is None:
                continue
            what = "is NotReady" if kind == "Ready" else f"has {kind}"
            text = f"node {name} {what} since {to_rfc3339(at)}: {cond.get('reason', '')}: {cond.get('message', '')}"
            for service in sorted(on_node.get(name, set())) or [""]:
                out.append(_event(at, "node", service, text, reason=cond.get("reason", ""), type="Warning",
                                  object=f"node/{name}"))
    return out


def log_records(text: str, pod: str, namespace: str, container: str, previous: bool) -> list[dict[str, Any]]:
    """Lines of a container log fetched with timestamps=true ("<RFC 3339> <line>")."""
    out = []
    service = service_from_pod(pod)
    for line in text.splitlines():
        m = _LOG_LINE.match(line)
        if not m:
            if out:                                 # a line without a time continues the one above
                out[-1]["message"] += "\n" + line
            continue
        out.append({"timestamp": m.group(1), "service": service, "pod": pod, "level": "", "message": m.group(2),
                    "namespace": namespace, "container": container, "previous": previous})
    return out
