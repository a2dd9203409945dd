"""Forecast-residual detectors: robust EWMA / Holt one-step-ahead residuals.

A robust exponential-smoothing filter runs over all series at once (the only loop is over
time). Each residual is clipped at `clip` scales before it updates the state, so a spike
barely moves the level, while a held shift is absorbed in a few steps. The raw score is
residual / scale: an adaptive, Huber-consistent running scale in causal mode, the fitted
baseline's residual scale (fixed) in non-causal mode.
"""

from __future__ import annotations

import numpy as np

from aiops.analytics.detectors.base import Detector
from aiops.analytics.detectors.robust_stats import location_scale, nan_median, robust_scale, scale_floor

HUBER_CONSISTENCY_3 = 0.9707   # E[min(Z^2, 9)] for a standard normal Z


class ForecastResidualDetector(Detector):
    """Robust Holt (trend=True) or EWMA (trend=False) one-step residual, in scale units."""

    name = "holt"

    def __init__(
        self,
        alpha: float = 0.3,
        beta: float = 0.1,
        trend: bool = True,
        clip: float = 3.0,
        scale_alpha: float = 0.05,
        warmup: int = 10,
    ) -> None:
        super().__init__()
        if not (0 < alpha <= 1 and 0 <= beta <= 1 and 0 < scale_alpha < 1 and clip > 0 and warmup >= 3):
            raise ValueError("need 0<alpha<=1, 0<=beta<=1, 0<scale_alpha<1, clip>0, warmup>=3")
        self.alpha, self.beta, self.trend = float(alpha), float(beta), bool(trend)
        self.clip, self.scale_alpha, self.warmup = float(clip), float(scale_alpha), int(warmup)

    def _fit(self, x: np.ndarray, ts: np.ndarray) -> None:
        resid, _ = self._run(x, adaptive=True)
        center, n = nan_median(resid)
        level, _ = nan_median(x)
        scale = robust_scale(resid, np.zeros_like(center), n, level=level)
        self.scale_ = np.where(n >= 3, scale, np.nan)

    def _score(self, x: np.ndarray, ts: np.ndarray) -> np.ndarray:
        resid, _ = self._run(x, adaptive=False)
        return resid / self.scale_[:, None]

    def _score_causal(self, x: np.ndarray, ts: np.ndarray) -> np.ndarray:
        resid, scale = self._run(x, adaptive=True)
        return resid / scale

    def _run(self, x: np.ndarray, adaptive: bool) -> tuple[np.ndarray, np.ndarray]:
        """One-step-ahead residuals (NaN during warm-up) and the running scale.

        Each series warms up on its own first `warmup` valid values (a series may start
        late or have gaps); it is scored from the point after them.
        """
        n_rows, n_cols = x.shape
        resid = np.full((n_rows, n_cols), np.nan)
        scales = np.full((n_rows, n_cols), np.nan)
        w = self.warmup
        valid = ~np.isnan(x)
        seen = np.cumsum(valid, axis=1)
        enough = seen[:, -1] >= w if n_cols else np.zeros(n_rows, dtype=bool)
        start = np.where(enough, np.argmax(seen >= w, axis=1) + 1, n_cols + 1)
        order = np.argsort(~valid, axis=1, kind="stable")[:, :w]
        head = np.take_along_axis(x, order, axis=1)          # first w valid values per row
        level, head_scale, count = location_scale(head)
        half = w // 2
        first, _ = nan_median(head[:, :half])
        last, _ = nan_median(head[:, half:])
        trend = np.nan_to_num((last - first) / max(w - half, 1)) if self.trend else np.zeros(n_rows)
        level = level + trend * (w - 1) / 2.0   # the head median sits mid-warm-up
        if not adaptive and hasattr(self, "scale_"):
            scale = np.where(np.isnan(self.scale_), head_scale, self.scale_)
        else:
            scale = head_scale
        a, ab, g, c = self.alpha, self.alpha * self.beta, self.scale_alpha, self.clip
        for t in range(int(min(start.min(initial=n_cols), n_cols)), n_cols):
            active = start <= t
            pred = level + trend
            r = np.where(active, x[:, t] - pred, np.nan)
            resid[:, t] = r
            scales[:, t] = scale
            ok = ~np.isnan(r)
            rc = np.where(ok, np.clip(r, -c * scale, c * scale), 0.0)
            level = np.where(active, pred + a * rc, level)
            trend = trend + ab * rc
            if adaptive:
                var = np.where(ok, (1 - g) * scale * scale + g * rc * rc / HUBER_CONSISTENCY_3, scale * scale)
                scale = np.maximum(np.sqrt(var), scale_floor(level))
        return resid, scales


class EwmaDetector(ForecastResidualDetector):
    """Robust EWMA (level only) one-step residual."""

    name = "ewma"

    def __init__(self, alpha: float = 0.3, clip: float = 3.0, scale_alpha: float = 0.05, warmup: int = 10) -> None:
        super().__init__(alpha=alpha, beta=0.0, trend=False, clip=clip, scale_alpha=scale_alpha, warmup=warmup)


class HoltDetector(ForecastResidualDetector):
    """Robust Holt (level + trend) one-step residual."""

    name = "holt"
