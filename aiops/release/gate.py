"""The post-release gate: read the windows around a release from a TelemetryStore, run every
check, decide pass / warn / fail, and on fail run the diagnosis over the after window.

    report = check_release(store, ReleaseRequest("v1.4.2", ReleaseWindows(t, 3600, 900, 7)), settings)

The store may come from a bundle or from live sources: anything that filled it over
`request.windows.data_span()` works (`aiops.release.data`). Each check runs on its own; a
check that fails to run is named in `report.missing` and never sinks the others.
"""

from __future__ import annotations

import time
from typing import Callable

from aiops.config import Settings
from aiops.domain import Diagnosis, Incident, TimeWindow
from aiops.errors import AiopsError, BadInputError, InsufficientEvidence, one_line
from aiops.release.golden import golden_signals
from aiops.release.golden_checks import golden_checks
from aiops.release.log_checks import log_checks, trace_checks
from aiops.release.model import CheckResult, DeployEvent, ReleaseReport, ReleaseRequest, ReleaseWindows, redacted, worst
from aiops.release.restart_checks import restart_checks
from aiops.release.thresholds import as_dict
from aiops.telemetry.reader import TelemetryReader
from aiops.timeutil import to_rfc3339

CHANGE_KINDS = ("deploy", "deployment", "rollout", "release", "config", "configmap", "feature_flag", "migration")
DEPLOY_LOOKBACK_S = 1800.0


def covered_days(data_range: tuple[float, float], windows: ReleaseWindows) -> list[int]:
    """Previous days (1..history_days) whose windows overlap the data at all."""
    lo, hi = data_range
    out = []
    for back in range(1, windows.history_days + 1):
        (b0, _), (_, a1) = windows.days_back(back)
        if a1 > lo and b0 < hi:
            out.append(back)
    return out


def _check_coverage(data_range: tuple[float, float] | None, windows: ReleaseWindows) -> None:
    """InsufficientEvidence (exit 4) when there is no data at all: a gate that saw nothing must
    not pass the release; BadInputError when the deploy time lies outside the data."""
    if data_range is None:
        raise InsufficientEvidence("insufficient evidence: no telemetry to compare: the data source holds no "
                                   "metrics, logs, spans or events")
    lo, hi = data_range
    b, a = windows.before, windows.after
    if hi <= b.start or lo >= b.end:       # data, but not around this deploy time: a wrong flag
        raise BadInputError(f"--deployed-at {to_rfc3339(windows.deployed_at)}: no data in the baseline window "
                            f"{to_rfc3339(b.start)} .. {to_rfc3339(b.end)} (data: {to_rfc3339(lo)} .. {to_rfc3339(hi)})")
    if hi <= a.start:
        raise BadInputError(f"--deployed-at {to_rfc3339(windows.deployed_at)}: no data after the release "
                            f"(data ends {to_rfc3339(hi)})")


def deploy_events(store: TelemetryReader, windows: ReleaseWindows, services: tuple[str, ...], release: str) -> list[DeployEvent]:
    from aiops.release.data import event_names

    events = store.events(windows.deployed_at - DEPLOY_LOOKBACK_S, windows.after.end)
    return [DeployEvent(e["ts"], e["service"], e["message"], e["kind"], event_names(e, release)) for e in events
            if e["kind"] in CHANGE_KINDS and (not services or e["service"] in services)]


def _diagnose(store: TelemetryReader, request: ReleaseRequest, failing: list[CheckResult], settings: Settings) -> Diagnosis:
    from aiops.agent.events import Answer
    from aiops.agent.session import Session

    w = request.windows
    services = sorted({c.service for c in failing if c.service})
    incident = Incident(
        title=f"Release {request.release}: post-release checks failed",
        window=TimeWindow(w.before.start, w.after.end), started_at=w.deployed_at,
        alert={"alertname": "ReleaseCheckFailed", "release": request.release,
               **({"service": services[0]} if len(services) == 1 else {})},
        symptom="; ".join(c.summary for c in failing[:5]))
    diagnosis = None
    for event in Session(settings).investigate(incident, store, notes=[f"post-release check of {request.release}"]):
        if isinstance(event, Answer):
            diagnosis = event.diagnosis
    if diagnosis is None:
        raise RuntimeError("the diagnosis ended without an answer")
    return diagnosis


