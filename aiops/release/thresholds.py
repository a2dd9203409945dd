"""The [release] settings as the analytics' gates: one place that maps config to thresholds."""

from __future__ import annotations

from aiops.analytics.release_compare import Gate
from aiops.analytics.release_logs import LogGate
from aiops.config import ReleaseSettings


def signal_gate(signal: str, cfg: ReleaseSettings) -> Gate:
    """The gate of one golden signal (see aiops.release.golden.SIGNALS)."""
    if signal.startswith("latency"):
        return Gate(cfg.alpha, cfg.latency_warn, cfg.latency_fail, min_abs=cfg.latency_min_ms / 1000.0)
    if signal == "error_rate":
        return Gate(cfg.alpha, cfg.error_rate_warn, cfg.error_rate_fail, min_ratio=cfg.error_rate_min_ratio)
    if signal == "traffic":
        return Gate(cfg.alpha, cfg.traffic_drop_warn, cfg.traffic_drop_fail)
    if signal in ("cpu", "memory"):
        return Gate(cfg.alpha, cfg.saturation_warn, cfg.saturation_fail)
    raise ValueError(f"no gate for signal {signal!r}")


def log_gate(cfg: ReleaseSettings) -> LogGate:
    return LogGate(cfg.alpha, cfg.log_min_lines, cfg.log_surge_warn, cfg.log_surge_fail)


def as_dict(cfg: ReleaseSettings) -> dict[str, float]:
    """The thresholds a report shows (so a reader knows what pass means)."""
    keys = ("alpha", "latency_warn", "latency_fail", "latency_min_ms", "error_rate_warn", "error_rate_fail",
            "error_rate_min_ratio", "traffic_drop_warn", "traffic_drop_fail", "saturation_warn", "saturation_fail",
            "restarts_warn", "restarts_fail", "log_min_lines", "log_surge_warn", "log_surge_fail")
    return {k: getattr(cfg, k) for k in keys}
