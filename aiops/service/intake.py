"""An Alertmanager webhook notification, read and checked (POST /alerts).

Alertmanager sends one notification per alert group: `groupKey`, `status`, `receiver`,
`groupLabels`, `commonLabels`, `externalURL` and the group's `alerts` (each with labels,
annotations, startsAt, endsAt, generatorURL, fingerprint). Anything else is refused with
one line saying what is wrong (HTTP 400).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from aiops.telemetry.alerts import Alert, webhook_alerts


class BadNotification(ValueError):
    """A request body that is not an Alertmanager webhook notification."""


@dataclass
class Notification:
    group_key: str
    status: str
    receiver: str
    alerts: list[Alert]
    group_labels: dict[str, str] = field(default_factory=dict)
    external_url: str = ""

    @property
    def firing(self) -> list[Alert]:
        return [a for a in self.alerts if a.firing]


def fingerprint(alert: Alert) -> str:
    """Alertmanager's fingerprint when given, else a hash of the sorted labels."""
    if alert.fingerprint:
        return alert.fingerprint
    text = json.dumps(sorted(alert.labels.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def parse_notification(body: bytes) -> Notification:
    try:
        doc: Any = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadNotification(f"the body is not JSON ({exc})") from None
    except RecursionError:
        raise BadNotification("the body is JSON nested too deeply to read") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("alerts"), list):
        raise BadNotification("not an Alertmanager webhook notification: no \"alerts\" list")
    alerts = webhook_alerts(doc) or []
    if not alerts:
        raise BadNotification("the notification holds no alert")
    nameless = [a for a in alerts if not a.labels]
    if nameless:
        raise BadNotification("an alert without labels")
    group_labels = doc.get("groupLabels") if isinstance(doc.get("groupLabels"), dict) else {}
    key = str(doc.get("groupKey") or "")
    if not key:       # not from Alertmanager itself (a hand-made payload): group by the alerts' names
        key = "{}:" + json.dumps(sorted({a.name for a in alerts}))
    return Notification(group_key=key[:1000], status=str(doc.get("status") or "firing"),
                        receiver=str(doc.get("receiver") or ""), alerts=alerts,
                        group_labels={str(k): str(v) for k, v in group_labels.items()},
                        external_url=str(doc.get("externalURL") or ""))
