"""`TelemetryReader`: what the agent, its tools and the release gate read from a store.

`aiops.telemetry.store.TelemetryStore` (DuckDB, filled from a bundle or live sources) is the
one implementation; the protocol names the read side only, so code that reads telemetry
says so in its signature without reaching for the store's writing half.
"""

from __future__ import annotations

from typing import Any, Protocol, Sequence

import numpy as np

from aiops.telemetry.grids import LogCountGrid, MetricGrid


class TelemetryReader(Protocol):
    def sql(self, query: str, params: dict[str, Any] | Sequence[Any] | None = None) -> dict[str, np.ndarray]:
        """A read query; columns as numpy arrays."""

    def time_range(self) -> tuple[float, float] | None:
        """Earliest and latest time in any table, or None when empty."""

    def services(self) -> list[str]:
        """Every non-empty service name in any table, sorted."""

    def metric_names(self) -> list[str]: ...

    def metric_span(self, start: float, end: float) -> tuple[float, float, float] | None:
        """(first, last sample time, median sampling interval) in [start, end), or None."""

    def metric_grid(self, start: float, end: float, step: float, metrics: str | Sequence[str] | None = None,
                    services: str | Sequence[str] | None = None, counter_rates: bool = False) -> MetricGrid: ...

    def log_records(self, start: float | None = None, end: float | None = None,
                    service: str | Sequence[str] | None = None, limit: int | None = None,
                    levels: Sequence[str] | None = None) -> dict[str, np.ndarray]: ...

    def log_count_grid(self, start: float, end: float, step: float,
                       by: Sequence[str] = ("service", "level")) -> LogCountGrid: ...

    def span_table(self, start: float | None = None, end: float | None = None,
                   service: str | Sequence[str] | None = None) -> dict[str, np.ndarray]: ...

    def events(self, start: float | None = None, end: float | None = None) -> list[dict[str, Any]]: ...
