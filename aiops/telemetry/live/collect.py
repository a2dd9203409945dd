"""Fill a TelemetryStore from live sources: every source at once, each bounded in time.

    results = collect(sources, window, scope, store, deadline_s=60)

Sources fetch concurrently; each result is loaded into the store as it arrives (one
transaction per source). A source that fails — down, slow beyond its timeout, 5xx,
truncated or unusable data, or no answer before the deadline — becomes a named line of
missing evidence; the others still load. Nothing here raises for an expected failure.
"""

from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

from aiops.domain import TimeWindow
from aiops.errors import AiopsError, one_line
from aiops.telemetry.live.base import FetchScope, LiveSource
from aiops.telemetry.live.result import FetchResult, Health, error_result


@dataclass
class Collected:
    results: list[FetchResult] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, result: FetchResult) -> None:
        self.results.append(result)
        self.missing.extend(result.missing())
        if result.status != "error":
            self.notes.append(f"{result.source}: {result.summary()} in {result.duration_s:.1f} s")


def _timed_fetch(source: LiveSource, window: TimeWindow, scope: FetchScope) -> FetchResult:
    t0 = time.perf_counter()
    try:
        result = source.fetch(window, scope)
    except AiopsError as exc:
        result = error_result(source.label, exc.message)
    except Exception as exc:  # noqa: BLE001 - a source's bug must not sink the diagnosis either
        result = error_result(source.label, f"{exc.__class__.__name__}: {one_line(exc)[:200]}")
    result.duration_s = time.perf_counter() - t0
    return result


def fetch_all(sources: Sequence[LiveSource], window: TimeWindow, scope: FetchScope = FetchScope(),
              deadline_s: float | None = None) -> Iterator[FetchResult]:
    """Fetch every source concurrently; yield results as they finish, late sources as errors.

    Each source runs on a daemon thread: one that misses the deadline is abandoned (its
    request ends at its own timeout) and never holds up the answer or the exit.
    """
    done: queue.Queue[tuple[int, FetchResult]] = queue.Queue()
    pending = {i: s for i, s in enumerate(sources)}
    for i, source in pending.items():
        threading.Thread(target=lambda i=i, s=source: done.put((i, _timed_fetch(s, window, scope))),
                         name=f"aiops-source-{source.kind}-{source.name}", daemon=True).start()
    t0 = time.monotonic()
    while pending:
        left = None if deadline_s is None else max(0.0, deadline_s - (time.monotonic() - t0))
        try:
            i, result = done.get(timeout=left)
        except queue.Empty:
            for source in pending.values():
                late = error_result(source.label, f"no answer within {deadline_s:g} s (sources.deadline_s)")
                late.duration_s = time.monotonic() - t0
                yield late
            return
        pending.pop(i)
        yield result


def load_result(store: Any, result: FetchResult) -> FetchResult:
    """Load a result's batch into `store`; unusable data turns the result into an error."""
    from aiops.telemetry.live.ingest import load_batch

    if result.status == "error" or not len(result.batch):
        return result
    try:
        for table, n in load_batch(store, result.batch, result.source).items():
            result.add_rows(table, n)
    except AiopsError as exc:
        result.status, result.message = "error", exc.message
    result.batch = type(result.batch)()          # the rows live in the store now
    if result.status == "ok" and result.total_rows == 0:
        result.status, result.message = "no_data", result.message or "no data in the window"
    return result


def collect(sources: Sequence[LiveSource], window: TimeWindow, scope: FetchScope, store: Any,
            deadline_s: float | None = None) -> Collected:
    """Fetch every source into `store` (rows inside the window only); what came, what is missing."""
    out = Collected()
    for result in fetch_all(sources, window, scope, deadline_s):
        out.add(load_window(store, result, window))
    return out


def load_window(store: Any, result: FetchResult, window: TimeWindow) -> FetchResult:
    """load_result, then drop what lies outside the window (files hold more than the window)."""
    from aiops.telemetry.live.ingest import prune_to_window

    load_result(store, result)
    if result.total_rows:
        for table, n in prune_to_window(store, window).items():
            if n and table in result.rows:
                result.rows[table] = max(0, result.rows[table] - n)
        if result.status == "ok" and result.total_rows == 0:
            result.status, result.message = "no_data", "no data in the window"
    return result


def check_all(sources: Sequence[LiveSource]) -> list[tuple[LiveSource, Health]]:
    """Every source's health, checked concurrently, in the given order."""
    if not sources:
        return []
    with ThreadPoolExecutor(max_workers=len(sources), thread_name_prefix="aiops-health") as pool:
        futures = [(s, pool.submit(s.check)) for s in sources]
        return [(s, f.result()) for s, f in futures]
