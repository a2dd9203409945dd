"""Where an incident window's baseline ends, and when the symptom began.

The one rule every scan, tool and ranking of a run reads (the run state computes it once
per run). Before `baseline_end` is how the system normally behaves; after it, what changed.
"""

from __future__ import annotations

from aiops.domain import TimeWindow

MIN_BASELINE_SHARE = 0.3      # of the data before the onset, always kept as baseline
LEAD_S = 120.0                # the baseline ends this long before the reported onset


def split_window(window: TimeWindow, started_at: float | None, baseline_fraction: float) -> tuple[float, float | None]:
    """(baseline_end, onset). Without a reported onset inside the window the baseline is its
    first `baseline_fraction`. The culprit often moves before the symptom the alert saw: with
    an onset, the baseline ends a little earlier than it, keeping at least 30 % of the
    pre-onset data as baseline."""
    onset = started_at if started_at is not None and window.contains(started_at) else None
    if onset is None:
        return window.start + baseline_fraction * window.seconds, None
    pre = onset - window.start
    return window.start + max(MIN_BASELINE_SHARE * pre, pre - LEAD_S), onset
