"""A series that stops (a pod the rollout retired, a target that went away) is routine: the
shift scan reads it without printing numpy warnings on the user's terminal."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from aiops.analytics.shift import scan_shifts


def test_a_series_that_ends_early_is_scanned_without_runtime_warnings() -> None:
    ts = np.arange(60) * 15.0
    ended = np.array([[1.0, 2.0, 3.0, 2.0] * 10 + [np.nan] * 20])
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        scan = scan_shifts(ended, ts, 450.0)
    assert len(scan.score) == 1
    assert [str(w.message) for w in seen if issubclass(w.category, RuntimeWarning)] == []
