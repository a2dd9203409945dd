"""What a live diagnosis is about: the window, the alert (from Alertmanager or a webhook
payload file) and the Incident built from them.

Window rules (flags win):
- `--start` and `--end`: exactly that; `--start` alone ends now; `--end` alone starts
  `--window` (or sources.default_window) earlier.
- otherwise, with an alert: from `window` before the alert started until `window` after
  it, but never past now — the baseline lies before the alert, the symptom after it.
- otherwise the last `window` up to now.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from aiops.domain import Incident, SourceRead, TimeWindow
from aiops.errors import BadInputError
from aiops.telemetry.alerts import Alert, parse_alert
from aiops.timeutil import parse_duration, parse_timestamp, to_rfc3339


def _time(flag: str, value: str, now: float) -> float:
    if value.strip().lower() == "now":
        return now
    try:
        return parse_timestamp(value)
    except (ValueError, TypeError, OverflowError):
        raise BadInputError(f"{flag} {value!r}: unknown time (use RFC 3339, unix seconds or 'now')") from None


def window_length(window: str | None, default: str) -> float:
    text = window or default
    try:
        seconds = parse_duration(text)
    except ValueError:
        seconds = 0.0
    if seconds <= 0:
        flag = "--window" if window else "sources.default_window"
        raise BadInputError(f"{flag} {text!r}: not a duration (use e.g. 30m, 2h)")
    return seconds


def resolve_window(window: str | None = None, start: str | None = None, end: str | None = None,
                   default: str = "30m", alert_start: float | None = None, now: float | None = None) -> TimeWindow:
    now = time.time() if now is None else now
    length = window_length(window, default)
    if start is not None or end is not None:
        hi = _time("--end", end, now) if end is not None else now
        lo = _time("--start", start, now) if start is not None else hi - length
    elif alert_start is not None:
        lo, hi = alert_start - length, min(now, alert_start + length)
    else:
        lo, hi = now - length, now
    if not hi > lo:
        raise BadInputError(f"the window {to_rfc3339(lo)} .. {to_rfc3339(hi)} is empty: the end must be after the start")
    return TimeWindow(lo, hi)


def alert_from_file(path: Path, name: str | None = None) -> Alert:
    """The firing alert of a webhook payload file (the parser of a bundle's alert.json)."""
    from aiops.telemetry.incident import read_alert_json

    path = Path(path).expanduser()
    if not path.is_file():
        raise BadInputError(f"--alert-file {path}: no such file")
    labels, raw, warnings = read_alert_json(path, name)
    if not raw:
        raise BadInputError(f"--alert-file {path}: {warnings[0] if warnings else 'no firing alert'}")
    return parse_alert(raw, labels)


@dataclass
class LiveIncident:
    """The incident, plus what was noted or found missing while settling it."""

    incident: Incident
    alert: Alert | None = None
    notes: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    reads: list[SourceRead] = field(default_factory=list)    # each telemetry source as it was read


def build_incident(window: TimeWindow, alert: Alert | None = None, service: str | None = None,
                   namespace: str | None = None, sources: list[str] | None = None) -> Incident:
    """The Incident of a live diagnosis: titled and labelled by its alert when there is one."""
    labels = dict(alert.labels) if alert else {}
    if service:
        labels.setdefault("service", service)
    if namespace:
        labels.setdefault("namespace", namespace)
    if alert is not None:
        title = alert.title
        symptom = alert.annotations.get("description", "")
        started = alert.starts_at if alert.starts_at is not None and window.contains(alert.starts_at) else None
    else:
        where = f"{service}" if service else (f"namespace {namespace}" if namespace else "live sources")
        title = f"{where}: live diagnosis {to_rfc3339(window.start)} .. {to_rfc3339(window.end)}"
        symptom, started = "", None
    extra = {"live": {"sources": list(sources or [])}}
    return Incident(title=title, window=window, started_at=started, alert=labels, symptom=symptom, extra=extra)
