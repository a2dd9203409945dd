"""How much of a bundle is loaded: limits that keep memory bounded on huge inputs.

    with loading_limits(BundleLimits.from_settings(settings)):
        ...                                   # loaders call current_limits()

The limits travel in a context variable, so the loader contract (`loader(con, path, name)`)
stays as it is for plug-in formats. Where a limit is hit the loader says so, naming the
limit and the config key: a log file over `limits.max_log_records` is sampled (every k-th
record kept, stated in a warning); an OTLP JSON document over `limits.max_json_document_mb`
is refused (the collector's file exporter writes one small document a line); a log line over
`limits.max_line_kb` is cut (stated in a warning); a file with more than `limits.max_columns`
columns is refused.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Iterator


@dataclass(frozen=True)
class BundleLimits:
    max_log_records: int = 1_000_000          # per log file; more are sampled
    max_json_document_mb: int = 256           # one JSON document (OTLP) read whole
    max_line_kb: int = 64                     # a longer log line is cut (and a warning says so)
    max_columns: int = 1000                   # columns (labels, attributes) of one tabular file

    @classmethod
    def from_settings(cls, settings: Any) -> "BundleLimits":
        lim = getattr(settings, "limits", None)
        if lim is None:
            return cls()
        return cls(max_log_records=lim.max_log_records, max_json_document_mb=lim.max_json_document_mb,
                   max_line_kb=lim.max_line_kb, max_columns=lim.max_columns)

    @property
    def max_line_bytes(self) -> int:
        return self.max_line_kb * 1024

    @property
    def max_json_document_bytes(self) -> int:
        return self.max_json_document_mb * 1024 * 1024


_CURRENT: ContextVar[BundleLimits] = ContextVar("aiops_bundle_limits", default=BundleLimits())


def current_limits() -> BundleLimits:
    return _CURRENT.get()


@contextmanager
def loading_limits(limits: BundleLimits | None) -> Iterator[BundleLimits]:
    token = _CURRENT.set(limits or BundleLimits())
    try:
        yield _CURRENT.get()
    finally:
        _CURRENT.reset(token)


def sampling_step(total: int, limit: int) -> int:
    """The k of "every k-th record": the smallest that brings `total` to at most `limit`."""
    if total <= limit:
        return 1
    return -(-total // max(1, limit))
