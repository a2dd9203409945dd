"""Uninstrumented dependencies seen through their callers' client spans.

Databases, caches and brokers rarely trace themselves; their callers do, with a *client*
span per call that names the peer (OpenTelemetry `peer.service`, `server.address`,
`net.peer.name`, `db.name` ...). Such a span's duration is the time the peer took (plus the
network), and its error is the peer's failure (refused, timed out, failed). Counting it
as the caller's own time would blame the caller for a slow database; here a client span
that names a peer and has no child spans (the peer did not answer with spans of its own)
is re-assigned to the peer, which so becomes a service of the call graph like any other.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Sequence

import numpy as np

from aiops.analytics.spantree import Spans

# Attribute keys naming the called service, most specific first (OTel and older conventions).
PEER_KEYS = ("peer.service", "peer_service", "peerService", "server.address", "net.peer.name",
             "db.instance", "db.name", "messaging.destination.name", "rpc.service")
_HOST = re.compile(r"^[a-z]+://|[:/].*$")


def peer_names(attrs: Sequence[object]) -> np.ndarray:
    """The peer named by each span's attributes (a JSON object string or dict), '' when none."""
    out = np.full(len(attrs), "", dtype=object)
    for i, raw in enumerate(attrs):
        if not raw:
            continue
        if isinstance(raw, str):
            if "peer" not in raw and "server" not in raw and '"db.' not in raw and "messaging" not in raw \
                    and "rpc." not in raw:
                continue
            try:
                raw = json.loads(raw)
            except ValueError:
                continue
        if not isinstance(raw, dict):
            continue
        for key in PEER_KEYS:
            value = raw.get(key)
            if value:
                out[i] = str(value)
                break
    return out


def resolve_peer(name: str, known: set[str]) -> str:
    """A peer name as a service: the known service it names, else its bare host name.

    `mysql:3306`, `tcp://mysql:3306`, `ts-travel-mongo.train-ticket.svc.cluster.local`
    resolve to `mysql` and `ts-travel-mongo` when those services are known.
    """
    raw = name.strip()
    if raw in known:
        return raw
    host = _HOST.sub("", raw.lower())
    if host in known:
        return host
    first = host.split(".", 1)[0]
    return first if first else raw


def attribute_to_peers(spans: Spans, peers: Sequence[object], known: Sequence[str] = ()) -> tuple[Spans, set[str]]:
    """Spans with every childless client span that names a peer moved to that peer's service.

    Returns the new spans and the services that received spans (the client-side peers).
    A peer equal to the caller itself (a span naming its own service) is left alone.
    """
    peer = np.asarray(peers, dtype=object)
    if len(peer) != len(spans) or len(spans) == 0:
        return spans, set()
    named = np.flatnonzero(peer != "")
    if len(named) == 0:
        return spans, set()
    parents = set(spans.parent_span_id.tolist())
    known_set = set(known) | set(np.unique(spans.service).tolist())
    cache: dict[str, str] = {}
    service = spans.service.copy()
    moved: set[str] = set()
    for i in named:
        if spans.span_id[i] in parents:
            continue          # the callee answered with spans of its own: it is traced
        p = str(peer[i])
        target = cache.get(p)
        if target is None:
            target = cache[p] = resolve_peer(p, known_set)
        if target and target != service[i]:
            service[i] = target
            moved.add(target)
    return (replace(spans, service=service), moved) if moved else (spans, moved)
