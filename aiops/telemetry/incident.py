"""incident.toml (and alert.json) -> Incident.

Rules beyond the spec, decided here:
- `title` is required, unless alert.json can name the incident (its summary annotation,
  else its alertname).
- `started_at` (RFC 3339, unix time or a TOML datetime) is optional; alert.json's
  `startsAt` fills it when absent.
- The window is [window] start/end when given (both required then, end after start).
  Without [window] it is derived: from the data's time range (widened to include
  started_at) when the bundle has telemetry; else started_at +- 15 minutes; else the
  bundle is rejected.
- `alert` is the [alert] table; without one, the labels of the first firing alert of
  alert.json (an Alertmanager webhook payload).
- Any other top-level key is kept in Incident.extra.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiops.domain import Incident, TimeWindow
from aiops.errors import BundleError
from aiops.timeutil import parse_timestamp
from aiops.tomlfile import read_toml

DEFAULT_HALF_WINDOW_S = 15 * 60
_KNOWN = {"title", "started_at", "window", "alert", "symptom"}


@dataclass(frozen=True)
class IncidentSpec:
    """incident.toml as read, before the window is settled."""

    title: str
    started_at: float | None
    window: TimeWindow | None
    alert: dict[str, str]
    symptom: str
    extra: dict[str, Any]
    warnings: tuple[str, ...] = ()

    def resolve(self, data_range: tuple[float, float] | None) -> Incident:
        return Incident(title=self.title, window=self.window or derive_window(self.started_at, data_range),
                        started_at=self.started_at, alert=self.alert, symptom=self.symptom, extra=self.extra)


def derive_window(started_at: float | None, data_range: tuple[float, float] | None) -> TimeWindow:
    if data_range is not None:
        lo, hi = data_range
        if started_at is not None:
            lo, hi = min(lo, started_at), max(hi, started_at)
        if hi <= lo:
            lo, hi = lo - DEFAULT_HALF_WINDOW_S, hi + DEFAULT_HALF_WINDOW_S
        return TimeWindow(lo, hi)
    if started_at is not None:
        return TimeWindow(started_at - DEFAULT_HALF_WINDOW_S, started_at + DEFAULT_HALF_WINDOW_S)
    raise BundleError("incident.toml: no [window] and no started_at, and the bundle has no telemetry "
                      "to derive the window from")


def _time(where: str, value: Any) -> float:
    try:
        return parse_timestamp(value)
    except (ValueError, TypeError, OverflowError):
        raise BundleError(f"{where} = {value!r}: unknown timestamp format (use RFC 3339 or unix seconds)") from None


def read_alert_json(path: Path, alertname: str | None = None) -> tuple[dict[str, str], dict[str, Any], list[str]]:
    """(labels, the alert itself, warnings) of the first firing alert in an Alertmanager payload
    (the most severe, then earliest, firing alert named `alertname` when one is given)."""
    from aiops.telemetry.alerts import pick_alert, webhook_alerts

    name = path.name
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise BundleError(f"{name} line {exc.lineno}: malformed JSON: {exc.msg}") from None
    except RecursionError:
        raise BundleError(f"{name}: JSON nested too deeply to read") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BundleError(f"{name}: cannot read: {exc}") from None
    alerts = webhook_alerts(doc)
    if alerts is None:
        raise BundleError(f"{name}: expected an Alertmanager webhook payload (an object with 'alerts')")
    if alertname is not None:
        chosen = pick_alert(alerts, alertname)
    else:
        chosen = next((a for a in alerts if a.firing), None)
    if chosen is None:
        named = f" named {alertname!r}" if alertname is not None else ""
        return {}, {}, [f"{name}: no firing alert{named}"]
    return chosen.labels, chosen.raw, []


def read_incident(bundle: Path) -> IncidentSpec:
    """Read and check incident.toml (and alert.json when present)."""
    path = bundle / "incident.toml"
    if not path.is_file():
        raise BundleError(f"{bundle}: missing incident.toml (every bundle needs one)")
    data = read_toml(path, BundleError, "incident.toml")
    warnings: list[str] = []
    alert_labels: dict[str, str] = {}
    alert: dict[str, Any] = {}
    from aiops.telemetry.paths import not_a_file

    if (bundle / "alert.json").is_file():
        alert_labels, alert, warnings = read_alert_json(bundle / "alert.json")
    elif why := not_a_file(bundle / "alert.json"):
        warnings.append(f"alert.json: {why}; not read (the incident has no alert)")
    title = data.get("title")
    if title is None:
        title = (alert.get("annotations") or {}).get("summary") or alert_labels.get("alertname")
    if not isinstance(title, str) or not title.strip():
        raise BundleError(f"incident.toml: missing title (title = {title!r}; a non-empty string is required)")
    started_at = None
    if data.get("started_at") is not None:
        started_at = _time("incident.toml: started_at", data["started_at"])
    elif alert.get("startsAt"):
        started_at = _time("alert.json: startsAt", alert["startsAt"])
    window = None
    if "window" in data:
        table = data["window"]
        if not isinstance(table, dict):
            raise BundleError(f"incident.toml: window = {table!r}: expected a [window] table with start and end")
        for key in ("start", "end"):
            if key not in table:
                raise BundleError(f"incident.toml: [window] is missing {key}")
        start = _time("incident.toml: window.start", table["start"])
        end = _time("incident.toml: window.end", table["end"])
        if not end > start:
            raise BundleError(f"incident.toml: window.end = {table['end']!r} is not after window.start = {table['start']!r}")
        window = TimeWindow(start, end)
    labels = data.get("alert")
    if labels is None:
        labels = alert_labels
    elif not isinstance(labels, dict):
        raise BundleError(f"incident.toml: alert = {labels!r}: expected an [alert] table of labels")
    symptom = data.get("symptom", "")
    if not isinstance(symptom, str):
        raise BundleError(f"incident.toml: symptom = {symptom!r}: expected a string")
    extra = {k: v for k, v in data.items() if k not in _KNOWN}
    return IncidentSpec(title=title.strip(), started_at=started_at, window=window,
                        alert={str(k): str(v) for k, v in labels.items()}, symptom=symptom,
                        extra=extra, warnings=tuple(warnings))
