"""Regular time grids handed from the store to the analytics: plain numpy, no I/O."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SeriesKey:
    """One metric series: name, service, pod ('' if none) and the other labels, sorted."""

    metric: str
    service: str
    pod: str = ""
    labels: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_row(cls, metric: str, service: str, pod: str, labels_json: str) -> "SeriesKey":
        labels = json.loads(labels_json) if labels_json and labels_json != "{}" else {}
        return cls(metric, service, pod, tuple(sorted((k, str(v)) for k, v in labels.items())))

    def label(self, name: str, default: str = "") -> str:
        return dict(self.labels).get(name, default)

    def __str__(self) -> str:
        parts = [("service", self.service)] + ([("pod", self.pod)] if self.pod else []) + list(self.labels)
        inner = ",".join(f'{k}="{v}"' for k, v in parts if v != "")
        return f"{self.metric}{{{inner}}}"


@dataclass(frozen=True)
class MetricGrid:
    """values[i, j] = mean of series keys[i] over [timestamps[j], timestamps[j] + step).

    NaN where a bucket has no sample. is_rate[i] tells that series i was a counter shown
    as a per-second rate (only with counter_rates=True).
    """

    timestamps: np.ndarray      # [T] float64 bucket starts, unix seconds
    keys: list[SeriesKey]
    values: np.ndarray          # [N, T] float64
    is_rate: np.ndarray         # [N] bool
    step: float

    def __len__(self) -> int:
        return len(self.keys)

    def select(self, metric: str | None = None, service: str | None = None) -> list[int]:
        """Row indices whose key matches the given metric and/or service."""
        return [i for i, k in enumerate(self.keys)
                if (metric is None or k.metric == metric) and (service is None or k.service == service)]


@dataclass(frozen=True)
class LogCountGrid:
    """counts[i, j] = log records of group keys[i] (values of `by`) in bucket j."""

    timestamps: np.ndarray      # [T] float64 bucket starts
    by: tuple[str, ...]
    keys: list[tuple[str, ...]]
    counts: np.ndarray          # [N, T] int64
    step: float


def bucket_count(start: float, end: float, step: float) -> int:
    if not step > 0:
        raise ValueError(f"step must be > 0, got {step!r}")
    if not end > start:
        raise ValueError(f"end {end!r} must be after start {start!r}")
    return max(1, int(np.ceil((end - start) / step - 1e-9)))


def grid_from_rows(rows: dict[str, np.ndarray], key_cols: tuple[str, ...], n_buckets: int,
                   value_col: str, fill: float | int) -> tuple[list[tuple], np.ndarray, np.ndarray]:
    """Rows sorted by key then bucket `b` -> (keys, [N, T] matrix, row index of each input row)."""
    n = len(rows["b"])
    if n == 0:
        return [], np.full((0, n_buckets), fill), np.zeros(0, dtype=np.int64)
    change = np.zeros(n, dtype=bool)
    change[0] = True
    for col in key_cols:
        arr = rows[col]
        change[1:] |= arr[1:] != arr[:-1]
    sid = np.cumsum(change) - 1
    firsts = np.flatnonzero(change)
    keys = [tuple(rows[c][i] for c in key_cols) for i in firsts]
    values = np.ma.filled(np.ma.asarray(rows[value_col]).astype(np.float64), np.nan)
    matrix = np.full((len(keys), n_buckets), fill, dtype=np.float64 if isinstance(fill, float) else np.int64)
    b = np.clip(np.asarray(rows["b"], dtype=np.int64), 0, n_buckets - 1)
    matrix[sid, b] = values
    return keys, matrix, sid
