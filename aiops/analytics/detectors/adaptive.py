"""The adaptive detector: window statistics judged against their own recent history, in episodes.

For one entity with N value columns [N, T] (one series, or several sensors scored jointly):

1. channels (`window_tails.window_channels`): per column, trailing means over 1, 8 and 32
   points and the trailing mean absolute step over 32 points; and once a column shows a
   season (autocorrelation over three cycles, looked for after the warm-up and at every
   doubling of the points seen), trailing means over 8 and 32 points of its seasonal
   residual — the value minus the median of the same phase in the last three cycles —
   so a cycle that goes flat or misses its usual jump shows although its values do not;
2. every `every` points, each channel's reference is the median of its last `reference`
   *normal* values (ending one window before now), and its deviation from it is judged by
   an exponential tail model refitted every `tail_every` points on its last `history`
   normal deviations (those of the last `guard` points left out, so that the start of an
   anomaly is not learnt before it is judged); the smallest probability over channels,
   times the number of channels in use (Bonferroni), is the point's p-value, and
   score = (1 - p) ** 1440 as in `ScoreCalibrator`: 0.9 is what a day of normal minutes
   would reach one time in ten, the same for every series;
3. an *episode* of a column starts when its p-value passes the level (from the score
   threshold) on a channel whose value is also **new** — outside everything that channel
   showed over its history (a square wave's switch or a recurring burst has been seen
   before; a level shift, a spike or a flat spell has not) — and not within `refractory`
   points of the column's previous episode (the way back from an anomaly is part of it).
   While a column is in an episode its points are not normal: its reference and tails stay
   frozen, so a long anomaly is judged against the behaviour before it. The episode ends
   `release_after` points after the column last had a channel that was still significant
   (p <= `release_factor` x the level), still at least `release_share` of that channel's
   peak deviation, and still outside the range it showed before the episode; one that
   lasts `max_episode` points is accepted as the new normal (its points then serve as the
   reference, never as tail history). The first `warmup` points only learn.

Outside episodes a point's score counts only new values; inside, it is the point's
surprise against the frozen normal. The entity's state is "some column is in an episode";
`start` marks the first point of each (a monitor alerts once per episode, not on every
anomalous point). Learning can be stopped at `learn_until` (the non-causal mode: the
baseline's behaviour judges everything after it).

HTM's anomaly likelihood, windowed Gaussians and ARTime's suppression after a detection
are the models for steps 2 and 3; the parameters were chosen on SKAB, synthetic NAB-like
series and PetShop's real CloudWatch series together (bench/bench_skab.py,
bench/bench_alarms.py), one configuration for all.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from aiops.analytics.detectors.base import Detector, as_series
from aiops.analytics.detectors.robust_stats import nan_median
from aiops.analytics.detectors.window_tails import (
    Channels,
    trailing_mean,
    LEVEL_WINDOWS,
    STEP_WINDOWS,
    fit_tails,
    tail_probability,
    window_channels,
)

REFERENCE_POINTS = 1440        # a score of s means: R normal points all stay below with chance s
REL_FLOOR = 1e-3               # deviations below 0.1 % of the level are never surprising by themselves
ABS_FLOOR = 1e-9


@dataclass(frozen=True)
class Episodes:
    """Result of `AdaptiveEpisodes.run` for one entity (length T arrays)."""

    score: np.ndarray     # 0..1 per point
    p_value: np.ndarray   # Bonferroni-corrected per-point p-value (1 = unremarkable)
    state: np.ndarray     # bool: inside an anomalous episode
    start: np.ndarray     # bool: first point of an episode
    columns: np.ndarray   # [N, T] bool: which columns are in an episode


def score_from_p(p: np.ndarray, reference_points: int = REFERENCE_POINTS) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.exp(reference_points * np.log1p(-np.clip(p, 0.0, 1.0 - 1e-16)))


def p_for_score(score: float, reference_points: int = REFERENCE_POINTS) -> float:
    return float(-np.expm1(np.log(score) / reference_points))


class AdaptiveEpisodes:
    """The engine; see the module docstring. Parameters are in points."""

    def __init__(
        self,
        level: float = 0.9,
        level_windows: tuple[int, ...] = LEVEL_WINDOWS,
        step_windows: tuple[int, ...] = STEP_WINDOWS,
        warmup: int = 300,
        reference: int = 100,
        history: int = 2000,
        every: int = 10,
        tail_every: int = 50,
        tail_share: float = 0.02,
        min_tail: int = 10,
        spread_floor: float = 0.3,
        release_factor: float = 10.0,
        release_after: int = 10,
        release_share: float = 0.7,
        max_episode: int = 500,
        refractory: int = 50,
        guard: int | None = None,
        season_windows: tuple[int, ...] = (8, 32),
        season_cycles: int = 3,
    ) -> None:
        if not 0.0 < level < 1.0:
            raise ValueError(f"level must be between 0 and 1, not {level!r}")
        if not level_windows or min(level_windows) < 1 or min(step_windows, default=1) < 1:
            raise ValueError("window lengths must be >= 1 point")
        if warmup < 10 or reference < 3 or history < 30 or every < 1 or max_episode < 1:
            raise ValueError("warmup >= 10, reference >= 3, history >= 30, every >= 1, max_episode >= 1 are required")
        self.level = float(level)
        self.level_windows = tuple(int(w) for w in level_windows)
        self.step_windows = tuple(int(w) for w in step_windows)
        self.warmup, self.reference, self.history = int(warmup), int(reference), int(history)
        self.every, self.tail_every = int(every), max(int(every), int(tail_every))
        self.tail_share, self.min_tail, self.spread_floor = float(tail_share), int(min_tail), float(spread_floor)
        self.release_factor, self.release_after = float(release_factor), int(release_after)
        self.release_share, self.max_episode = float(release_share), int(max_episode)
        self.refractory = int(refractory)
        self.season_windows = tuple(int(w) for w in season_windows)
        self.season_cycles = int(season_cycles)
        self.guard = max(self.level_windows + self.step_windows) if guard is None else int(guard)

    def run(self, values: np.ndarray, learn_until: int | None = None) -> Episodes:
        x = np.atleast_2d(np.asarray(values, dtype=float))
        n_cols, n = x.shape
        ch = window_channels(x, self.level_windows, self.step_windows)
        n_base_ch = ch.values.shape[0]
        if self.season_windows:
            k = len(self.season_windows)
            ch = Channels(
                values=np.concatenate([ch.values, np.full((n_cols * k, n), np.nan)], axis=0),
                window=np.concatenate([ch.window, np.repeat(np.asarray(self.season_windows, dtype=np.int64), n_cols)]),
                column=np.concatenate([ch.column, np.tile(np.arange(n_cols), k)]),
                kind=np.concatenate([ch.kind, np.full(n_cols * k, 2, dtype=np.int8)]),
            )
        n_ch = ch.values.shape[0]
        periods = np.zeros(n_cols, dtype=np.int64)
        next_season_check = self.warmup
        state = _State(n_cols, n_ch, n)
        learn_end = n if learn_until is None else max(0, min(int(learn_until), n))
        p_enter = p_for_score(self.level)
        p_release = min(1.0, p_enter * self.release_factor)
        min_tail = np.maximum(self.min_tail, 2 * ch.window)
        groups = [(c, w, np.flatnonzero((ch.column == c) & (ch.window == w))) for c in range(n_cols)
                  for w in np.unique(ch.window[ch.column == c])]
        tails = None
        t = min(n, max(self.every, max(self.level_windows)))
        last_tails = -self.tail_every
        while t < n:
            t1 = min(n, t + self.every)
            if t < self.warmup < t1:
                t1 = self.warmup   # judging starts exactly at the end of the warm-up
            ref = self._references(ch, state, groups, t, learn_end)
            state.dev[:, t:t1] = ch.values[:, t:t1] - ref[:, None]
            if t >= self.warmup:
                if self.season_windows and t >= next_season_check and (periods == 0).any():
                    self._find_seasons(x, ch, periods, min(t, learn_end), n_base_ch)
                    next_season_check = 2 * t
                if tails is None or t - last_tails >= self.tail_every:
                    tails = self._tails(ch, state, ref, min_tail, t, learn_end)
                    last_tails = t
                n_tests = n_base_ch + len(self.season_windows) * int(np.count_nonzero(periods))
                p = np.minimum(tail_probability(state.dev[:, t:t1], tails) * n_tests, 1.0)
                new, hi, lo = self._news(ch, t, t1, learn_end)
                self._step(state, ch, p, new, t, t1, p_enter, p_release, learn_end, hi, lo)
            t = t1
        p_value = np.where(state.pv < 1.0, state.pv, 1.0)
        return Episodes(score_from_p(p_value), p_value, state.any_on, state.starts, state.col_on)

    def _news(self, ch, t, t1, learn_end) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Which values of the block [t, t1) lie outside all their channel showed over its history."""
        seen_end = min(t, learn_end)
        seen = ch.values[:, max(0, seen_end - self.history) : seen_end]
        block = ch.values[:, t:t1]
        if not seen.shape[1]:
            nan = np.full(block.shape[0], np.nan)
            return ~np.isnan(block), nan, nan
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)   # a channel with no value yet
            hi, lo = np.nanmax(seen, axis=1), np.nanmin(seen, axis=1)
        new = (~(block <= hi[:, None]) | ~(block >= lo[:, None])) & ~np.isnan(block)
        return new, hi, lo

    def _find_seasons(self, x, ch, periods, t, n_base_ch) -> None:
        """Look for a season in the first t points of each column still without one; fill its channels
        (the residual at every point uses only earlier cycles, so filling the past is still causal)."""
        from aiops.analytics.detectors.seasonality import estimate_period, seasonal_naive

        todo = np.flatnonzero(periods == 0)
        found = estimate_period(x[todo, :t], min_cycles=self.season_cycles)
        for col, p in zip(todo, found):
            if p <= 0:
                continue
            periods[col] = p
            resid = x[col : col + 1] - seasonal_naive(x[col : col + 1], int(p), self.season_cycles)
            for k, w in enumerate(self.season_windows):
                ch.values[n_base_ch + k * x.shape[0] + col] = trailing_mean(resid, w)[0]

    # ---- references and tails -----------------------------------------------------------
    def _references(self, ch, state, groups, t, learn_end) -> np.ndarray:
        """Median of each channel's last `reference` normal values ending one window before t."""
        vals = np.full((ch.values.shape[0], self.reference), np.nan)
        span = self.reference + self.max_episode
        for col, w, rows in groups:
            hi = min(max(0, t - int(w)), learn_end)
            lo = max(0, hi - span)
            idx = lo + np.flatnonzero(state.ref_ok[col, lo:hi])[-self.reference :]
            if idx.size >= 3:
                vals[np.ix_(rows, np.arange(idx.size))] = ch.values[np.ix_(rows, idx)]
        ref, count = nan_median(vals)
        return np.where(count >= 3, ref, np.nan)

    def _tails(self, ch, state, ref, min_tail, t, learn_end):
        hi = min(max(0, t - self.guard), learn_end)
        lo = max(0, hi - self.history - self.max_episode)
        hist = np.full((ch.values.shape[0], self.history), np.nan)
        for col in range(state.tail_ok.shape[0]):
            idx = lo + np.flatnonzero(state.tail_ok[col, lo:hi])[-self.history :]
            rows = np.flatnonzero(ch.column == col)
            if idx.size:
                hist[np.ix_(rows, np.arange(idx.size))] = state.dev[np.ix_(rows, idx)]
        floor = np.maximum(REL_FLOOR * np.abs(np.nan_to_num(ref)), ABS_FLOOR)
        return fit_tails(hist, min_tail, self.tail_share, floor, self.spread_floor)

    # ---- the episode state machine ---------------------------------------------------------
    def _step(self, st, ch, p, new, t, t1, p_enter, p_release, learn_end, seen_hi, seen_lo) -> None:
        n_cols = st.on.shape[0]
        col_of = ch.column
        absdev = np.abs(np.nan_to_num(st.dev[:, t:t1]))
        col_p = np.ones((n_cols, t1 - t))
        col_enter = np.ones((n_cols, t1 - t))
        np.minimum.at(col_p, col_of, p)
        np.minimum.at(col_enter, col_of, np.where(new, p, 1.0))
        for j in range(t1 - t):
            i = t + j
            on = st.on
            if on.any():
                rows = on[col_of]
                st.peak[rows] = np.maximum(st.peak[rows], absdev[rows, j])
                v = ch.values[:, i]
                strong = (rows & (p[:, j] <= p_release) & (absdev[:, j] > self.release_share * st.peak)
                          & ~((v <= st.pre_hi) & (v >= st.pre_lo)))
                busy = np.zeros(n_cols, dtype=bool)
                busy[col_of[strong]] = True
                st.quiet[on] = np.where(busy[on], 0, st.quiet[on] + 1)
                st.length[on] += 1
                # past `learn_until` nothing is learnt, so nothing becomes the new normal either
                accept = (st.length >= self.max_episode) & (i < learn_end)
                ending = on & ((st.quiet >= self.release_after) | accept)
                for col in np.flatnonzero(ending):
                    if accept[col]:
                        st.ref_ok[col, st.begun[col] : i] = True   # accepted as the new normal
                    st.on[col] = False
                    st.ended[col] = i
            entering = ~st.on & (col_enter[:, j] <= p_enter) & (i - st.ended >= self.refractory)
            if entering.any():
                st.on |= entering
                st.begun[entering] = i
                st.length[entering] = 1
                st.quiet[entering] = 0
                st.peak[entering[col_of]] = absdev[entering[col_of], j]
                sel = entering[col_of]
                st.pre_hi[sel] = seen_hi[sel]
                st.pre_lo[sel] = seen_lo[sel]
            on_now = st.on
            st.col_on[:, i] = on_now
            st.ref_ok[:, i] = ~on_now & (i < learn_end)
            st.tail_ok[:, i] = st.ref_ok[:, i]
            any_on = bool(on_now.any())
            st.any_on[i] = any_on
            if any_on and not st.was_on:
                st.starts[i] = True
            st.was_on = any_on
            # in an episode the point is judged against the frozen normal; outside it only news counts
            st.pv[i] = min(col_p[on_now, j].min(initial=1.0), col_enter[~on_now, j].min(initial=1.0))


