"""Metric evidence for the TUI: the charts live in aiops.agent.evidence_charts, shared with the
diagnosis reports (the HTML report draws the same series)."""

from aiops.agent.evidence_charts import (  # noqa: F401 - re-exported
    SeriesChart, grid_step, metric_charts, metric_series, parse_series_ref,
)

__all__ = ["SeriesChart", "grid_step", "metric_charts", "metric_series", "parse_series_ref"]
