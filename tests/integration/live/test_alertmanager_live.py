"""A real Alertmanager (Debian's package) receives alerts posted by the test through its v2
API; `aiops diagnose --alertmanager` takes the incident from them (title, labels, start)."""

from __future__ import annotations

import json
import urllib.request

import pytest
from inprocess_cli import run_aiops

from aiops.timeutil import to_rfc3339

pytestmark = pytest.mark.live


def post_alerts(url: str, alerts: list[dict]) -> None:
    req = urllib.request.Request(url + "/api/v2/alerts", data=json.dumps(alerts).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 200


@pytest.fixture(scope="module")
def firing(alertmanager, sim_loaded):
    """The bundle's alert (a page) plus an unrelated warning, both firing."""
    inc = sim_loaded.incident
    post_alerts(alertmanager.url, [
        {"labels": dict(inc.alert), "annotations": {"summary": inc.title, "description": inc.symptom},
         "startsAt": to_rfc3339(inc.started_at), "generatorURL": "http://prometheus.example/graph"},
        {"labels": {"alertname": "DiskFillingUp", "severity": "warning", "service": "ad", "namespace": "shop"},
         "annotations": {"summary": "ad: disk 85% full"}, "startsAt": to_rfc3339(inc.window.start)},
    ])
    return inc


def test_diagnose_picks_up_the_posted_alert(alertmanager, prometheus, firing, bundle_answer, config):
    cfg = config(f'[sources.prometheus.main]\nurl = "{prometheus.url}"\n')
    flags = ["--start", to_rfc3339(firing.window.start), "--end", to_rfc3339(firing.window.end)]
    result = run_aiops("-c", cfg, "diagnose", "--alertmanager", alertmanager.url, "--alert", "HighLatency",
                       *flags, "--format", "json")
    assert result.exit_code == 0, result.stderr
    live = json.loads(result.stdout)
    assert live["incident"]["title"] == firing.title
    assert live["incident"]["started_at"] == to_rfc3339(firing.started_at)
    assert live["incident"]["alert"] == firing.alert
    assert any(n.startswith("alert HighLatency from alertmanager 'cli'") for n in live["notes"])
    assert live["root_causes"][0]["service"] == bundle_answer["root_causes"][0]["service"]


def test_without_a_name_the_most_severe_alert_wins(alertmanager, prometheus, firing, config):
    cfg = config(f'[sources.prometheus.main]\nurl = "{prometheus.url}"\n'
                 f'[sources.alertmanager.ops]\nurl = "{alertmanager.url}"\n')
    result = run_aiops("-c", cfg, "diagnose", "--alertmanager", "ops", "--end", to_rfc3339(firing.window.end),
                       "--format", "json")
    assert result.exit_code == 0, result.stderr
    live = json.loads(result.stdout)
    assert live["incident"]["alert"]["alertname"] == "HighLatency"
    assert any("(1 more firing)" in n for n in live["notes"])
    # The window follows the alert: it ends at --end and starts the default 30 min earlier.
    assert live["incident"]["window"] == {"start": to_rfc3339(firing.window.end - 1800),
                                          "end": to_rfc3339(firing.window.end)}


def test_an_alert_that_is_not_firing_is_bad_input(alertmanager, prometheus, firing, config):
    cfg = config(f'[sources.prometheus.main]\nurl = "{prometheus.url}"\n')
    result = run_aiops("-c", cfg, "diagnose", "--alertmanager", alertmanager.url, "--alert", "NoSuchAlert")
    assert result.exit_code == 2
    assert "no firing alert named 'NoSuchAlert'" in result.stderr
    assert "DiskFillingUp, HighLatency" in result.stderr


def test_sources_shows_alertmanager_health(alertmanager, prometheus, config):
    cfg = config(f'[sources.prometheus.main]\nurl = "{prometheus.url}"\n'
                 f'[sources.alertmanager.ops]\nurl = "{alertmanager.url}"\n')
    result = run_aiops("-c", cfg, "sources", "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = {f"{r['kind']}.{r['name']}": r for r in json.loads(result.stdout)["sources"]}
    assert rows["alertmanager.ops"]["healthy"] and rows["alertmanager.ops"]["version"].startswith("0.")
    assert rows["prometheus.main"]["healthy"] and rows["prometheus.main"]["version"].startswith("2.")
    assert rows["alertmanager.ops"]["methods"] == ["GET"] == rows["prometheus.main"]["methods"]
