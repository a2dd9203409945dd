"""PromQL the Prometheus source pushes down: aggregation per service/pod, rate() for
counters, histogram quantiles, topk beyond the series budget; and the step for a window.

Stored metric names follow the recording-rule convention for derived series
(`http_requests_total:rate1m`, `http_request_duration_seconds:p99`), so a rate is never
mistaken for a raw counter downstream (names ending in _total are rated again).
"""

from __future__ import annotations

import math
import re

TARGET_POINTS = 180            # about as many points across the window as the metric scan uses
COUNTER_SUFFIX = re.compile(r"(_total|_count|_sum)$")
BUCKET_SUFFIX = re.compile(r"_bucket$")
_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


def step_for(window_s: float) -> float:
    """Query resolution: ~TARGET_POINTS points over the window, a multiple of 5 s, >= 5 s."""
    return float(max(5, int(math.ceil(window_s / TARGET_POINTS / 5.0)) * 5))


def rate_range(step_s: float) -> float:
    """The rate() range: 4 steps, at least a minute (two scrapes at a 30 s interval)."""
    return float(max(60.0, 4 * step_s))


def duration(seconds: float) -> str:
    """A PromQL duration: 60 -> '1m', 90 -> '90s', 7200 -> '2h'."""
    s = int(round(seconds))
    for unit, size in (("h", 3600), ("m", 60)):
        if s >= size and s % size == 0:
            return f"{s // size}{unit}"
    return f"{s}s"


def quote(value: str) -> str:
    """A PromQL string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def matchers(extra: str, namespace_label: str = "namespace", namespace: str | None = None) -> list[str]:
    """Label matchers for every query: the configured ones plus the namespace, if any."""
    out = [m.strip() for m in _split_matchers(extra) if m.strip()]
    if namespace:
        out.append(f"{namespace_label}={quote(namespace)}")
    return out


def _split_matchers(text: str) -> list[str]:
    """Split 'a="x,y", b=~"z"' on commas outside quotes."""
    parts, cur, in_q, esc = [], "", False, False
    for ch in text:
        if esc:
            cur += ch
            esc = False
        elif ch == "\\":
            cur += ch
            esc = True
        elif ch == '"':
            cur += ch
            in_q = not in_q
        elif ch == "," and not in_q:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return parts


def selector(metric: str, label_matchers: list[str]) -> str:
    inner = ", ".join(label_matchers)
    return f"{metric}{{{inner}}}" if inner else metric


def any_series(label_matchers: list[str]) -> str:
    """A selector for every series (optionally narrowed): {__name__=~".+", ...}."""
    return "{" + ", ".join(['__name__=~".+"'] + label_matchers) + "}"


def metric_kind(name: str, meta_type: str = "") -> str:
    """counter | histogram | gauge, from the metadata type where known, else the name."""
    if BUCKET_SUFFIX.search(name) and meta_type in ("", "histogram", "unknown", "counter"):
        return "histogram"
    if meta_type == "counter" or (meta_type in ("", "unknown", "histogram", "summary") and COUNTER_SUFFIX.search(name)):
        return "counter"
    return "gauge"


def stored_name(name: str, kind: str, range_s: float, quantile: float | None = None) -> str:
    if kind == "counter":
        return f"{name}:rate{duration(range_s)}"
    if kind == "histogram":
        q = f"{quantile * 100:g}".replace(".", "_")
        return f"{BUCKET_SUFFIX.sub('', name)}:p{q}"
    return name


def aggregate_query(metric: str, kind: str, label_matchers: list[str], group_by: list[str], range_s: float,
                    quantile: float | None = None, k: int | None = None, window: tuple[float, float] | None = None,
                    step_s: float | None = None) -> str:
    """The pushed-down query for one metric: one series per (group_by) combination.

    With `k` (the metric is over its share of the series budget) only k series come back,
    the same k at every step: those whose peak over `window` (start, end) is highest, chosen
    by one `topk(k, max_over_time(...[window:step] @ end))` evaluated at the window's end.
    Without a window, plain topk (which may pick different series at different steps).
    """
    sel = selector(metric, label_matchers)
    by = ", ".join(group_by)
    rng = duration(range_s)
    keys = list(group_by)
    if kind == "counter":
        query = f"sum by ({by}) (rate({sel}[{rng}]))"
    elif kind == "histogram":
        query = f"histogram_quantile({quantile:g}, sum by ({by}, le) (rate({sel}[{rng}])))"
    else:
        extra = "" if "quantile" in group_by else ", quantile"
        keys += [] if "quantile" in group_by else ["quantile"]
        query = f"avg by ({by}{extra}) ({sel})"
    if k is not None and window is not None:
        start, end = window
        span, res = duration(max(1.0, end - start)), duration(step_s or step_for(end - start))
        return f"{query} and on ({', '.join(keys)}) topk({int(k)}, max_over_time(({query})[{span}:{res}] @ {end:.3f}))"
    if k is not None:
        query = f"topk({int(k)}, {query})"
    return query


_SELECTOR = re.compile(r'^\s*[a-zA-Z_:][a-zA-Z0-9_:]*\s*(\{(?:[^{}"]|"(?:[^"\\]|\\.)*")*\})?\s*$'
                       r'|^\s*\{(?:[^{}"]|"(?:[^"\\]|\\.)*")*\}\s*$')


def is_selector(expr: str) -> bool:
    """Is `expr` a plain instant-vector selector (name{matchers}), not a function or operator?"""
    return bool(_SELECTOR.match(expr))


def valid_label(name: str) -> bool:
    return bool(_LABEL.match(name))


def allocate(counts: dict[str, int], budget: int) -> dict[str, int | None]:
    """Share a series budget across metrics (water-filling, small metrics first).

    Returns, per metric, None when all its series fit, else the k of a topk() cap.
    """
    alloc: dict[str, int | None] = {}
    remaining = max(0, int(budget))
    items = sorted(counts.items(), key=lambda kv: (kv[1], kv[0]))
    for i, (name, count) in enumerate(items):
        share = remaining // max(1, len(items) - i)
        take = min(count, max(1, share))
        alloc[name] = None if take >= count else take
        remaining = max(0, remaining - take)
    return alloc
