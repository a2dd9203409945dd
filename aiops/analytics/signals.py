"""What a metric measures, from its name: generic Prometheus / exporter vocabulary.

The classes drive how evidence is weighed: resource signals (cpu, memory, disk, network,
restarts, pools) are a service's *own* behaviour; latency, errors and traffic can be
inherited from a dependency. Nothing here knows any particular system's service names.
"""

from __future__ import annotations

import re
from functools import lru_cache

from aiops.domain import FaultKind

# Ordered: the first class whose pattern matches wins.
_CLASSES: list[tuple[str, re.Pattern[str]]] = [
    ("restarts", re.compile(r"restart|oom|crash|kill|(^|_)up$|backoff")),
    ("pool", re.compile(r"pool|conn(ection)?s?_(active|idle|pending|wait|used|max|in_use)|pending_conn|waiting|thread|queue|saturat|semaphore")),
    ("disk", re.compile(r"disk|(^|_)fs_|filesystem|volume|inode|storage|iops|io_time|blkio")),
    ("memory", re.compile(r"mem|rss|heap|working_set|(^|_)gc_|malloc|swap|page_fault")),
    ("cpu", re.compile(r"cpu|throttl|load(1|5|15)?$|(^|_)load_")),
    ("errors", re.compile(r"error|fail|5xx|exception|fault|reject|timeout|refused")),
    ("latency", re.compile(r"latenc|duration|response_time|(^|_)rt($|_)|p50|p90|p95|p99|seconds_(bucket|sum)|elapsed|delay|wait_time")),
    ("network", re.compile(r"net(work)?|packet|retrans|tcp|udp|socket|receive|transmit|rx_|tx_|bytes_(sent|recv)|drop")),
    ("traffic", re.compile(r"request|rps|qps|throughput|workload|calls|hits|count|total$")),
]

OWN_CLASSES = frozenset({"restarts", "pool", "disk", "memory", "cpu", "network"})
SYMPTOM_CLASSES = frozenset({"latency", "errors", "traffic"})

FAULT_OF_CLASS: dict[str, FaultKind] = {
    "cpu": "cpu_saturation",
    "memory": "memory_leak",
    "disk": "disk_pressure",
    "network": "network_degradation",
    "restarts": "crash_or_restart",
    "pool": "resource_exhaustion",
    "latency": "latency",
    "errors": "error_burst",
    "traffic": "traffic_change",
}


@lru_cache(maxsize=4096)
def signal_class(metric: str) -> str:
    """The class of a metric name ('other' when nothing matches). Cached: a scan asks it of
    every series several times, and a window holds few distinct metric names."""
    name = metric.lower()
    if counts_timed_requests(name):
        return "traffic"
    for cls, pat in _CLASSES:
        if pat.search(name):
            return cls
    return "other"


def counts_timed_requests(metric: str) -> bool:
    """A latency histogram's or summary's `_count` (`http.server.duration_count`): it counts
    the requests it timed."""
    name = metric.lower()
    return name.endswith("_count") and signal_class(name[: -len("_count")]) == "latency"
