"""Golden-signal checks: each service's latency, error rate, traffic and saturation, before
vs after the release (`aiops.analytics.release_compare`), one CheckResult per signal."""

from __future__ import annotations

import numpy as np

from aiops.analytics.release_compare import compare_windows, grade
from aiops.config import ReleaseSettings
from aiops.release.golden import SIGNALS, SignalSeries
from aiops.release.model import Chart, CheckResult
from aiops.release.thresholds import signal_gate
from aiops.release.units import format_change, format_p, format_value, label


def _chart(s: SignalSeries, baseline: float | None) -> Chart:
    previous = tuple(float(x) for x in s.history[0]) if s.history else ()
    return Chart(title=f"{s.service} · {label(s.signal)}", unit=s.unit,
                 timestamps=tuple(float(x) for x in s.timestamps), values=tuple(float(x) for x in s.values),
                 baseline=baseline, previous_day=previous)


def check_signal(s: SignalSeries, cfg: ReleaseSettings) -> CheckResult:
    unit, _, direction, scale = SIGNALS[s.signal]
    what = f"{label(s.signal)} of {s.service}"
    has_before, has_after = bool(np.isfinite(s.before).any()), bool(np.isfinite(s.after).any())
    if has_before and not has_after:
        status = "warn" if s.signal == "traffic" else "skip"
        return CheckResult(s.signal, "golden", s.service, status,
                           f"{what}: no data after the release (it had data before)", unit=unit,
                           evidence=(f"source: {s.source}",), chart=_chart(s, None))
    cmp = compare_windows(s.before, s.after, direction=direction, scale=scale, history=s.history_pairs())
    if cmp is None:
        n_b, n_a = int(np.isfinite(s.before).sum()), int(np.isfinite(s.after).sum())
        return CheckResult(s.signal, "golden", s.service, "skip",
                           f"{what}: not enough data to compare ({n_b} buckets before, {n_a} after)", unit=unit,
                           evidence=(f"source: {s.source}",))
    status = grade(cmp, signal_gate(s.signal, cfg))
    additive = scale == "additive"
    summary = (f"{what}: {format_value(cmp.before, unit)} -> {format_value(cmp.after, unit)} "
               f"({format_change(cmp.change, unit, additive)}, {format_p(cmp.p_value)})")
    seasonal = ""
    unit_n = "sampled requests" if s.source.startswith("traces (each") else "buckets"
    tau = cmp.autocorrelation_time
    evidence = [f"source: {s.source}", f"{cmp.n_before} {unit_n} before, {cmp.n_after} after; baseline "
                f"autocorrelation time {tau:.1f} (about {cmp.n_before / tau:.0f} and {cmp.n_after / tau:.0f} "
                "independent values)"]
    if cmp.seasonal is not None:
        days = ", ".join(format_change(c, unit, additive) for c in cmp.day_changes)
        how = f"x{cmp.seasonal:.3f}" if not additive else format_change(cmp.seasonal, unit, True)
        n = len(cmp.day_changes)
        if cmp.seasonal_applied:      # the correction itself is `seasonal`, said once by every renderer
            seasonal = f"corrected for the same hours of {n} previous day(s) ({how}; they moved {days})"
            evidence.append(f"uncorrected after value {format_value(cmp.after_raw, unit)}")
        else:
            seasonal = (f"not corrected: the same hours of {n} previous day(s) moved {days}, too few agreeing days "
                        "to make the change look worse")
    return CheckResult(s.signal, "golden", s.service, status, summary, before=cmp.before, after=cmp.after,
                       change=cmp.change, unit=unit, p_value=cmp.p_value, evidence=tuple(evidence),
                       chart=_chart(s, cmp.before), seasonal=seasonal)


def golden_checks(series: list[SignalSeries], cfg: ReleaseSettings) -> list[CheckResult]:
    return [check_signal(s, cfg) for s in series]
