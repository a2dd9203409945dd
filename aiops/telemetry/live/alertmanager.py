"""Alertmanager (API v2, read-only): the firing alerts that start a diagnosis.

    GET /api/v2/alerts?active=true&silenced=false&inhibited=false&filter=alertname="X"
    GET /api/v2/alerts/groups
    GET /api/v2/status                     (health: version, cluster state)

An Alertmanager source brings no telemetry: it names the incident (title, labels, start).
"""

from __future__ import annotations

from dataclasses import dataclass

from aiops.errors import SourceError
from aiops.telemetry.alerts import Alert, api_alerts
from aiops.telemetry.live import promql
from aiops.telemetry.live.base import Endpoint, HttpSource
from aiops.telemetry.live.options import HttpOptions
from aiops.telemetry.live.result import Health


@dataclass
class AlertmanagerOptions(HttpOptions):
    include_silenced: bool = False        # also consider silenced and inhibited alerts


class AlertmanagerSource(HttpSource):
    kind = "alertmanager"
    Options = AlertmanagerOptions
    provides = ()
    ENDPOINTS = (
        Endpoint("GET", "/api/v2/alerts", "firing alerts, optionally filtered by label matchers"),
        Endpoint("GET", "/api/v2/alerts/groups", "alerts grouped as routed"),
        Endpoint("GET", "/api/v2/status", "version and cluster state, for health"),
    )

    def alerts(self, name: str | None = None, matchers: list[str] | None = None) -> list[Alert]:
        """Active alerts (not silenced or inhibited unless include_silenced), optionally only `name`."""
        shown = "true" if self.options.include_silenced else "false"
        filters = list(matchers or [])
        if name:
            filters.append(f"alertname={promql.quote(name)}")
        params: dict[str, object] = {"active": "true", "silenced": shown, "inhibited": shown, "unprocessed": "true"}
        if filters:
            params["filter"] = filters
        alerts = api_alerts(self.get("/api/v2/alerts", params))
        if alerts is None:
            raise SourceError("malformed answer from /api/v2/alerts: expected a JSON list of alerts")
        return alerts

    def alert_groups(self) -> list[dict]:
        doc = self.get("/api/v2/alerts/groups")
        if not isinstance(doc, list):
            raise SourceError("malformed answer from /api/v2/alerts/groups: expected a JSON list")
        return doc

    def health(self) -> Health:
        doc = self.get("/api/v2/status")
        if not isinstance(doc, dict):
            raise SourceError("malformed answer from /api/v2/status")
        version = str((doc.get("versionInfo") or {}).get("version") or "")
        cluster = str((doc.get("cluster") or {}).get("status") or "")
        text = "ready" + (f" (Alertmanager {version})" if version else "") + (f", cluster {cluster}" if cluster else "")
        return Health(True, text, version=version)