def check_release(store: TelemetryReader, request: ReleaseRequest, settings: Settings, notes: list[str] | None = None,
                  missing: list[str] | None = None) -> ReleaseReport:
    """Run every post-release check over `store`; InsufficientEvidence when the data cannot answer,
    BadInputError for a --service without data."""
    t0 = time.perf_counter()
    cfg = settings.release
    windows = request.windows
    data_range = store.time_range()
    _check_coverage(data_range, windows)
    known = set(store.services())
    unknown = [s for s in request.services if s not in known]
    if unknown:
        raise BadInputError(f"--service {unknown[0]!r}: no data for it (services with data: {', '.join(sorted(known))})")
    notes, missing = list(notes or []), list(missing or [])
    if data_range[1] < windows.after.end:
        notes.append(f"the data ends at {to_rfc3339(data_range[1])}, before the after window ends "
                     f"({to_rfc3339(windows.after.end)}): the after window is shorter")
    days = covered_days(data_range, windows)
    services = request.services
    from_metrics: list = []

    def metric_golden() -> list[CheckResult]:
        from_metrics.extend(golden_signals(store, windows, services, days))
        return golden_checks(from_metrics, cfg)

    def trace_golden() -> list[CheckResult]:     # fills in what the metrics lack
        from aiops.release.golden_traces import trace_signals

        have = {(s.service, s.signal) for s in from_metrics}
        return golden_checks(trace_signals(store, windows, services, days, have), cfg)

    steps: list[tuple[str, Callable[[], list[CheckResult]], bool]] = [   # (name, step, empty means missing)
        ("golden signals", metric_golden, True),
        ("golden signals from traces", trace_golden, False),
        ("log templates", lambda: log_checks(store, windows, services, days, cfg), True),
        ("error trace paths", lambda: trace_checks(store, windows, services, days, cfg), True),
        ("restarts", lambda: restart_checks(store, windows, services, days, cfg), True),
    ]
    checks: list[CheckResult] = []
    for name, step, needed in steps:
        try:
            found = step()
        except AiopsError as exc:
            missing.append(f"{name}: {one_line(exc)}")
            continue
        except Exception as exc:  # noqa: BLE001 - one failing check never sinks the report
            missing.append(f"{name}: {exc.__class__.__name__}: {one_line(exc)}")
            continue
        if not found and needed:
            missing.append(f"{name}: no data in the release windows")
        checks.extend(found)
    if not checks or all(c.status == "skip" for c in checks):
        why = "; ".join(missing[:3] + [c.summary for c in checks[:2]]) or "no usable data"
        raise InsufficientEvidence("insufficient evidence: no check could compare the release windows: the data "
                                   f"holds no usable metrics, logs, spans or restart events in them ({why})")
    verdict = worst([c.status for c in checks])
    if verdict == "skip":
        verdict = "pass"
    diagnosis = None
    failing = [c for c in checks if c.status == "fail"]
    if failing and cfg.diagnose_on_fail:
        try:
            diagnosis = _diagnose(store, request, failing, settings)
        except Exception as exc:  # noqa: BLE001 - the verdict stands without a diagnosis
            missing.append(f"diagnosis: {exc.__class__.__name__}: {one_line(exc)}")
    checked = tuple(sorted({c.service for c in checks if c.service}))
    return redacted(ReleaseReport(
        release=request.release, windows=windows, verdict=verdict, checks=tuple(_ordered(checks)),
        services=checked, deploys=tuple(deploy_events(store, windows, services, request.release)),
        history_days_used=len(days), diagnosis=diagnosis, missing=tuple(missing), notes=tuple(notes),
        thresholds=as_dict(cfg), source=request.source, duration_s=time.perf_counter() - t0))


_ORDER = {"fail": 0, "warn": 1, "pass": 2, "skip": 3}
_CATEGORY = {"golden": 0, "logs": 1, "traces": 2, "restarts": 3}


def _ordered(checks: list[CheckResult]) -> list[CheckResult]:
    return sorted(checks, key=lambda c: (_ORDER[c.status], c.service, _CATEGORY.get(c.category, 9), c.check))

