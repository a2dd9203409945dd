"""Microservice topologies: services, operations and the calls between them.

A topology is plain data (see `topologies.py`) parsed into frozen dataclasses here.
Calls are written as short strings so the call graph stays readable:

    "cart:GetCart"      a call to operation GetCart of service cart
    "ad:GetAds?"        optional: the caller swallows its errors (fallback)
    "payment:Charge+"   the caller retries once on error or timeout
    "redis-cart:HGET*2" the call is made twice in a row

`expand()` unrolls the call graph of one entry operation into a tree of `CallNode`s,
which is what the traffic model and the trace generator walk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

STORE_KINDS = ("db", "cache", "queue")
_CALL = re.compile(r"^(?P<svc>[a-z0-9-]+):(?P<op>[^?+*]+?)(?P<flags>[?+]*)(\*(?P<n>\d+))?$")
_MAX_DEPTH = 8


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    kind: str                 # web | app | db | cache | queue | batch
    runtime: str              # go, java, node, python, dotnet, nginx, postgres, mysql, redis, kafka, mongo, rabbitmq
    replicas: int
    latency_ms: float         # median own processing time of one request
    sigma: float              # log-normal spread of own processing time
    cpu_ms: float             # CPU milliseconds spent per request
    mem_mb: float             # resident memory at rest
    port: int
    pool_size: int = 0        # connection-pool size towards its main store (0: no pool)
    cpu_limit: float = 1.0    # cores

    @property
    def is_store(self) -> bool:
        return self.kind in STORE_KINDS

    @property
    def stateful(self) -> bool:
        return self.is_store


@dataclass(frozen=True)
class Call:
    service: str
    operation: str
    optional: bool = False
    retries: int = 0
    times: int = 1


@dataclass(frozen=True)
class CallNode:
    """One visit of an operation in an expanded request tree."""

    index: int                # position in the tree's node list (pre-order)
    service: str
    operation: str
    parent: int               # -1 for the root
    depth: int
    optional: bool            # errors of this call are swallowed by the caller
    retries: int
    timeout_s: float          # how long the caller waits for this call
    children: tuple[int, ...] = ()


@dataclass(frozen=True)
class Entry:
    service: str
    operation: str
    weight: float


@dataclass(frozen=True)
class Topology:
    name: str
    description: str
    namespace: str
    metric_style: str                       # "cadvisor" or "gauge"
    entry_rps: float                        # mean requests per second at the entry service
    services: dict[str, ServiceSpec]
    calls: dict[tuple[str, str], tuple[Call, ...]]
    entries: tuple[Entry, ...]
    timeouts: dict[str, float]
    op_latency: dict[tuple[str, str], float] = field(default_factory=dict)
    batch_job: str = ""                     # a noisy CronJob workload, if any
    batch_store: str = ""                   # the store that CronJob loads while it runs

    @property
    def entry_service(self) -> str:
        return self.entries[0].service

    def callers_of(self, service: str) -> list[str]:
        out = {caller for (caller, _), calls in self.calls.items() for c in calls if c.service == service}
        return sorted(out)

    def callees_of(self, service: str) -> list[str]:
        out = {c.service for (caller, _), calls in self.calls.items() if caller == service for c in calls}
        return sorted(out)

    def stores(self) -> list[str]:
        return [s.name for s in self.services.values() if s.is_store]

    def apps(self) -> list[str]:
        return [s.name for s in self.services.values() if s.kind in ("web", "app")]

    def store_clients(self) -> list[str]:
        """App services that call a data store (they hold connection pools)."""
        stores = set(self.stores())
        return [s for s in self.apps() if any(c in stores for c in self.callees_of(s))]

    def main_store(self, service: str) -> str:
        """The data store a service talks to most (its connection pool's target), or ''."""
        stores = set(self.stores())
        counts: dict[str, int] = {}
        for (caller, _), calls in self.calls.items():
            if caller == service:
                for c in calls:
                    if c.service in stores:
                        counts[c.service] = counts.get(c.service, 0) + c.times
        if not counts:
            return ""
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]

    def expand(self, entry: Entry) -> list[CallNode]:
        """The call tree of one entry operation, pre-order, children in call order."""
        nodes: list[CallNode] = []
        entry_timeout = self.timeouts.get("entry", 10.0)

        def visit(svc: str, op: str, parent: int, depth: int, optional: bool, retries: int, timeout: float) -> int:
            idx = len(nodes)
            nodes.append(CallNode(idx, svc, op, parent, depth, optional, retries, timeout))
            kids: list[int] = []
            if depth < _MAX_DEPTH:
                for call in self.calls.get((svc, op), ()):
                    for _ in range(call.times):
                        kids.append(visit(call.service, call.operation, idx, depth + 1,
                                          call.optional, call.retries, self.timeout_for(call.service)))
            node = nodes[idx]
            nodes[idx] = CallNode(node.index, svc, op, parent, depth, optional, retries, timeout, tuple(kids))
            return idx

        visit(entry.service, entry.operation, -1, 0, False, 0, entry_timeout)
        return nodes

    def timeout_for(self, service: str) -> float:
        kind = self.services[service].kind
        return self.timeouts.get(service, self.timeouts.get(kind, self.timeouts.get("default", 1.0)))

    def own_latency_ms(self, service: str, operation: str) -> float:
        base = self.services[service].latency_ms
        return base * self.op_latency.get((service, operation), 1.0)


