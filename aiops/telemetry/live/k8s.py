"""Kubernetes through the official `kubernetes` client, read-only.

Reads pods (phase, restarts, last termination reason), core/v1 events, deployments and
their ReplicaSets (rollout history), nodes and their conditions, and container logs
(the previous container's too, where it restarted). The API client is configured from a
kubeconfig (`kubeconfig`, `context`; or in-cluster) and refuses every verb but GET before
any I/O; the paths it can request are `ENDPOINTS`, the RBAC rules it needs `KUBE_ACCESS`.
Secrets are never listed or read: no code path asks for them.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from aiops.domain import TimeWindow
from aiops.errors import ConfigError, SourceError, one_line
from aiops.telemetry.live import k8s_records as rec
from aiops.telemetry.live.base import Endpoint, FetchScope, LiveSource
from aiops.telemetry.live.ingest import EVENTS_LOOKBACK_S
from aiops.telemetry.live.result import FetchResult, Health, error_result

_NS = "/api/v1/namespaces/{namespace}"
_APPS = "/apis/apps/v1"


@dataclass
class KubernetesOptions:
    kubeconfig: str = ""              # "" = $KUBECONFIG, then ~/.kube/config (the client's own rule)
    context: str = ""                 # "" = the kubeconfig's current context (--context wins)
    in_cluster: bool = False          # use the pod's service account instead of a kubeconfig
    namespace: str = ""               # "" = every namespace (--namespace wins)
    timeout_s: float = 10.0
    retries: int = 2
    logs: bool = True                 # read container logs
    log_tail_lines: int = 2000        # per container
    max_log_pods: int = 30            # pods whose logs are read: restarted / not ready first
    concurrency: int = 4
    max_response_mb: float = 64.0     # one API answer, decoded; a larger one is refused

    def validate(self, key: str, where: str) -> None:
        for name in ("timeout_s", "log_tail_lines", "max_log_pods", "concurrency", "max_response_mb"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{where}: {key}.{name} = {getattr(self, name)!r} must be > 0")
        if self.retries < 0:
            raise ConfigError(f"{where}: {key}.retries = {self.retries!r} must be >= 0")
        if self.in_cluster and (self.kubeconfig or self.context):
            raise ConfigError(f"{where}: {key}.in_cluster = true excludes kubeconfig and context")


class KubernetesSource(LiveSource):
    kind = "kubernetes"
    Options = KubernetesOptions
    provides = ("events", "logs")
    ENDPOINTS = (
        Endpoint("GET", "/version", "server version, for health"),
        Endpoint("GET", "/api/v1/pods", "pods of every namespace"),
        Endpoint("GET", _NS + "/pods", "pods: phase, restarts, last termination"),
        Endpoint("GET", _NS + "/pods/{name}/log", "container logs (previous=true for the restarted one)"),
        Endpoint("GET", "/api/v1/events", "events of every namespace"),
        Endpoint("GET", _NS + "/events", "events"),
        Endpoint("GET", _APPS + "/deployments", "deployments of every namespace"),
        Endpoint("GET", _APPS + "/namespaces/{namespace}/deployments", "deployments"),
        Endpoint("GET", _APPS + "/replicasets", "replicasets of every namespace"),
        Endpoint("GET", _APPS + "/namespaces/{namespace}/replicasets", "rollout history"),
        Endpoint("GET", "/api/v1/nodes", "nodes and their conditions"),
    )
    KUBE_ACCESS = (("", "pods", "list"), ("", "pods/log", "get"), ("", "events", "list"),
                   ("apps", "deployments", "list"), ("apps", "replicasets", "list"), ("", "nodes", "list"))
    _apis: Any = None
    _context: str | None = None

    def target(self) -> str:
        o = self.options
        if o.in_cluster:
            return "in-cluster service account"
        where = o.kubeconfig or "default kubeconfig"
        return f"{where}, context {o.context}" if o.context else where

    def timeout_s(self) -> float:
        return float(self.options.timeout_s)

    def describe(self, exc: BaseException) -> str:
        from aiops.telemetry.live.http import describe_error

        server = self._apis[0].api_client.configuration.host if self._apis is not None else self.target()
        return describe_error(exc, self.timeout_s(), server)

    def close(self) -> None:
        if self._apis is not None:
            self._apis[0].api_client.close()
            self._apis = None

    # -- the client ---------------------------------------------------------------------
    def apis(self, context: str | None = None) -> tuple[Any, Any, Any]:
        """(CoreV1Api, AppsV1Api, VersionApi) over a read-only API client."""
        context = context or self.options.context or None
        if self._apis is None or context != self._context:
            from aiops.telemetry.live.k8s_client import read_only_apis

            try:
                self._apis = read_only_apis(self.options, context)
            except Exception as exc:  # noqa: BLE001 - kubeconfig missing, context unknown, ...
                raise SourceError(f"cannot configure the Kubernetes client: {one_line(exc)[:200]}") from None
            self._context = context
        return self._apis

    def _call(self, method: Any, *args: Any, **kwargs: Any) -> Any:
        """Call an API method for its raw JSON (the client's models are not needed)."""
        from aiops.telemetry.live.k8s_client import api_error, read_capped

        try:
            resp = method(*args, _preload_content=False, _request_timeout=(self.options.timeout_s,
                                                                            self.options.timeout_s), **kwargs)
            data = read_capped(resp, round(self.options.max_response_mb * 2 ** 20), f"{self.key}.max_response_mb")
        except Exception as exc:  # noqa: BLE001 - ApiException -> one line; the rest is described by the caller
            raise api_error(exc) from None
        return data

    def _list(self, name: str, namespace: str | None, apps: bool = False, context: str | None = None) -> list[dict]:
        core, apps_api, _ = self.apis(context)
        api = apps_api if apps else core
        items: list[dict] = []
        token = None
        while True:
            kwargs = {"limit": 500, **({"_continue": token} if token else {})}
            if namespace:
                raw = self._call(getattr(api, f"list_namespaced_{name}"), namespace, **kwargs)
            else:
                raw = self._call(getattr(api, f"list_{name}_for_all_namespaces" if name != "node" else "list_node"),
                                 **kwargs)
            try:
                doc = json.loads(raw)
            except RecursionError:
                raise SourceError(f"answer listing {name}s is JSON nested too deeply to read") from None
            except ValueError as exc:
                raise SourceError(f"malformed or truncated answer listing {name}s: {one_line(exc)[:120]}") from None
            items += list(doc.get("items") or [])
            token = (doc.get("metadata") or {}).get("continue")
            if not token:
                return items

    # -- read methods -------------------------------------------------------------------
    def pods(self, namespace: str | None = None, context: str | None = None) -> list[dict]:
        return self._list("pod", namespace, context=context)

    def events(self, namespace: str | None = None, context: str | None = None) -> list[dict]:
        return self._list("event", namespace, context=context)

    def deployments(self, namespace: str | None = None, context: str | None = None) -> list[dict]:
        return self._list("deployment", namespace, apps=True, context=context)

    def replicasets(self, namespace: str | None = None, context: str | None = None) -> list[dict]:
        return self._list("replica_set", namespace, apps=True, context=context)

    def rollout_history(self, deployment: str, namespace: str, context: str | None = None) -> list[dict]:
        return rec.rollout_history(deployment, self.replicasets(namespace, context))

    def nodes(self, context: str | None = None) -> list[dict]:
        return self._list("node", None, context=context)

    def pod_log(self, pod: str, namespace: str, container: str | None = None, previous: bool = False,
                tail_lines: int | None = None, since_seconds: int | None = None, context: str | None = None) -> str:
        core, _, _ = self.apis(context)
        kwargs: dict[str, Any] = {"timestamps": True, "previous": previous}
        if container:
            kwargs["container"] = container
        if tail_lines:
            kwargs["tail_lines"] = int(tail_lines)
        if since_seconds:
            kwargs["since_seconds"] = int(since_seconds)
        return self._call(core.read_namespaced_pod_log, pod, namespace, **kwargs).decode("utf-8", "replace")

    def health(self) -> Health:
        _, _, version_api = self.apis()
        info = json.loads(self._call(version_api.get_code))
        version = str(info.get("gitVersion") or "")
        return Health(True, f"ready (Kubernetes {version})" if version else "ready", version=version)

    # -- the fetch ----------------------------------------------------------------------
    def fetch(self, window: TimeWindow, scope: FetchScope = FetchScope()) -> FetchResult:
        ns = scope.namespace or self.options.namespace or None
        ctx = scope.context or None
        result = FetchResult(source=self.label, queries=[f"pods, events, deployments, replicasets, nodes"
                                                         f" in {'namespace ' + ns if ns else 'every namespace'}"])
        try:
            pods = self.pods(ns, ctx)
        except Exception as exc:  # noqa: BLE001 - the API server is down, forbids, ...: a value
            return error_result(self.label, self.describe(exc), result.queries)
        events: list[dict[str, Any]] = rec.pod_events(pods)
        for what, read, convert in (
            ("events", lambda: self.events(ns, ctx), lambda x: rec.cluster_events(x, window.start - EVENTS_LOOKBACK_S)),
            ("rollouts", lambda: (self.deployments(ns, ctx), self.replicasets(ns, ctx)), lambda x: rec.rollout_events(*x)),
            ("nodes", lambda: self.nodes(ctx), lambda x: rec.node_events(x, pods)),
        ):
            try:
                events += convert(read())
            except Exception as exc:  # noqa: BLE001 - one missing kind is a gap
                result.problems.append(f"{what} not read ({self.describe(exc)})")
        result.batch.events = events
        if self.options.logs:
            result.batch.logs = self._logs(pods, window, ctx, result)
        return result.finish()

    def _logs(self, pods: list[dict], window: TimeWindow, ctx: str | None, result: FetchResult) -> list[dict]:
        """Container logs of the pods most likely to matter (restarted or not ready first)."""
        def trouble(pod: dict) -> tuple:
            statuses = (pod.get("status") or {}).get("containerStatuses") or []
            restarts = sum(int(s.get("restartCount") or 0) for s in statuses)
            unready = sum(1 for s in statuses if not s.get("ready"))
            return (-restarts, -unready, (pod.get("metadata") or {}).get("name", ""))

        chosen = sorted(pods, key=trouble)[: self.options.max_log_pods]
        if len(pods) > len(chosen):
            result.problems.append(f"logs read for {len(chosen)} of {len(pods)} pods (max_log_pods)")
        since = int(time.time() - window.start) if window.start < time.time() else None
        jobs = []
        for pod in chosen:
            meta = pod.get("metadata") or {}
            for cs in (pod.get("status") or {}).get("containerStatuses") or []:
                jobs.append((meta.get("name", ""), meta.get("namespace", ""), cs.get("name", ""), False))
                died = rec.ts(((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt"))
                if int(cs.get("restartCount") or 0) > 0 and died is not None and died >= window.start - EVENTS_LOOKBACK_S:
                    jobs.append((meta.get("name", ""), meta.get("namespace", ""), cs.get("name", ""), True))

        def read(job: tuple) -> list[dict]:
            pod, ns, container, previous = job
            text = self.pod_log(pod, ns, container, previous, self.options.log_tail_lines,
                                None if previous else since, ctx)
            return rec.log_records(text, pod, ns, container, previous)

        records: list[dict] = []
        failed: dict[str, int] = {}
        with ThreadPoolExecutor(max_workers=self.options.concurrency) as pool:
            for job, fut in [(j, pool.submit(read, j)) for j in jobs]:
                try:
                    records += fut.result()
                except Exception as exc:  # noqa: BLE001 - one unreadable log is a gap
                    why = self.describe(exc)
                    failed[why] = failed.get(why, 0) + 1
        for why, n in failed.items():
            result.problems.append(f"{n} of {len(jobs)} container logs not read ({why})")
        return records
