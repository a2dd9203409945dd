"""Service-level series: the mean over a service's pods of one metric.

Per-pod series are the specific evidence (one bad pod); but a rollout or a restart
replaces pods, and the new pods' series have no history while the old ones' simply end,
so a bad deploy would be judged by nobody. The mean over the pods that report in each
bucket keeps one continuous series per (service, metric, labels) across such changes.
"""

from __future__ import annotations

import warnings
from typing import Hashable, Sequence

import numpy as np


def pod_means(values: np.ndarray, groups: Sequence[Hashable | None]) -> tuple[np.ndarray, list[Hashable]]:
    """Rows of `values` [N, T] averaged per group (NaN ignored); rows whose group is None
    and groups of a single row are left out. Returns ([G, T] means, the G groups)."""
    members: dict[Hashable, list[int]] = {}
    for i, g in enumerate(groups):
        if g is not None:
            members.setdefault(g, []).append(i)
    keep = [(g, rows) for g, rows in members.items() if len(rows) >= 2]
    t = values.shape[1] if values.ndim == 2 else 0
    if not keep:
        return np.zeros((0, t)), []
    out = np.empty((len(keep), t))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # all-NaN buckets stay NaN
        for j, (_, rows) in enumerate(keep):
            out[j] = np.nanmean(values[rows], axis=0)
    return out, [g for g, _ in keep]
