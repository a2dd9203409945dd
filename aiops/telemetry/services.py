"""Deriving the service name from a Kubernetes pod name.

`ts-contacts-service-866bd68c97-xcqfx` (Deployment: ReplicaSet hash + pod suffix),
`catalog-sync-28797840-dsc27` (CronJob: scheduled minute + pod suffix), `checkout-7d4f9-abcde`,
`redis-0` (StatefulSet ordinal) and `fluentd-x7k2p` (DaemonSet suffix) all map to the
workload name. The same rule exists as a SQL expression so bulk
loads never loop over rows in Python.
"""

from __future__ import annotations

import re

# Kubernetes generates hashes and suffixes from this alphabet (no vowels, no 0/1/3).
_K8S = "[bcdfghjklmnpqrstvwxz2456789]"
_DEPLOYMENT = rf"-{_K8S}{{6,10}}-{_K8S}{{5}}$"
_CRONJOB = rf"-[0-9]{{8,}}-{_K8S}{{5}}$"
_SUFFIX5 = rf"-{_K8S}{{5}}$"
_ORDINAL = r"-[0-9]+$"

_PATTERNS = [re.compile(_DEPLOYMENT), re.compile(_CRONJOB), re.compile(_SUFFIX5), re.compile(_ORDINAL)]


def service_from_pod(pod: str | None) -> str:
    """The workload (service) name of a pod; the name itself when no suffix matches."""
    if not pod:
        return ""
    name = pod.strip()
    for pat in _PATTERNS:
        stripped = pat.sub("", name)
        if stripped != name and stripped:
            return stripped
    return name


def service_from_pod_sql(column: str) -> str:
    """A DuckDB expression equivalent to `service_from_pod(column)`."""
    expr = column
    # Apply the first pattern that matches, in the same order as the Python version.
    return (
        f"CASE WHEN regexp_matches({expr}, '{_DEPLOYMENT}') THEN regexp_replace({expr}, '{_DEPLOYMENT}', '') "
        f"WHEN regexp_matches({expr}, '{_CRONJOB}') THEN regexp_replace({expr}, '{_CRONJOB}', '') "
        f"WHEN regexp_matches({expr}, '{_SUFFIX5}') THEN regexp_replace({expr}, '{_SUFFIX5}', '') "
        f"WHEN regexp_matches({expr}, '{_ORDINAL}') THEN regexp_replace({expr}, '{_ORDINAL}', '') "
        f"ELSE {expr} END"
    )
