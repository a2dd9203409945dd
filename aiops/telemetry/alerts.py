"""Alerts as Alertmanager shows them: the webhook payload (a bundle's alert.json, or a file
given with --alert-file) and the v2 API's alert list, parsed by one set of functions.

An alert becomes the incident to diagnose: its labels, its summary (title) and its start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiops.timeutil import parse_timestamp

_SEVERITY_ORDER = {"critical": 0, "page": 0, "error": 1, "high": 1, "warning": 2, "warn": 2, "info": 3, "none": 4}


@dataclass(frozen=True)
class Alert:
    labels: dict[str, str]
    annotations: dict[str, str] = field(default_factory=dict)
    starts_at: float | None = None
    ends_at: float | None = None
    status: str = "firing"              # firing | resolved (webhook); active | suppressed | unprocessed (v2)
    fingerprint: str = ""
    generator_url: str = ""
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "")

    @property
    def firing(self) -> bool:
        return self.status in ("firing", "active", "unprocessed")

    @property
    def title(self) -> str:
        return (self.annotations.get("summary") or self.annotations.get("title") or self.name or "alert").strip()

    @property
    def severity_rank(self) -> int:
        return _SEVERITY_ORDER.get(self.labels.get("severity", "").lower(), 5)


def _time(value: Any) -> float | None:
    """startsAt/endsAt; Alertmanager's zero time (0001-01-01) means unset."""
    if not value or str(value).startswith("0001-01-01"):
        return None
    try:
        return parse_timestamp(value)
    except (ValueError, TypeError, OverflowError):
        return None


def _strings(d: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in d.items()} if isinstance(d, dict) else {}


def parse_alert(doc: dict[str, Any], common_labels: dict[str, str] | None = None) -> Alert:
    """One alert of a webhook payload or of GET /api/v2/alerts."""
    status = doc.get("status", "firing")
    if isinstance(status, dict):                       # v2 API: {"state": "active", "silencedBy": [...]}
        status = status.get("state", "active")
    return Alert(labels={**(common_labels or {}), **_strings(doc.get("labels"))},
                 annotations=_strings(doc.get("annotations")),
                 starts_at=_time(doc.get("startsAt")), ends_at=_time(doc.get("endsAt")),
                 status=str(status or "firing"), fingerprint=str(doc.get("fingerprint") or ""),
                 generator_url=str(doc.get("generatorURL") or ""), raw=doc)


def webhook_alerts(doc: Any) -> list[Alert] | None:
    """The alerts of an Alertmanager webhook payload; None when `doc` is not one."""
    if not isinstance(doc, dict) or not isinstance(doc.get("alerts", []), list):
        return None
    common = _strings(doc.get("commonLabels"))
    return [parse_alert(a, common) for a in doc.get("alerts", []) if isinstance(a, dict)]


def api_alerts(doc: Any) -> list[Alert] | None:
    """The alerts of a GET /api/v2/alerts answer (a JSON list); None when `doc` is not one."""
    if not isinstance(doc, list):
        return None
    return [parse_alert(a) for a in doc if isinstance(a, dict)]


def pick_alert(alerts: list[Alert], name: str | None = None) -> Alert | None:
    """The firing alert to diagnose: named `name` if given; most severe, then earliest first."""
    firing = [a for a in alerts if a.firing and (name is None or a.name == name)]
    if not firing:
        return None
    return min(firing, key=lambda a: (a.severity_rank, a.starts_at if a.starts_at is not None else float("inf"),
                                      a.name, a.fingerprint))


def webhook_payload(alert: Alert) -> dict[str, Any]:
    """An Alertmanager webhook payload (version 4) holding one alert: a bundle's alert.json."""
    from aiops.timeutil import to_rfc3339

    one = {"status": "firing", "labels": alert.labels, "annotations": alert.annotations,
           "startsAt": to_rfc3339(alert.starts_at) if alert.starts_at is not None else "0001-01-01T00:00:00Z",
           "endsAt": to_rfc3339(alert.ends_at) if alert.ends_at is not None else "0001-01-01T00:00:00Z",
           "generatorURL": alert.generator_url, "fingerprint": alert.fingerprint}
    return {"version": "4", "status": "firing", "receiver": "aiops", "groupLabels": {},
            "commonLabels": alert.labels, "commonAnnotations": alert.annotations, "externalURL": "",
            "alerts": [one]}
