"""Metric anomaly detectors behind one interface, plus calibration, thresholds and scans.

    det = get_detector("ensemble")            # or adaptive, seasonal_mad, level_shift, spike, ewma, holt
    raw = det.fit(baseline, ts_b).score(values, ts)       # signed robust-z units
    raw = det.score(values, ts, causal=True)              # live-monitor style, no look-ahead
    cal = ScoreCalibrator().fit(raw_on_baseline)
    scores = cal.transform(raw)                           # [0, 1], same meaning for all
    flags = Threshold(0.9).apply(scores)                  # 0/1
    scores = calibrated_scores("ensemble", values, ts)    # the same in one call (causal)
    summary = scan_series(values, ts, baseline_end)       # per-series findings material
    alarms = detect_table(columns, ts)                    # aiops detect: one entity, columns jointly,
    alarms.score, alarms.marks("start")                   # ... scores and one alert per anomalous episode

`adaptive` (aiops detect's default) decides in episodes itself; see adaptive.py.
"""

from aiops.analytics.detectors.alarms import TableAlarms, detect_table
from aiops.analytics.detectors.base import Detector, as_series
from aiops.analytics.detectors.calibration import ScoreCalibrator, Threshold
from aiops.analytics.detectors.registry import (
    detector_factory,
    detector_names,
    get_detector,
    register_detector,
)
from aiops.analytics.detectors.scan import SeriesScan, calibrated_scores, scan_series

__all__ = [
    "Detector",
    "TableAlarms",
    "ScoreCalibrator",
    "SeriesScan",
    "Threshold",
    "as_series",
    "calibrated_scores",
    "detector_factory",
    "detect_table",
    "detector_names",
    "get_detector",
    "register_detector",
    "scan_series",
]