class _State:
    def __init__(self, n_cols: int, n_ch: int, n: int) -> None:
        self.dev = np.full((n_ch, n), np.nan)
        self.ref_ok = np.ones((n_cols, n), dtype=bool)
        self.tail_ok = np.ones((n_cols, n), dtype=bool)
        self.on = np.zeros(n_cols, dtype=bool)
        self.begun = np.zeros(n_cols, dtype=np.int64)
        self.length = np.zeros(n_cols, dtype=np.int64)
        self.quiet = np.zeros(n_cols, dtype=np.int64)
        self.ended = np.full(n_cols, -(10**9), dtype=np.int64)
        self.peak = np.zeros(n_ch)
        self.pre_hi = np.full(n_ch, np.nan)
        self.pre_lo = np.full(n_ch, np.nan)
        self.col_on = np.zeros((n_cols, n), dtype=bool)
        self.any_on = np.zeros(n, dtype=bool)
        self.starts = np.zeros(n, dtype=bool)
        self.pv = np.ones(n)
        self.was_on = False


class AdaptiveDetector(Detector):
    """`AdaptiveEpisodes` behind the common interface: each row is its own entity.

    Raw scores are already calibrated: the z whose two-sided normal tail is the point's
    p-value (so `ScoreCalibrator.probability` gives back the engine's score). Non-causal
    scoring learns from the fitted baseline only and judges the rest against it.
    """

    name = "adaptive"
    calibrated = True

    def __init__(self, **params: object) -> None:
        super().__init__()
        self.engine = AdaptiveEpisodes(**params)  # type: ignore[arg-type]
        self._baseline: np.ndarray | None = None

    def _rows(self, x: np.ndarray, learn_until: int | None) -> np.ndarray:
        from scipy.special import ndtri

        p = np.vstack([self.engine.run(row[None, :], learn_until=learn_until).p_value for row in x]) if x.shape[0] else x
        return ndtri(1.0 - np.clip(p, 1e-300, 1.0) / 2.0)

    def _fit(self, x: np.ndarray, ts: np.ndarray) -> None:
        self._baseline = x.copy()

    def _score(self, x: np.ndarray, ts: np.ndarray) -> np.ndarray:
        base = self._baseline if self._baseline is not None else x[:, :0]
        z = self._rows(np.concatenate([base, x], axis=1), learn_until=base.shape[1])
        return z[:, base.shape[1] :]

    def _score_causal(self, x: np.ndarray, ts: np.ndarray) -> np.ndarray:
        return self._rows(x, learn_until=None)

    def fit_score(self, values: object, timestamps: object | None, baseline_end: float) -> np.ndarray:
        x, ts, squeeze = as_series(values, timestamps)
        n_base = int(np.searchsorted(ts, baseline_end, side="left"))
        self._baseline, self._n_series = x[:, :n_base].copy(), x.shape[0]
        out = self._rows(x, learn_until=n_base)
        out[np.isnan(x)] = np.nan
        return out[0] if squeeze else out
