"""Uninstrumented dependencies seen through their callers' client spans.

Databases, caches and brokers rarely trace themselves; their callers do, with a *client*
span per call that names the peer (OpenTelemetry `peer.service`, `server.address`,
`net.peer.name`, `db.name` ...). Such a span's duration is the time the peer took (plus the
network), and its error is the peer's failure (refused, timed out, failed). Counting it
as the caller's own time would blame the caller for a slow database; here a client span
that names a peer and has no child spans (the peer did not answer with spans of its own)
is re-assigned to the peer, which so becomes a service of the call graph like any other.

Where a peer's spans begin only at the onset, nothing compares them with before; the share of
each caller's request time spent in the peer since then (`time_shares`), beside the caller's
latency rise from its metrics, still says how much of the added time went to the peer
(`where_the_time_went`, used by the ranking).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from typing import Collection, Mapping, Sequence

import numpy as np

from aiops.analytics.spantree import Spans, SpanTree
from aiops.analytics.trace_checks import MIN_REQUESTS, ServiceTraceStats
from aiops.domain import Finding

# Attribute keys naming the called service, most specific first (OTel and older conventions).
PEER_KEYS = ("peer.service", "peer_service", "peerService", "server.address", "net.peer.name",
             "db.instance", "db.name", "messaging.destination.name", "rpc.service")
SHARE_MIN_REQUESTS = 10   # a caller's time share in an untraced peer is judged on this many requests ...
SHARE_MIN = 0.5           # ... and reported from this share up
INHERITED_SHARE = 0.5     # a caller's added time that went at least this much to an untraced peer is the peer's
_HOST = re.compile(r"^[a-z]+://|[:/].*$")


def peer_names(attrs: Sequence[object]) -> np.ndarray:
    """The peer named by each span's attributes (a JSON object string or dict), '' when none.
    A window's spans share a few distinct attribute strings: each is read once."""
    out = np.full(len(attrs), "", dtype=object)
    seen: dict[str, str] = {}
    for i, raw in enumerate(attrs):
        if not raw:
            continue
        if isinstance(raw, str):
            name = seen.get(raw)
            if name is None:
                name = seen[raw] = _peer_of_text(raw)
        else:
            name = _peer_of(raw)
        if name:
            out[i] = name
    return out


def _peer_of_text(raw: str) -> str:
    if "peer" not in raw and "server" not in raw and '"db.' not in raw and "messaging" not in raw \
            and "rpc." not in raw:
        return ""
    try:
        return _peer_of(json.loads(raw))
    except ValueError:
        return ""


def _peer_of(attrs: object) -> str:
    if not isinstance(attrs, dict):
        return ""
    for key in PEER_KEYS:
        value = attrs.get(key)
        if value:
            return str(value)
    return ""


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


def timed_peers(stats: Mapping[str, ServiceTraceStats], peers: Collection[str]) -> tuple[str, ...]:
    """The untraced peers whose time their callers' client spans measured on both sides of the
    split (MIN_REQUESTS calls each): their request time is measured like a traced service's, so
    a CPU rise there that the calls did not feel impacted nobody (the ranking's bearing rule).
    A peer whose spans begin at the onset is not among them: nothing says its calls held."""
    return tuple(sorted(p for p in peers if p in stats
                        and min(stats[p].before.requests, stats[p].after.requests) >= MIN_REQUESTS))