def parse_call(text: str) -> Call:
    m = _CALL.match(text.strip())
    if not m:
        raise ValueError(f"bad call {text!r}: expected 'service:Operation' with optional ?, + or *N")
    flags = m.group("flags") or ""
    return Call(m.group("svc"), m.group("op").strip(), optional="?" in flags,
                retries=1 if "+" in flags else 0, times=int(m.group("n") or 1))


_SERVICE_DEFAULTS = {
    "web": dict(sigma=0.35, cpu_ms=2.0, mem_mb=60, port=8080, cpu_limit=1.0),
    "app": dict(sigma=0.4, cpu_ms=3.0, mem_mb=180, port=8080, cpu_limit=1.0),
    "db": dict(sigma=0.6, cpu_ms=1.5, mem_mb=900, port=5432, cpu_limit=2.0),
    "cache": dict(sigma=0.3, cpu_ms=0.1, mem_mb=120, port=6379, cpu_limit=1.0),
    "queue": dict(sigma=0.4, cpu_ms=0.4, mem_mb=1100, port=9092, cpu_limit=2.0),
    "batch": dict(sigma=0.5, cpu_ms=5.0, mem_mb=300, port=0, cpu_limit=1.0),
}
_RUNTIME_MEM = {"java": 2.4, "dotnet": 1.3, "python": 0.8, "node": 0.7, "go": 0.4, "nginx": 0.15}


def build_topology(raw: dict) -> Topology:
    """Parse a raw topology dict (see topologies.py) and check that every call resolves."""
    services: dict[str, ServiceSpec] = {}
    for name, spec in raw["services"].items():
        kind = spec["kind"]
        values = dict(_SERVICE_DEFAULTS[kind])
        if kind in ("web", "app"):
            values["mem_mb"] = values["mem_mb"] * _RUNTIME_MEM.get(spec["runtime"], 1.0)
        values.update({k: v for k, v in spec.items() if k not in ("kind", "runtime", "replicas", "latency_ms")})
        services[name] = ServiceSpec(name=name, kind=kind, runtime=spec["runtime"],
                                     replicas=int(spec.get("replicas", 1)),
                                     latency_ms=float(spec["latency_ms"]), **values)
    calls: dict[tuple[str, str], tuple[Call, ...]] = {}
    for key, targets in raw["calls"].items():
        svc, op = key.split(":", 1)
        parsed = tuple(parse_call(t) for t in targets)
        for c in (Call(svc, op), *parsed):
            if c.service not in services:
                raise ValueError(f"topology {raw['name']}: call {key} names unknown service {c.service!r}")
        calls[(svc, op)] = parsed
    entries = []
    for key, weight in raw["entries"].items():
        svc, op = key.split(":", 1)
        entries.append(Entry(svc, op, float(weight)))
    total = sum(e.weight for e in entries)
    entries = [Entry(e.service, e.operation, e.weight / total) for e in entries]
    op_latency = {tuple(k.split(":", 1)): float(v) for k, v in raw.get("op_latency", {}).items()}
    store_names = {n for n, s in services.items() if s.is_store}
    for (caller, _), targets in calls.items():
        spec = services[caller]
        if spec.pool_size == 0 and any(c.service in store_names for c in targets):
            services[caller] = replace(spec, pool_size=10 if spec.runtime == "java" else 20)
    return Topology(
        name=raw["name"], description=raw["description"], namespace=raw["namespace"],
        metric_style=raw["metric_style"], entry_rps=float(raw["entry_rps"]),
        services=services, calls=calls, entries=tuple(entries), timeouts=dict(raw["timeouts"]),
        op_latency=op_latency, batch_job=raw.get("batch_job", ""), batch_store=raw.get("batch_store", ""),
    )
