"""The default detector: several detectors, each calibrated, combined by the strongest.

Members of the robust family (seasonal_mad, level_shift, spike) share one
`RobustBaseline`, so its fit and its z-scores are computed once for all of them. Each
member's raw score is normalised by its own `ScoreCalibrator` (fitted on the baseline, or
on prefixes in causal mode); the ensemble's raw score is the normalised member score with
the largest magnitude, sign kept, so it stays in robust-z units.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from aiops.analytics.detectors.base import Detector, as_series
from aiops.analytics.detectors.baseline import RobustBaseline
from aiops.analytics.detectors.calibration import ScoreCalibrator
from aiops.analytics.detectors.registry import detector_factory
from aiops.analytics.detectors.robust_z import RobustZDetector

DEFAULT_MEMBERS = ("seasonal_mad", "level_shift")


class EnsembleDetector(Detector):
    """Max of calibrated member scores; default members: seasonal_mad + level_shift."""

    name = "ensemble"
    calibrated = True

    def __init__(
        self,
        members: Sequence[str | Detector] = DEFAULT_MEMBERS,
        period: float | str | None = "auto",
        window: int = 90,
        scale_window: int = 120,
        min_points: int = 12,
        trend: bool = True,
    ) -> None:
        super().__init__()
        if not members:
            raise ValueError("an ensemble needs at least one member")
        self.baseline = RobustBaseline(
            period=period, window=window, scale_window=scale_window, min_points=min_points, trend=trend
        )
        self.members: list[Detector] = []
        for member in members:
            if isinstance(member, Detector):
                self.members.append(member)
                continue
            factory = detector_factory(member)
            if isinstance(factory, type) and issubclass(factory, RobustZDetector):
                self.members.append(factory(baseline=self.baseline))
            else:
                self.members.append(factory())
        self.calibrators = [ScoreCalibrator() for _ in self.members]

    def _shares_baseline(self, member: Detector) -> bool:
        return isinstance(member, RobustZDetector) and member.baseline is self.baseline

    def _fit(self, x: np.ndarray, ts: np.ndarray) -> None:
        self._fit_members(x, ts, n_base=x.shape[1])

    def _fit_members(self, x: np.ndarray, ts: np.ndarray, n_base: int) -> list[np.ndarray]:
        """Fit everything on the first n_base columns; return member raw scores on all of x."""
        xb, tb = x[:, :n_base], ts[:n_base]
        z = None
        if any(self._shares_baseline(m) for m in self.members):
            self.baseline.fit(xb, tb)
            z = self.baseline.fitted_z(x, ts)
        raws = []
        for m in self.members:
            if self._shares_baseline(m):
                m.fit_from_z(z[:, :n_base])
                m._n_series = x.shape[0]
                raws.append(m.from_z(z, causal=False))
            else:
                raws.append(m.fit(xb, tb).score(x, ts))
        for cal, raw in zip(self.calibrators, raws):
            cal.fit(raw[:, :n_base])
        return raws

    def fit_score(self, values: object, timestamps: object | None, baseline_end: float) -> np.ndarray:
        x, ts, squeeze = as_series(values, timestamps)
        n_base = int(np.searchsorted(ts, baseline_end, side="left"))
        raws = self._fit_members(x, ts, n_base)
        self._n_series = x.shape[0]
        out = self._combine(raws, causal=False)
        out[np.isnan(x)] = np.nan
        return out[0] if squeeze else out

    def _member_raw(self, x: np.ndarray, ts: np.ndarray, causal: bool) -> list[np.ndarray]:
        z = None
        raws = []
        for m in self.members:
            if self._shares_baseline(m):
                if z is None:
                    z = self.baseline.causal_z(x, ts) if causal else self.baseline.fitted_z(x, ts)
                raws.append(m.from_z(z, causal))
            else:
                raws.append(m.score(x, ts, causal=causal))
        return raws

    def _combine(self, raws: list[np.ndarray], causal: bool) -> np.ndarray:
        best = None
        for cal, raw in zip(self.calibrators, raws):
            z = cal.normalize(raw, causal=causal)
            if best is None:
                best = z
            else:
                stronger = (np.abs(z) > np.abs(best)) | np.isnan(best)
                np.copyto(best, z, where=stronger)
        return best

    def _score(self, x: np.ndarray, ts: np.ndarray) -> np.ndarray:
        return self._combine(self._member_raw(x, ts, causal=False), causal=False)

    def _score_causal(self, x: np.ndarray, ts: np.ndarray) -> np.ndarray:
        return self._combine(self._member_raw(x, ts, causal=True), causal=True)

    def __repr__(self) -> str:
        return f"EnsembleDetector(members={[m.name for m in self.members]!r})"
