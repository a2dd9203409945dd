"""Where an incident window's baseline ends, and when the symptom began.

The one rule every scan, tool and ranking of a run reads (the run state computes it once
per run). Before `baseline_end` is how the system normally behaves; after it, what changed.
"""

from __future__ import annotations

from aiops.domain import TimeWindow

MIN_BASELINE_SHARE = 0.3      # of the data before the onset, always kept as baseline
LEAD_S = 120.0                # the baseline ends this long before the reported onset
SEARCH_LEAD_S = 300.0         # a change point is looked for from this long before the onset on
NO_ONSET_SEARCH_SHARE = 0.4   # ... and, without an onset, over this share of the window
SHORT_BASELINE_S = 120.0      # a signal whose data begins this close before its split has no clean
                              # baseline (an export of the last minutes often begins after the fault) ...
UNCOMPARED_WEIGHT = 0.5       # ... and what it shows with nothing to compare with weighs this much


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


def signal_baseline_end(baseline_end: float, onset: float | None, first_ts: float) -> float:
    """Where the baseline of one signal whose data begins at `first_ts` ends: the run's
    baseline end, but never more than half of what that signal has before the onset (spans
    and logs often begin under a minute before the alert, metrics minutes before)."""
    if onset is None or not first_ts < onset:
        return baseline_end
    return max(baseline_end, onset - 0.5 * (onset - first_ts))


def short_baseline(split: float, first_ts: float) -> bool:
    """Does a signal whose data begins at `first_ts` hold too little before `split` to say
    what changed (SHORT_BASELINE_S)? Then what it shows now is named uncompared."""
    return split - first_ts < SHORT_BASELINE_S


def onset_search(baseline_end: float, onset: float | None, window: TimeWindow) -> tuple[float, float]:
    """(hint, lead_s) for a change-point search: from `lead_s` before the onset (the alert may
    fire late) to just after it; without an onset, around the baseline end, widely."""
    if onset is not None:
        return onset, SEARCH_LEAD_S
    return baseline_end, NO_ONSET_SEARCH_SHARE * window.seconds
