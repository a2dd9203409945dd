"""When did a stream of events (log lines, errors) start to come faster? A CUSUM change point.

For event times t_1 <= ... <= t_n in [start, end] and the mean rate n / (end - start), the
cumulative excess `S_i = i - n (t_i - start) / (end - start)` falls while events come slower
than average and rises once they come faster: its minimum is the most likely moment a rate
increase began (the maximum-likelihood change point of a Poisson rate that steps up).
Unlike "the first line after the baseline", a stray line of background noise does not
make the onset early.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def rate_onset(times: Sequence[float] | np.ndarray, start: float, end: float) -> float | None:
    """Time at which the event rate stepped up (the first event of the faster stretch);
    None without events in [start, end]."""
    t = np.sort(np.asarray(times, dtype=float))
    t = t[(t >= start) & (t <= end)]
    n = len(t)
    if n == 0:
        return None
    if n == 1 or end <= start:
        return float(t[0])
    s = np.arange(n) - n * (t - start) / (end - start)
    return float(t[int(np.argmin(s))])
