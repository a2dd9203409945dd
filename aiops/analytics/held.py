"""Memory that stepped up and held its level after the onset (`metrics.scan` tags it `held`)."""

from __future__ import annotations

from typing import Iterable

import numpy as np

from aiops.analytics.shift import ShiftScan

HOLD_SHARE = 0.25        # memory that climbed on after its step by less than this share of it held its level
HOLD_MIN = 1             # ... judged on at least this many samples in each half after the onset


def held_steps(values: np.ndarray, timestamps: np.ndarray, scan: ShiftScan, rows: Iterable[int]) -> set[int]:
    """Memory that rose in a step and then held its new level (a cache warming up, a bigger
    working set), not memory that kept climbing after the onset (a leak) nor memory that fell
    back (a killed container's restart). The samples after the onset are split in halves: the
    later half may add at most HOLD_SHARE of the step to the earlier one, and never falls
    halfway back to the baseline."""
    out: set[int] = set()
    for i in rows:
        if not (scan.valid[i] and scan.direction[i] > 0 and np.isfinite(scan.onset[i])):
            continue
        after = values[i, timestamps >= scan.onset[i]]
        after = after[np.isfinite(after)]
        if len(after) < 2 * HOLD_MIN:
            continue
        half = len(after) // 2
        early, late = float(np.median(after[:half])), float(np.median(after[half:]))
        step = early - float(scan.base_median[i])
        fell_back = float(after[half:].min()) <= scan.base_median[i] + step / 2
        if step > 0 and late - early <= HOLD_SHARE * step and not fell_back:
            out.add(int(i))
    return out
