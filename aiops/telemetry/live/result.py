"""What a fetch or a health check returns (habit 2: expected failures are values)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FetchStatus = str   # ok | no_data | error


@dataclass(frozen=True)
class Health:
    ok: bool
    message: str
    latency_s: float = 0.0
    version: str = ""

    def __iter__(self):
        """`ok, message = source.health()` works."""
        return iter((self.ok, self.message))


@dataclass
class Batch:
    """What one fetch brought back, shaped like the bundle formats (loaded by `ingest.load_batch`).

    Sources never write to the store themselves: a source that answers after the deadline
    is simply dropped, and a failed fetch never leaves half its rows behind.
    """

    metrics: list[dict[str, Any]] = field(default_factory=list)   # Prometheus matrix series
    logs: list[dict[str, Any]] = field(default_factory=list)      # logs.jsonl records
    spans: list[dict[str, Any]] = field(default_factory=list)     # spans.jsonl records
    events: list[dict[str, Any]] = field(default_factory=list)    # events.jsonl records
    files: list[tuple[str, str]] = field(default_factory=list)    # (path, bundle format name)

    def __len__(self) -> int:
        return len(self.metrics) + len(self.logs) + len(self.spans) + len(self.events) + len(self.files)


@dataclass
class FetchResult:
    """One source's fetch: status, what it brought back, queries run, problems.

    `problems` are gaps of a fetch that otherwise worked (some queries failed, data ends
    early, a cap was hit); with status `error` the whole source is missing (`message`).
    `rows` is filled when the batch is loaded into a store.
    """

    source: str                                   # "prometheus 'main'"
    status: FetchStatus = "ok"
    message: str = ""
    rows: dict[str, int] = field(default_factory=dict)
    queries: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    batch: Batch = field(default_factory=Batch)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def add_rows(self, table: str, n: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + int(n)

    def summary(self) -> str:
        if self.status == "error":
            return self.message
        parts = [f"{n} {t}" for t, n in sorted(self.rows.items()) if n]
        text = ", ".join(parts) if parts else (self.message or "no data in the window")
        if self.problems:
            text += f" ({len(self.problems)} problem{'s' if len(self.problems) > 1 else ''}: {self.problems[0]})"
        return text

    def missing(self) -> list[str]:
        """Missing-evidence lines for the diagnosis: the whole source, or its gaps."""
        if self.status == "error":
            return [f"{self.source}: {self.message}"]
        out = [f"{self.source}: {p}" for p in self.problems]
        if self.status == "no_data":
            out.append(f"{self.source}: {self.message or 'no data in the window'}")
        return out

    def finish(self) -> "FetchResult":
        """Settle the status from what the batch holds (error/no_data set explicitly stay)."""
        if self.status == "ok" and len(self.batch) == 0:
            self.status = "no_data"
            if not self.message:
                self.message = "no data in the window"
        return self


def error_result(source: str, message: str, queries: list[str] | None = None) -> FetchResult:
    return FetchResult(source=source, status="error", message=message, queries=list(queries or []))
