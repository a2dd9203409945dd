"""`metrics.datastores`: is a slow client waiting on a database, cache or broker?

Without traces nothing says which database a service uses, and a client waiting on its
database rarely names it in an error line: it just gets slow and its connection pool fills
up. The datastores themselves are easy to spot — their exporters' metric names say what they
are (`pg_*`, `mysql_*`, `redis_*` ...). This tool lists them and, from the evidence the run
has gathered so far, tells which of them got into trouble of their own (slower statements,
longer transactions, errors, new log lines) no later than the client did. Those become
inferred dependencies of the client, so the ranking can see the client's slowness as
inherited from the datastore — the same way a dependency named in error logs is used.
"""

from __future__ import annotations

import re
from typing import Any

from aiops.domain import Finding
from aiops.timeutil import to_rfc3339
from aiops.tooling.base import ToolContext, ToolResult

# Exporter metric prefixes -> what they measure (postgres_exporter, mysqld_exporter, ...).
EXPORTERS = {
    "pg": "PostgreSQL", "postgres": "PostgreSQL", "mysql": "MySQL", "redis": "Redis", "mongodb": "MongoDB",
    "memcached": "Memcached", "elasticsearch": "Elasticsearch", "cassandra": "Cassandra", "kafka": "Kafka",
    "rabbitmq": "RabbitMQ",
}
_PREFIX_RE = "^(" + "|".join(sorted(EXPORTERS)) + ")_"
TROUBLE = 0.3          # a finding this strong is trouble worth dating
LEAD_S = 600.0         # a datastore's trouble may start up to this long before its client notices
_WAITING = {"latency", "pool"}
_SERVING = {"latency", "traffic", "errors"}   # request metrics: the service answers requests itself


def _own_trouble(f: Finding) -> bool:
    """Trouble of the datastore's own: its resources, or its latency and errors rising (a
    datastore calls nothing else in the data, so its slowness is its own) — not a drop in its
    traffic (that is what a failing client causes), not being named in others' errors."""
    from aiops.analytics.weighing import class_of, is_own

    if f.score < TROUBLE or f.onset is None or class_of(f) == "mentioned":
        return False
    if f.kind == "metric":
        return is_own(f) or (class_of(f) in ("latency", "errors") and f.direction > 0)
    return f.kind in ("log", "trace")


def metrics_datastores(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    from aiops.analytics.ranking import ONSET_TOLERANCE_S
    from aiops.analytics.signals import signal_class
    from aiops.analytics.weighing import class_of

    client = args["service"]
    query = "SELECT DISTINCT service, metric FROM metrics"
    rows = ctx.store.sql(query, {})
    stores: dict[str, set[str]] = {}
    serving: set[str] = set()
    for service, metric in zip(rows["service"], rows["metric"]):
        exporter = re.match(_PREFIX_RE, metric)
        if exporter:
            stores.setdefault(service, set()).add(EXPORTERS[exporter.group(1)])
        elif signal_class(metric) in _SERVING:
            serving.add(service)     # an application (its database client may export pg_*/mongodb_* too)
    stores = {s: k for s, k in stores.items() if s and s != client and s not in serving}
    if not stores:
        return ToolResult("no_data", "no database, cache or broker exporters in the data", query=query)
    findings: list[Finding] = list(ctx.state.findings) if ctx.state is not None else []
    waiting = [f for f in findings if f.service == client and f.onset is not None and f.score >= TROUBLE
               and class_of(f) in _WAITING and f.direction >= 0]
    client_onset = min((f.onset for f in waiting), default=None)
    head = (f"{client} waits: {waiting[0].summary}" if waiting
            else f"{client} shows no rising latency or pool use: not waiting on a datastore")
    lines, linked, quiet = [head], [], []
    for store in sorted(stores):
        trouble = sorted((f for f in findings if f.service == store and _own_trouble(f)), key=lambda f: f.onset)
        kinds = "/".join(sorted(stores[store]))
        if not trouble:
            quiet.append(f"{store} ({kinds})")
            continue
        first = trouble[0]
        together = client_onset is not None and \
            client_onset - LEAD_S <= first.onset <= client_onset + ONSET_TOLERANCE_S
        if together:
            linked.append(store)
        verdict = "first, or together with the client: a likely cause" if together else \
            "but not before the client" if client_onset is not None else "client not waiting"
        lines.append(f"{store} ({kinds}): {first.summary} (since {to_rfc3339(first.onset)}) — {verdict}")
    lines = lines[: args["limit"] + 1]
    if quiet:
        lines.append(f"no trouble of their own: {', '.join(quiet)}")
    if linked:
        lines.insert(1, f"inferred: {client} depends on {', '.join(linked)}")
    return ToolResult("ok", "\n".join(lines), query=query, data={"datastores": {s: sorted(k) for s, k in stores.items()}},
                      inferred={client: tuple(linked)} if linked else {})
