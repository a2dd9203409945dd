"""incident.toml and alert.json -> Incident, including how a missing window is derived."""

from __future__ import annotations

import json

from aiops.telemetry.bundle import load_bundle, load_incident

T0 = 1674981000  # 2023-01-29T08:30:00Z, as in conftest.INCIDENT

STARTED = T0 + 784  # 2023-01-29T08:43:04Z

ALERT = {
    "version": "4", "status": "firing", "commonLabels": {"severity": "page"},
    "alerts": [
        {"status": "resolved", "labels": {"alertname": "Old"}, "startsAt": "2023-01-29T07:00:00Z"},
        {"status": "firing", "labels": {"alertname": "HighLatency", "service": "frontend"},
         "annotations": {"summary": "Checkout p99 above 2s"}, "startsAt": "2023-01-29T08:43:04Z"},
    ],
}


def test_full_incident_toml(make_bundle):
    bundle = make_bundle(incident="""
        title = "Checkout latency above SLO"
        started_at = 2023-01-29T08:43:04Z
        symptom = "p99 > 2s"
        ticket = "INC-42"
        [window]
        start = "2023-01-29T08:30:00Z"
        end = 1674982200
        [alert]
        alertname = "HighLatency"
        service = "frontend"
        """)
    inc = load_incident(bundle)
    assert (inc.title, inc.started_at, inc.window.start, inc.window.end) == (
        "Checkout latency above SLO", STARTED, T0, T0 + 1200)
    assert inc.alert == {"alertname": "HighLatency", "service": "frontend"}
    assert inc.symptom == "p99 > 2s" and inc.extra == {"ticket": "INC-42"}


def test_alert_json_fills_title_alert_and_started_at(make_bundle):
    bundle = make_bundle({"alert.json": json.dumps(ALERT)},
                         incident='[window]\nstart = "2023-01-29T08:30:00Z"\nend = "2023-01-29T08:50:00Z"\n')
    inc = load_incident(bundle)
    assert inc.title == "Checkout p99 above 2s"
    assert inc.alert == {"alertname": "HighLatency", "service": "frontend", "severity": "page"}
    assert inc.started_at == STARTED


def test_incident_alert_table_wins_over_alert_json(make_bundle):
    bundle = make_bundle({"alert.json": json.dumps(ALERT)}, incident='title = "t"\nstarted_at = 1674981784\n[alert]\nalertname = "Mine"\n')
    assert load_incident(bundle).alert == {"alertname": "Mine"}


def test_window_without_data_is_started_at_plus_minus_15_minutes(make_bundle):
    inc = load_incident(make_bundle(incident='title = "t"\nstarted_at = "2023-01-29T08:43:04Z"\n'))
    assert (inc.window.start, inc.window.end) == (STARTED - 900, STARTED + 900)


def test_window_with_data_is_the_data_range_widened_to_started_at(make_bundle):
    files = {"metrics.csv": f"timestamp,metric,value,service\n{T0},cpu,1,a\n{T0 + 600},cpu,1,a\n",
             "logs.csv": f"timestamp,service,message\n{T0 + 300},a,hi\n"}
    bundle = make_bundle(files, incident='title = "t"\nstarted_at = "2023-01-29T08:43:04Z"\n')
    assert (load_incident(bundle).window.start, load_incident(bundle).window.end) == (T0, STARTED)
    bundle = make_bundle(files, incident='title = "t"\n')
    window = load_bundle(bundle).incident.window
    assert (window.start, window.end) == (T0, T0 + 600)


def test_data_outside_the_window_is_a_warning(make_bundle):
    bundle = make_bundle({"metrics.csv": "timestamp,metric,value,service\n2023-02-01T00:00:00Z,cpu,1,a\n",
                          "notes.yaml": "x: 1\n"})
    warnings = load_bundle(bundle).warnings
    assert any("lies outside the window" in w for w in warnings)
    assert "notes.yaml: not a bundle file the loader knows; ignored" in warnings
