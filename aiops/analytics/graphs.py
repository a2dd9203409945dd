"""Walks over a service call graph (caller -> callees, or callee -> callers)."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Set


def descendants(graph: Mapping[str, Set[str]], start: str) -> list[str]:
    """Every node reachable from `start` (not `start` itself), breadth first, each node's
    neighbours in name order. Over a callers map: every service upstream of `start`."""
    seen = {start}
    queue = deque(sorted(graph.get(start, ())))
    order: list[str] = []
    while queue:
        node = queue.popleft()
        if node in seen:
            continue
        seen.add(node)
        order.append(node)
        queue.extend(sorted(graph.get(node, ())))
    return order
