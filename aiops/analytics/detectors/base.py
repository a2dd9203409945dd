"""The one detector interface (template methods, as in Merlion).

Public `fit()` / `score()` validate and shape the input, then call the model's private
`_fit()` / `_score()` / `_score_causal()`. Every detector works on many series at once:
`values` is [N, T] (one row per series) sharing one `timestamps` vector [T] of float unix
seconds, non-decreasing. A 1-D `values` is treated as one series and gives a 1-D result.

Raw scores are signed, in robust-z units: roughly N(0, 1) on normal data, positive when
the value is above what was expected. NaN means "no score" (missing value or warm-up).
Mapping them to [0, 1] is the job of `ScoreCalibrator`, deciding 0/1 that of `Threshold`.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np


def as_series(values: object, timestamps: object | None = None) -> tuple[np.ndarray, np.ndarray, bool]:
    """Validate and normalise detector input: ([N, T] float, inf -> NaN, [T], was_1d).

    The values are not copied unless they must be changed; nothing here writes to them.
    """
    x = np.asarray(values, dtype=float)
    squeeze = x.ndim == 1
    if squeeze:
        x = x[None, :]
    if x.ndim != 2:
        raise ValueError(f"values must be 1-D [T] or 2-D [N, T], got shape {x.shape}")
    infinite = np.isinf(x)
    if infinite.any():
        x = x.copy()
        x[infinite] = np.nan
    n_cols = x.shape[1]
    if timestamps is None:
        ts = np.arange(n_cols, dtype=float)
    else:
        ts = np.asarray(timestamps, dtype=float).ravel()
        if ts.shape[0] != n_cols:
            raise ValueError(f"timestamps has {ts.shape[0]} entries but values has {n_cols} columns")
        if not np.all(np.isfinite(ts)):
            raise ValueError("timestamps must be finite")
        if n_cols > 1 and np.any(np.diff(ts) < 0):
            raise ValueError("timestamps must be non-decreasing (sort the series first)")
    return x, ts, squeeze


class Detector:
    """Base class: subclasses implement `_fit`, `_score` and `_score_causal`."""

    name: ClassVar[str] = "detector"
    # True when raw scores are already calibrated z-scores (an ensemble of calibrated
    # members): a further ScoreCalibrator would only repeat the work.
    calibrated: ClassVar[bool] = False

    def __init__(self) -> None:
        self._n_series: int | None = None

    @property
    def fitted(self) -> bool:
        return self._n_series is not None

    def fit(self, values: object, timestamps: object | None = None) -> "Detector":
        """Learn the baseline (normal behaviour) from `values`; returns self."""
        x, ts, _ = as_series(values, timestamps)
        self._fit(x, ts)
        self._n_series = x.shape[0]
        return self

    def score(self, values: object, timestamps: object | None = None, causal: bool = False) -> np.ndarray:
        """Raw signed scores, same shape as `values`.

        causal=False scores against the fitted baseline (call `fit` first).
        causal=True: the score at t uses only values at or before t (and the fitted
        baseline if there is one, for the warm-up); no fit is needed.
        """
        x, ts, squeeze = as_series(values, timestamps)
        if self.fitted and x.shape[0] != self._n_series:
            raise ValueError(f"{self.name}: fitted on {self._n_series} series, asked to score {x.shape[0]}")
        if causal:
            out = self._score_causal(x, ts)
        else:
            if not self.fitted:
                raise RuntimeError(f"{self.name}: call fit() before score(causal=False)")
            out = self._score(x, ts)
        out = np.asarray(out, dtype=float)
        if out.shape != x.shape:
            raise AssertionError(f"{self.name}: score shape {out.shape} != input shape {x.shape}")
        out[np.isnan(x)] = np.nan
        return out[0] if squeeze else out

    def fit_score(self, values: object, timestamps: object | None, baseline_end: float) -> np.ndarray:
        """Fit on the points before `baseline_end`, then score all points non-causally.

        Same result as fit(baseline part) + score(all); detectors may do it in one pass.
        """
        x, ts, squeeze = as_series(values, timestamps)
        n_base = int(np.searchsorted(ts, baseline_end, side="left"))
        self.fit(x[:, :n_base], ts[:n_base])
        out = self.score(x, ts)
        return out[0] if squeeze else out

    # ---- the model step -----------------------------------------------------------
    def _fit(self, x: np.ndarray, ts: np.ndarray) -> None:
        raise NotImplementedError

    def _score(self, x: np.ndarray, ts: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _score_causal(self, x: np.ndarray, ts: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
