"""Client-side views of a service: service-map nodes that are not services of their own.

Tracing service maps (AWS X-Ray, which PetShop-style exports come from, and the span-metrics
of other tracers) record a callee twice: as the service itself (`PetSearch_AWS::ECS::Fargate`)
and as what its callers saw of it, a node named after it with a `_client` or `_remote` suffix
(`PetSearch_client`, `AdoptionsDb_remote`). The view's latency and errors are the callee's,
plus the network between: they are evidence about the callee, seen from outside, and ranking
the view beside the callee splits one suspect in two. A view is folded into its service when
exactly one other, untraced node carries its base name. A load balancer in front of a service
is a view of it too, named by abbreviation (`servi-searc.us-west-2.elb.amazonaws.com_remote` for
PetSearch): with no node of its base name, a view is folded into the one service its name
abbreviates (a word of it that only that service's name contains). A view with neither (an
external endpoint, `amazon.com_remote`) stays a candidate of its own.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import replace

from aiops.domain import Finding

VIEW_SUFFIXES = ("_client", "_remote")
ABBREV_MIN = 4              # shorter words (`us`, `elb`, `api`) abbreviate too much
_WORDS = re.compile(r"[a-z0-9]+")


def _base(name: str) -> str | None:
    low = name.lower()
    for suffix in VIEW_SUFFIXES:
        if low.endswith(suffix) and len(name) > len(suffix):
            return low[: -len(suffix)]
    return None


def view_owners(services: Collection[str], traced: Collection[str] = ()) -> dict[str, str]:
    """view -> the service it shows: the one node named `<base>` or `<base>_<type>` (not a view
    itself). Services seen in traces are services, never views."""
    traced = set(traced)
    plain = {s: s.lower() for s in services if _base(s) is None}     # service -> its name in lower case
    out: dict[str, str] = {}
    for view in services:
        base = _base(view)
        if base is None or view in traced:
            continue
        owners = [s for s, low in plain.items() if low == base or low.startswith(base + "_")]
        if not owners:
            owners = _abbreviated(base, plain)
        if len(owners) == 1:
            out[view] = owners[0]
    return out


def _abbreviated(base: str, plain: dict[str, str]) -> list[str]:
    """The one service a view's name abbreviates, as a load balancer's name does
    (`servi-searc.us-west-2.elb.amazonaws.com` for PetSearch): a word of the name that only
    one service's name (`plain`: service -> lower-case name) contains. Words that several names
    contain (`servi`, `west`, `amazonaws`) say nothing; words that point at different services
    leave the view alone."""
    voted: set[str] = set()
    for word in set(_WORDS.findall(base)):
        if len(word) < ABBREV_MIN or word.isdigit():
            continue
        hits = [s for s, low in plain.items() if word in low]
        if len(hits) == 1:
            voted.add(hits[0])
    return sorted(voted)


def fold_views(findings: list[Finding], services: list[str], owners: dict[str, str]) -> tuple[list[Finding], list[str]]:
    """Findings of a view move to its service, tagged `client_side` and saying whose view they
    are; the view leaves the candidates."""
    if not owners:
        return findings, services
    moved = [replace(f, service=owners[f.service], summary=f"seen by its callers as {f.service}: {f.summary}",
                     tags=f.tags + ("client_side",) if "client_side" not in f.tags else f.tags)
             if f.service in owners else f for f in findings]
    return moved, [s for s in services if s not in owners]
