"""Forecasting with prediction intervals, and time-to-exhaustion for saturating resources.

`forecast_series` puts the series on a regular grid (interpolating gaps, averaging down
very long series), removes a daily seasonal profile when there are >= 2 days of data and
the profile explains a fair share of the variation, fits exponential smoothing (ETS:
no trend / linear trend / damped trend, chosen by AIC) or ARIMA with statsmodels, and
returns the mean forecast with analytic (normal, linear-innovations) prediction intervals.

`time_to_exhaustion` projects a resource towards a limit (a capacity; 1.0 for a ratio that
is rising; 0 for an "available" quantity that is falling) with a linear-trend model, the
standard for capacity planning, and gives the ETA with the interval's early/late edges.

statsmodels is imported inside the functions (it takes seconds to import).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from aiops.analytics.detectors.seasonality import grid_positions, median_step, seasonal_profile

DAY = 86400.0
MIN_POINTS = 10
MAX_STEPS = 100_000      # forecast points past the data: memory and time stay bounded whatever the horizon
MIN_SEASONAL_STRENGTH = 0.3
METHODS = ("auto", "ses", "holt", "damped", "arima")


@dataclass(frozen=True)
class Forecast:
    timestamps: np.ndarray   # [H] future grid, unix seconds
    mean: np.ndarray         # [H]
    lower: np.ndarray        # [H] lower edge of the `level` prediction interval
    upper: np.ndarray        # [H]
    level: float             # interval coverage, e.g. 0.95
    method: str              # e.g. "ets(A,A,N)" or "ets(A,Ad,N) + daily profile"
    season_points: int       # 0: no season removed
    step: float              # seconds between forecast points
    history_timestamps: np.ndarray   # the regular grid the model was fitted on
    history: np.ndarray
    trend_per_s: float = 0.0  # slope of the forecast without the seasonal profile (units / s)
    level_now: float = math.nan  # the forecast's deseasonalised level at the last point


@dataclass(frozen=True)
class Exhaustion:
    limit: float
    direction: int                 # +1 rising to the limit, -1 falling to it, 0 unknown
                                   # (the side of the limit the series started on decides)
    status: str                    # reaches | beyond_horizon | already | not_approaching | no_limit
    eta: float | None = None       # unix s when the mean forecast reaches the limit
    eta_early: float | None = None  # the interval edge nearest the limit reaches it
    eta_late: float | None = None   # the far edge reaches it (None: not within the simulated span)
    current: float = math.nan      # the latest level (median of the last few points)
    horizon_end: float | None = None
    forecast: Forecast | None = None


def _regular(values: object, timestamps: object, max_points: int) -> tuple[np.ndarray, np.ndarray, float]:
    y = np.asarray(values, dtype=float).ravel()
    ts = np.asarray(timestamps, dtype=float).ravel()
    if y.shape != ts.shape:
        raise ValueError(f"values ({y.size}) and timestamps ({ts.size}) differ in length")
    ok = np.isfinite(y) & np.isfinite(ts)
    y, ts = y[ok], ts[ok]
    if y.size < MIN_POINTS:
        raise ValueError(f"need at least {MIN_POINTS} valid points to forecast, got {y.size}")
    distinct, where = np.unique(ts, return_inverse=True)     # sorted; points sharing a time are averaged
    if distinct.size < y.size:
        y = np.bincount(where, weights=y, minlength=distinct.size) / np.bincount(where, minlength=distinct.size)
        ts = distinct
        if ts.size < MIN_POINTS:
            raise ValueError(f"need at least {MIN_POINTS} distinct timestamps to forecast, got {ts.size} "
                             f"({ok.sum()} points share them)")
    step = median_step(ts)
    n = int(round((ts[-1] - ts[0]) / step)) + 1
    factor = max(1, math.ceil(n / max_points))
    grid = ts[0] + step * np.arange(n)
    yg = np.interp(grid, ts, y)
    if factor > 1:   # average blocks of `factor` points, aligned to the end
        keep = (n // factor) * factor
        yg = yg[n - keep :].reshape(-1, factor).mean(axis=1)
        grid = grid[n - keep :].reshape(-1, factor)[:, -1]
        step *= factor
    return yg, grid, step


def season_points(timestamps: np.ndarray, step: float, season: float | str | None = "auto") -> int:
    """Season length in grid points: 'auto' = daily when there are >= 2 days of data."""
    if season is None or season == 0:
        return 0
    span = float(timestamps[-1] - timestamps[0]) + step if len(timestamps) else 0.0
    seconds = DAY if season == "auto" else float(season)
    if season == "auto" and span < 2 * DAY:
        return 0
    points = int(round(seconds / step))
    return points if 2 <= points and 2 * points <= len(timestamps) else 0


def _deseasonalise(y: np.ndarray, grid: np.ndarray, step: float, m: int, forced: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """(y minus the per-phase profile, profile) or (y, None) when the season is weak."""
    pos = grid_positions(grid, grid[0], step)
    profile, _ = seasonal_profile(y[None, :], pos, m)
    profile = profile[0] - np.nanmean(profile[0])
    profile = np.nan_to_num(profile)
    seasonal = profile[pos % m]
    rest = y - seasonal
    i = np.arange(y.size, dtype=float)
    detrended = rest - np.polyval(np.polyfit(i, rest, 1), i)
    strength = 1.0 - np.var(detrended) / max(np.var(detrended + seasonal), 1e-300)
    if not forced and strength < MIN_SEASONAL_STRENGTH:
        return y, None
    return rest, profile


def _fit_ets(y: np.ndarray, method: str) -> tuple[object, str]:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    specs = {"ses": (None, False), "holt": ("add", False), "damped": ("add", True)}
    names = ["ses", "holt", "damped"] if method == "auto" else [method]
    best, best_name = None, ""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in names:
            trend, damped = specs[name]
            try:
                res = ETSModel(y, error="add", trend=trend, damped_trend=damped).fit(disp=False)
            except (ValueError, np.linalg.LinAlgError):
                continue
            if best is None or res.aic < best.aic:
                best, best_name = res, name
    if best is None:
        raise ValueError("the exponential smoothing model could not be fitted to this series")
    label = {"ses": "ets(A,N,N)", "holt": "ets(A,A,N)", "damped": "ets(A,Ad,N)"}[best_name]
    return best, label


def _ets_intervals(res: object, steps: int, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean forecast and normal prediction interval of an additive-error ETS model.

    Linear innovations form (Hyndman et al. 2008, ch. 6): the h-step variance is
    sigma^2 * (1 + sum_{j<h} c_j^2), c_j = alpha + beta * (phi + ... + phi^j).
    """
    from scipy.special import ndtri

    params = dict(zip(res.param_names, np.asarray(res.params, dtype=float)))
    alpha = params.get("smoothing_level", 0.0)
    beta = params.get("smoothing_trend", 0.0)
    phi = params.get("damping_trend", 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first, second = (float(v) for v in np.asarray(res.forecast(2), dtype=float))
    trend = (second - first) / (phi * phi) if "smoothing_trend" in params else 0.0
    level_now = first - phi * trend
    powers = np.cumsum(phi ** np.arange(1, steps + 1))          # phi + ... + phi^h
    mean = level_now + trend * powers
    c = alpha + beta * powers[:-1]                              # c_1 .. c_{h-1}
    var = float(res.mse) * (1.0 + np.concatenate([[0.0], np.cumsum(c * c)]))
    half = float(ndtri(0.5 + level / 2.0)) * np.sqrt(var)
    return mean, mean - half, mean + half


def _arima(y: np.ndarray, steps: int, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = SARIMAX(y, order=(1, 1, 1), trend="t").fit(disp=False)
        fc = res.get_forecast(steps)
        ci = np.asarray(fc.conf_int(alpha=1.0 - level), dtype=float)
    return np.asarray(fc.predicted_mean, dtype=float), ci[:, 0], ci[:, 1]


def forecast_series(
    values: object,
    timestamps: object,
    horizon: float,
    *,
    method: str = "auto",
    level: float = 0.95,
    season: float | str | None = "auto",
    max_points: int = 2000,
    max_steps: int = MAX_STEPS,
) -> Forecast:
    """Forecast `horizon` seconds past the last point; see the module docstring.

    method: auto (ETS, best AIC of ses/holt/damped) | ses | holt | damped | arima.
    season: 'auto' (daily with >= 2 days of data, if strong enough), None, or seconds.
    Points that share a timestamp are averaged. Raises ValueError for unusable input (too
    few distinct points, a bad level or method, a horizon of more than `max_steps` steps).
    """
    if method not in METHODS:
        raise ValueError(f"unknown forecast method {method!r} (known: {', '.join(METHODS)})")
    if not 0.0 < level < 1.0:
        raise ValueError(f"interval level must be between 0 and 1, not {level!r}")
    if not horizon > 0:
        raise ValueError(f"horizon must be > 0 seconds, not {horizon!r}")
    y, grid, step = _regular(values, timestamps, max_points)
    steps = max(1, int(math.ceil(horizon / step))) if horizon / step < 2 ** 62 else 2 ** 62
    if steps > max_steps:
        raise ValueError(f"a horizon of {horizon:g} s is {steps:,} steps of {step:g} s; at most {max_steps:,} steps "
                         f"are forecast (a shorter horizon, or a coarser series)")
    m = season_points(grid, step, season)
    profile = None
    if m:
        y_fit, profile = _deseasonalise(y, grid, step, m, forced=season not in ("auto",))
    else:
        y_fit = y
    if method == "arima":
        mean, lower, upper = _arima(y_fit, steps, level)
        label = "arima(1,1,1)+drift"
    else:
        res, label = _fit_ets(y_fit, method)
        mean, lower, upper = _ets_intervals(res, steps, level)
    future = grid[-1] + step * np.arange(1, steps + 1)
    if steps > 1:
        trend = float(mean[-1] - mean[0]) / (step * (steps - 1))
    else:
        trend = float(mean[0] - y_fit[-1]) / step
    level_now = float(mean[0]) - trend * step
    if profile is not None:
        add = profile[grid_positions(future, grid[0], step) % m]
        mean, lower, upper = mean + add, lower + add, upper + add
        label += " + daily profile" if abs(m * step - DAY) < step else f" + {m}-point season"
    return Forecast(
        timestamps=future,
        mean=mean,
        lower=np.minimum(lower, mean),
        upper=np.maximum(upper, mean),
        level=level,
        method=label,
        season_points=m if profile is not None else 0,
        step=step,
        history_timestamps=grid,
        history=y,
        trend_per_s=trend,
        level_now=level_now,
    )


def _first_crossing(path: np.ndarray, limit: float, direction: int) -> int | None:
    hit = path >= limit if direction > 0 else path <= limit
    idx = np.flatnonzero(hit)
    return int(idx[0]) if idx.size else None


def time_to_exhaustion(
    values: object,
    timestamps: object,
    *,
    capacity: float | None = None,
    horizon: float | None = None,
    level: float = 0.95,
    season: float | str | None = "auto",
    max_span_factor: float = 20.0,
) -> Exhaustion:
    """When does the series reach `capacity` (or 1.0 / 0 for ratios / falling quantities)?

    The projection uses a linear-trend model (plus the daily profile when present). With
    no `horizon`, it looks as far as `max_span_factor` times the data's time span.
    """
    y = np.asarray(values, dtype=float).ravel()
    ts = np.asarray(timestamps, dtype=float).ravel()
    yr, grid, step = _regular(y, ts, max_points=2000)
    current = float(np.median(yr[-min(5, yr.size) :]))
    span = max(float(grid[-1] - grid[0]), step)
    reach = horizon if horizon is not None else max_span_factor * span
    probe = forecast_series(y, ts, min(reach, span), method="holt", level=level, season=season)
    slope = probe.trend_per_s
    if capacity is None:
        finite = yr[np.isfinite(yr)]
        if slope > 0 and finite.size and finite.min() >= 0 and finite.max() <= 1.0:
            capacity = 1.0
        elif slope < 0 and finite.size and finite.min() >= 0:
            capacity = 0.0
        else:
            return Exhaustion(limit=math.nan, direction=0, status="no_limit", current=current, forecast=probe)
    limit = float(capacity)
    start = float(np.median(yr[: min(5, yr.size)]))
    direction = 1 if limit > start else -1   # the side the series started on decides
    if (direction > 0 and current >= limit) or (direction < 0 and current <= limit):
        return Exhaustion(limit, direction, "already", eta=float(grid[-1]), eta_early=float(grid[-1]),
                          eta_late=float(grid[-1]), current=current, forecast=probe)
    if slope * direction <= 0:
        return Exhaustion(limit, direction, "not_approaching", current=current, forecast=probe)
    need = abs(limit - probe.level_now) / abs(slope)   # seconds, by the linear projection
    span_needed = min(max(reach, need) * 1.5, max_span_factor * span * 1.5)
    covered = float(probe.timestamps[-1] - grid[-1])
    fc = probe if span_needed <= covered else forecast_series(y, ts, span_needed, method="holt", level=level, season=season)
    near, far = (fc.upper, fc.lower) if direction > 0 else (fc.lower, fc.upper)
    at = {name: _first_crossing(path, limit, direction) for name, path in (("mean", fc.mean), ("near", near), ("far", far))}
    when = {k: (float(fc.timestamps[i]) if i is not None else None) for k, i in at.items()}
    horizon_end = float(grid[-1] + reach)
    if when["mean"] is None:
        status = "beyond_horizon"
    else:
        status = "reaches" if when["mean"] <= horizon_end else "beyond_horizon"
    return Exhaustion(
        limit=limit,
        direction=direction,
        status=status,
        eta=when["mean"],
        eta_early=when["near"],
        eta_late=when["far"],
        current=current,
        horizon_end=horizon_end,
        forecast=fc,
    )