def time_shares(tree: SpanTree, spans: Spans, req: np.ndarray, peers: Collection[str],
                since: float) -> list[Finding]:
    """For each untraced peer (seen through its callers' client spans) and each caller: the
    median share of the caller's request time spent in calls to the peer, over requests since
    `since`. Not evidence by itself (score 0, tag `share`): a database call may always take most
    of a request. Beside the caller's latency rise measured elsewhere (its metrics), it says
    where the added time went (`aiops.analytics.ranking`). Needs no spans before the onset."""
    out: list[Finding] = []
    codes = {name: i for i, name in enumerate(tree.services)}
    entries = req[spans.start[req] >= since]
    whole = spans.duration_us
    for peer in sorted(p for p in peers if p in codes):
        rows = entries[tree.service_code[entries] == codes[peer]]
        parent = tree.parent[rows]
        rows, parent = rows[parent >= 0], parent[parent >= 0]
        if len(rows) == 0:
            continue
        top = tree.segment[parent]                         # the caller's request each call served
        callers = tree.service_code[top]
        for code in np.unique(callers):
            m = callers == code
            reqs, inverse = np.unique(top[m], return_inverse=True)
            if len(reqs) < SHARE_MIN_REQUESTS or tree.services[code] == peer:
                continue
            spent = np.bincount(inverse, weights=whole[rows[m]])
            share = float(np.median(np.minimum(spent / np.maximum(whole[reqs], 1.0), 1.0)))
            if share < SHARE_MIN:
                continue
            caller = tree.services[code]
            out.append(Finding(
                kind="trace", service=peer, signal=f"time_share:{caller}", score=0.0,
                summary=f"{caller} spends {share:.0%} of its request time in calls to {peer} "
                        f"(median of {len(reqs)} requests since the onset)",
                onset=since, direction=0, magnitude=share, ref=f"caller:{caller}", tags=("share",)))
    return out


def where_the_time_went(findings: list[Finding]) -> list[Finding]:
    """A caller's latency rise (its metrics, after/before ratio R) and the share of its request
    time its calls to an untraced peer take since the onset (traces, tag `share`): when the
    calls alone take more than the whole request took before, at least (share - 1/R) / (1 - 1/R)
    of the added time went to the peer. Of the caller's rises (p50, p90, mean ...), the one
    that gives the peer most is used: a tail that rose 20x while the median held is time
    added too. From INHERITED_SHARE up, the peer gets that part of the
    caller's rise as a latency finding of its own, seen from the caller's side (a database with
    no latency series of its own, whose spans begin at the onset), and it explains the caller
    (`aiops.analytics.ranking`) however short of STRONG that part is. The `share` findings are
    consumed here."""
    shares = [f for f in findings if f.kind == "trace" and "share" in f.tags]
    if not shares:
        return findings
    rest = [f for f in findings if not (f.kind == "trace" and "share" in f.tags)]
    rises: dict[str, list[Finding]] = {}
    for f in rest:
        if (f.kind == "metric" and "latency" in f.tags and "weak" not in f.tags and f.direction > 0
                and math.isfinite(f.magnitude) and f.magnitude > 1.0):
            rises.setdefault(f.service, []).append(f)
    for f in shares:
        caller = f.ref.removeprefix("caller:")
        best: tuple[float, float, Finding] | None = None
        for rise in rises.get(caller, ()):
            part = min((f.magnitude - 1.0 / rise.magnitude) / (1.0 - 1.0 / rise.magnitude), 1.0)
            if part >= INHERITED_SHARE and (best is None or rise.score * part > best[0]):
                best = (rise.score * part, part, rise)
        if best is None:
            continue
        score, part, rise = best
        rest.append(Finding(
            kind="trace", service=f.service, signal=f"added_time:{caller}", score=score,
            summary=f"{f.summary}; its {rise.signal} rose {rise.magnitude:.3g}x, so at least {part:.0%} "
                    f"of the added time is in {f.service}",
            onset=rise.onset, direction=1, magnitude=rise.magnitude, ref=f.ref, tags=("latency", "client_side")))
    return rest


def spent_in(findings: list[Finding]) -> dict[str, str]:
    """caller -> the untraced peer that `where_the_time_went` found at least INHERITED_SHARE of
    its added time in (the ranking lets that peer explain the caller)."""
    return {f.ref.removeprefix("caller:"): f.service for f in findings if f.signal.startswith("added_time:")}
