"""`scan_series`: score many series against a baseline and summarise each one.

This is the diagnosis engine's entry point: values [N, T] on a shared time grid, a
baseline that ends at `baseline_end` (e.g. a little before the incident started), and back
come per-series arrays saying how anomalous each series got after the baseline, since
when, in which direction and by how much — the makings of `aiops.domain.Finding`s.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aiops.analytics.detectors.base import Detector, as_series
from aiops.analytics.detectors.calibration import ScoreCalibrator, run_length
from aiops.analytics.detectors.registry import get_detector
from aiops.analytics.detectors.robust_stats import location_scale, nan_median

MIN_BASELINE = 8        # fewer baseline points than this: score causally instead
CHUNK_ELEMENTS = 1 << 19  # series are scanned in row blocks of about this many values
BACKTRACK_Z = 2.0       # an onset extends back over same-sign points at least this strong


@dataclass(frozen=True)
class SeriesScan:
    """Per-series summary arrays (length N) from `scan_series`."""

    score: np.ndarray            # max calibrated score after the baseline, 0..1
    anomalous: np.ndarray        # bool: score >= threshold
    sustained: np.ndarray        # bool: some run of >= min_duration anomalous points
    onset: np.ndarray            # unix s: start of the first sustained run (else first anomalous point); NaN: none
    peak_at: np.ndarray          # unix s of the highest score after the baseline; NaN: nothing scored
    direction: np.ndarray        # int8: +1 above / -1 below expectation at the peak, 0 unknown
    magnitude: np.ndarray        # robust z of the post-period median vs baseline median/scale
    relative_change: np.ndarray  # (post median - baseline median) / |baseline median|; NaN if that is 0
    baseline_median: np.ndarray
    baseline_scale: np.ndarray
    post_median: np.ndarray      # median from the onset on (from baseline_end when no onset)
    valid: np.ndarray            # bool: enough baseline and post data to judge
    baseline_end: float
    causal: bool                 # True when the baseline was too short and scoring was causal
    scores: np.ndarray           # [N, T] calibrated scores when keep_scores=True, else [N, 0]

    def __len__(self) -> int:
        return int(self.score.shape[0])

    def row(self, i: int) -> dict[str, float | int | bool | None]:
        """Series i as plain Python values (NaN -> None), e.g. to build a Finding."""
        out: dict[str, float | int | bool | None] = {}
        for name in ("score", "onset", "peak_at", "magnitude", "relative_change",
                     "baseline_median", "baseline_scale", "post_median"):
            v = float(getattr(self, name)[i])
            out[name] = None if np.isnan(v) else v
        out["direction"] = int(self.direction[i])
        for name in ("anomalous", "sustained", "valid"):
            out[name] = bool(getattr(self, name)[i])
        return out


def scan_series(
    values: object,
    timestamps: object,
    baseline_end: float | None = None,
    *,
    detector: str | Detector = "ensemble",
    threshold: float = 0.9,
    min_duration: int = 2,
    baseline_fraction: float = 0.5,
    keep_scores: bool = False,
) -> SeriesScan:
    """Scan [N, T] series; the baseline is everything before `baseline_end`.

    baseline_end=None: the first `baseline_fraction` of the time span. With fewer than
    MIN_BASELINE baseline points the series are scored causally (each point against the
    data before it). `min_duration` consecutive anomalous points make a run "sustained".
    Series are processed in row blocks; the detector (a name, or an instance that is
    then refitted block by block) is fitted on each block's baseline. NaN = missing; a
    series without enough baseline data gets score 0 and valid=False.
    """
    x, ts, _ = as_series(values, timestamps)
    n_rows, n_cols = x.shape
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be between 0 and 1, not {threshold!r}")
    if baseline_end is None:
        baseline_end = float(ts[0] + baseline_fraction * (ts[-1] - ts[0])) if n_cols else 0.0
    n_base = int(np.searchsorted(ts, baseline_end, side="left"))
    causal = n_base < MIN_BASELINE
    det = get_detector(detector) if isinstance(detector, str) else detector
    parts: list[dict[str, np.ndarray]] = []
    step = max(1, CHUNK_ELEMENTS // max(n_cols, 1))   # row blocks that stay in cache
    for r0 in range(0, max(n_rows, 1), step):
        xc = x[r0 : r0 + step]
        cal = ScoreCalibrator()
        if n_cols == 0:
            z = np.zeros((xc.shape[0], 0))
        elif causal:
            raw = det.score(xc, ts, causal=True)
            z = raw if det.calibrated else cal.normalize(raw, causal=True)
        else:
            raw = det.fit_score(xc, ts, baseline_end)
            z = raw if det.calibrated else cal.fit(raw[:, :n_base]).normalize(raw)
        parts.append(_summarise(xc, ts, z, cal, n_base, causal, threshold, min_duration, keep_scores))
    merged = {k: np.concatenate([p[k] for p in parts], axis=0) for k in parts[0]}
    return SeriesScan(baseline_end=float(baseline_end), causal=causal, **merged)


def calibrated_scores(
    detector: str | Detector,
    values: object,
    timestamps: object | None = None,
    *,
    causal: bool = True,
    baseline_end: float | None = None,
) -> np.ndarray:
    """Scores in [0, 1] the one-call way: detect, then calibrate (same shape as values).

    causal=True: each point judged on the points before it (live-monitor style).
    causal=False: fit on the points before `baseline_end` and judge all points against
    them; the calibration is fitted on the baseline's own scores.
    """
    det = get_detector(detector) if isinstance(detector, str) else detector
    x, ts, squeeze = as_series(values, timestamps)
    cal = ScoreCalibrator()
    if causal:
        raw = det.score(x, ts, causal=True)
        z = raw if det.calibrated else cal.normalize(raw, causal=True)
    else:
        if baseline_end is None:
            raise ValueError("non-causal scoring needs baseline_end")
        n_base = int(np.searchsorted(ts, baseline_end, side="left"))
        raw = det.fit_score(x, ts, baseline_end)
        z = raw if det.calibrated else cal.fit(raw[:, :n_base]).normalize(raw)
    scores = cal.probability(z)
    return scores[0] if squeeze else scores


def _summarise(
    x: np.ndarray,
    ts: np.ndarray,
    z: np.ndarray,
    cal: ScoreCalibrator,
    n_base: int,
    causal: bool,
    threshold: float,
    min_duration: int,
    keep_scores: bool,
) -> dict[str, np.ndarray]:
    n_rows, n_cols = x.shape
    rows = np.arange(n_rows)
    post_z = z[:, n_base:]
    post_abs = np.abs(post_z)
    post_abs[np.isnan(post_abs)] = 0.0
    has_post = post_z.shape[1] > 0
    peak = np.argmax(post_abs, axis=1) if has_post else np.zeros(n_rows, dtype=np.int64)
    peak_z = post_abs[rows, peak] if has_post else np.zeros(n_rows)
    score = cal.probability(peak_z)
    scored = np.any(~np.isnan(post_z), axis=1) if has_post else np.zeros(n_rows, dtype=bool)
    direction = np.zeros(n_rows, dtype=np.int8)
    if has_post:
        direction = np.where(scored, np.sign(np.nan_to_num(post_z[rows, peak])), 0).astype(np.int8)
    peak_at = np.where(scored, ts[np.minimum(n_base + peak, n_cols - 1)] if n_cols else np.nan, np.nan)

    on = post_abs >= cal.z_for(threshold)
    onset_idx = np.full(n_rows, -1, dtype=np.int64)
    sustained = np.zeros(n_rows, dtype=bool)
    if has_post:
        runs = run_length(on)
        long_run = runs >= min_duration
        sustained = long_run.any(axis=1)
        first_long = np.argmax(long_run, axis=1) - (min_duration - 1)
        first_any = np.argmax(on, axis=1)
        onset_idx = np.where(sustained, first_long, np.where(on.any(axis=1), first_any, -1))
        onset_idx = _backtrack(post_z, onset_idx)
    onset = np.where(onset_idx >= 0, ts[np.clip(n_base + onset_idx, 0, max(n_cols - 1, 0))] if n_cols else np.nan, np.nan)

    cols = np.arange(n_cols)[None, :]
    if causal:   # no usable baseline: compare before and after the onset (or the halves)
        split = np.where(onset_idx >= 0, n_base + onset_idx, n_cols // 2)
        base_mask = cols < split[:, None]
        base_med, base_scale, base_n = location_scale(np.where(base_mask, x, np.nan))
        post_med, post_n = nan_median(np.where(base_mask, np.nan, x))
    else:
        base_med, base_scale, base_n = location_scale(x[:, :n_base])
        start = np.where(onset_idx >= 0, onset_idx, 0)
        post_x = x[:, n_base:]
        post_med, post_n = nan_median(np.where(cols[:, : post_x.shape[1]] >= start[:, None], post_x, np.nan))
    with np.errstate(invalid="ignore", divide="ignore"):
        magnitude = (post_med - base_med) / base_scale
        relative = np.where(base_med != 0, (post_med - base_med) / np.abs(base_med), np.nan)
    return {
        "score": score,
        "anomalous": score >= threshold,
        "sustained": sustained,
        "onset": onset,
        "peak_at": peak_at,
        "direction": direction,
        "magnitude": magnitude,
        "relative_change": relative,
        "baseline_median": base_med,
        "baseline_scale": base_scale,
        "post_median": post_med,
        "valid": (base_n >= 3) & (post_n >= 1) & scored,
        "scores": cal.probability(z) if keep_scores else np.zeros((n_rows, 0)),
    }


def _backtrack(post_z: np.ndarray, onset_idx: np.ndarray) -> np.ndarray:
    """Move each onset back over the preceding same-sign points with |z| >= BACKTRACK_Z.

    Level-shift statistics need a few points to cross the threshold; the shift itself
    began where the point z-scores first turned consistently strong.
    """
    found = onset_idx >= 0
    if not np.any(found):
        return onset_idx
    rows = np.flatnonzero(found)
    zr = np.nan_to_num(post_z[rows])
    at = onset_idx[rows]
    sign = np.sign(zr[np.arange(rows.size), at])
    support = (np.sign(zr) == sign[:, None]) & (np.abs(zr) >= BACKTRACK_Z)
    idx = np.arange(zr.shape[1])[None, :]
    last_off = np.maximum.accumulate(np.where(support, -1, idx), axis=1)
    start = last_off[np.arange(rows.size), at] + 1
    out = onset_idx.copy()
    out[rows] = np.where(support[np.arange(rows.size), at], np.minimum(start, at), at)
    return out
