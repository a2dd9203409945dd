"""How evidence combines in the ranking: correlated views of one problem (max plus a little),
independent kinds of signal (noisy-OR), and the typical onset of a service's findings."""

from __future__ import annotations

from collections import defaultdict


def noisy_or(values) -> float:  # noqa: ANN001
    p = 1.0
    for v in values:
        p *= 1.0 - max(0.0, min(1.0, v))
    return 1.0 - p


def max_plus(values: list[float]) -> float:
    """Correlated views of one problem: the strongest counts, the next two add a little."""
    if not values:
        return 0.0
    ordered = sorted(values, reverse=True)
    return min(1.0, ordered[0] + 0.15 * sum(ordered[1:3]) * (1.0 - ordered[0]))


def per_kind(parts: dict[tuple[bool, str, str], float], own: bool) -> list[float]:
    """Per kind of signal, its classes as correlated views (`max_plus`). A class seen from the
    service's own series and from its callers' views of it (`<class>/client_side`) is one
    quantity measured on both ends of the calls: the larger of the two counts, once."""
    kinds: dict[str, dict[str, float]] = defaultdict(dict)
    for (is_own_part, kind, cls), v in parts.items():
        if is_own_part == own:
            base = cls.split("/")[0]
            kinds[kind][base] = max(kinds[kind].get(base, 0.0), v)
    return [max_plus(list(v.values())) for _, v in sorted(kinds.items())]


def weighted_median(pairs: list[tuple[float, float]]) -> float | None:
    if not pairs:
        return None
    pairs = sorted(pairs)
    total = sum(w for _, w in pairs)
    acc = 0.0
    for t, w in pairs:
        acc += w
        if acc >= total / 2.0:
            return t
    return pairs[-1][0]
