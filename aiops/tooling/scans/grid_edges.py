"""Where a metric grid's data begins and ends: the export's last buckets, a new pod's first."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from aiops.telemetry.grids import MetricGrid

STARTUP_S = 120.0        # a pod that began inside the window warms up (JIT, caches, pools) this long


def until_the_data_ends(grid: MetricGrid) -> MetricGrid:
    """The grid cut where the export ends: the last bucket in which at least half as many
    series report as usually do. Exporters stop at slightly different times; a series missing
    from the last bucket or two of an export has not gone down, the export has ended."""
    if grid.values.shape[1] < 3:
        return grid
    cover = np.isfinite(grid.values).sum(axis=0)
    usual = float(np.median(cover[cover > 0])) if (cover > 0).any() else 0.0
    full = np.flatnonzero(cover >= 0.5 * usual)
    last = int(full[-1]) + 1 if len(full) else cover.shape[0]
    if last >= cover.shape[0]:
        return grid
    return replace(grid, values=grid.values[:, :last], timestamps=grid.timestamps[:last])


def without_startup(grid: MetricGrid) -> MetricGrid:
    """The grid without the first STARTUP_S of every pod that began inside it (a rollout's or
    a restart's new replica: none of its series has a sample in the grid's first bucket; a
    counter's rate begins a bucket after its first sample). A new pod's warm-up (CPU of a JIT
    compiler, an empty cache's latency) is neither its baseline nor a change."""
    finite = np.isfinite(grid.values)
    if finite.shape[1] < 2:
        return grid
    has = finite.any(axis=1)
    first = np.where(has, finite.argmax(axis=1) - grid.is_rate.astype(np.int64), finite.shape[1])
    born: dict[tuple[str, str], int] = {}
    for i, k in enumerate(grid.keys):
        if k.pod and has[i]:
            born[(k.service, k.pod)] = min(born.get((k.service, k.pod), int(first[i])), int(first[i]))
    late = {pod: b for pod, b in born.items() if b >= 1}
    if not late:
        return grid
    values = grid.values.copy()
    for i, k in enumerate(grid.keys):
        b = late.get((k.service, k.pod))
        if b is not None:
            values[i, grid.timestamps < grid.timestamps[b] + STARTUP_S] = np.nan
    return replace(grid, values=values)
