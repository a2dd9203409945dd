"""Evidence coverage and the verdict it supports: rows per modality and service in the
window, "insufficient evidence" when nothing was read, "healthy" only for data read and
quiet, and the reasons that name what could not be read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from inprocess_cli import run_aiops

from aiops.agent.coverage import QUIET_BELOW, coverage_of, verdict_of
from aiops.domain import Coverage, Incident, SourceRead, TimeWindow
from aiops.telemetry.bundle import load_bundle

T0 = 1_700_000_000.0          # the window: T0 .. T0 + 1800


def _bundle(path: Path, *, metrics_at: float | None = T0 + 60, logs_at: float = T0 - 7200,
            events_at: float | None = T0 + 600, alert: bool = True) -> Path:
    path.mkdir()
    alert_toml = '\n[alert]\nalertname = "HighErrorRate"\nservice = "cart"\n' if alert else ""
    (path / "incident.toml").write_text(f'title = "cart errors"\n[window]\nstart = {T0:.0f}\nend = {T0 + 1800:.0f}\n'
                                        + alert_toml)
    if metrics_at is not None:
        rows = [f"{metrics_at + 15 * i:.0f},http_requests,{1 + i % 3},{svc}" for i in range(40) for svc in ("cart", "auth")]
        (path / "metrics.csv").write_text("timestamp,metric,value,service\n" + "\n".join(rows) + "\n")
    (path / "logs.csv").write_text("timestamp,service,level,message\n" +
                                   "".join(f"{logs_at + i:.0f},cart,info,hello {i}\n" for i in range(5)))
    if events_at is not None:
        (path / "events.jsonl").write_text(json.dumps({"timestamp": events_at, "kind": "k8s_event", "service": "",
                                                       "message": "node ready"}) + "\n")
    return path


def test_coverage_counts_the_rows_each_modality_holds_in_the_window(tmp_path):
    loaded = load_bundle(_bundle(tmp_path / "b"))
    try:
        cov = coverage_of(loaded.store, loaded.incident.window, [SourceRead("bundle b", "ok", "metrics, logs")])
    finally:
        loaded.store.close()
    assert cov.rows == {"metrics": 80, "logs": 0, "traces": 0, "events": 1}, "logs before the window do not count"
    assert cov.services["metrics"] == ("auth", "cart") and cov.services["logs"] == ()
    assert cov.read == ("metrics", "events") and cov.all_services == ("auth", "cart")


WINDOW = TimeWindow(T0, T0 + 1800)
PAGED = Incident("cart errors", WINDOW, alert={"alertname": "HighErrorRate", "service": "cart"})
DOWN = (SourceRead("prometheus 'main'", "error", "cannot connect to http://127.0.0.1:9 (connection refused)"),
        SourceRead("loki 'logs'", "no_data", "no data in the window"))


def test_nothing_read_is_insufficient_evidence_naming_each_source():
    verdict, reasons = verdict_of(Coverage(sources=DOWN), 0.0, PAGED)
    assert verdict == "insufficient_evidence"
    assert reasons == ("could not read prometheus 'main': cannot connect to http://127.0.0.1:9 (connection refused)",
                       "loki 'logs': no data in the window")
    verdict, reasons = verdict_of(Coverage(), 0.0, PAGED)
    assert verdict == "insufficient_evidence" and "no metrics, logs, traces or events between" in reasons[0]


def test_only_quiet_cluster_events_are_no_ground_for_healthy():
    events_only = Coverage(sources=DOWN, rows={"events": 3}, services={"events": ()})
    verdict, reasons = verdict_of(events_only, 0.0, PAGED)
    assert verdict == "insufficient_evidence" and any("only change and cluster events" in r for r in reasons)
    assert verdict_of(events_only, 0.9, PAGED)[0] == "root_cause", "events that show a cause still count"


def test_healthy_needs_data_read_and_quiet_and_says_when_an_alert_contradicts_it():
    read = Coverage(rows={"metrics": 80, "logs": 5}, services={"metrics": ("auth", "cart"), "logs": ("cart",)})
    verdict, reasons = verdict_of(read, 0.0, PAGED)
    assert verdict == "healthy"
    assert reasons[0] == "no service showed anomalous behaviour in the metrics and logs of 2 services"
    assert reasons[1] == "yet alert HighErrorRate fired for cart: its symptom is not visible in the data read"
    assert verdict_of(read, QUIET_BELOW / 2, Incident("x", WINDOW)) == ("healthy", reasons[:1])
    assert verdict_of(read, QUIET_BELOW, PAGED) == ("root_cause", ())


def test_a_bundle_without_data_in_its_window_exits_4_and_says_so_first(tmp_path):
    bundle = _bundle(tmp_path / "b", metrics_at=None, events_at=None)
    proc = run_aiops("diagnose", "--bundle", bundle, env={"COLUMNS": "80"})
    assert proc.exit_code == 4, proc.stderr
    first = proc.stdout.splitlines()[0]
    assert first.startswith("Insufficient evidence: no metrics, logs, traces or events between")
    doc = json.loads(run_aiops("diagnose", "--bundle", bundle, "--format", "json").stdout)
    assert doc["verdict"] == "insufficient_evidence" and doc["root_causes"] == []
    assert doc["coverage"]["modalities"]["logs"] == {"rows": 0, "services": []}
    assert doc["coverage"]["sources"] == [{"name": "bundle b", "status": "ok", "detail": "logs"}]


@pytest.mark.parametrize("fmt, needle", [("markdown", "**Insufficient evidence: "),
                                         ("html", "<strong>Insufficient evidence: ")])
def test_every_report_format_leads_with_the_verdict(tmp_path, fmt, needle):
    bundle = _bundle(tmp_path / "b", metrics_at=None, events_at=None)
    proc = run_aiops("diagnose", "--bundle", bundle, "--format", fmt)
    assert proc.exit_code == 4 and needle in proc.stdout
    assert "## Evidence coverage" in proc.stdout or "<h2>Evidence coverage</h2>" in proc.stdout


def test_verdict_and_coverage_survive_a_json_round_trip(tmp_path):
    from aiops.report.json_reader import diagnosis_from_dict
    from aiops.report.json_report import diagnosis_to_dict

    bundle = _bundle(tmp_path / "b")
    doc = json.loads(run_aiops("diagnose", "--bundle", bundle, "--format", "json").stdout)
    back = diagnosis_from_dict(doc)
    assert back.verdict == doc["verdict"] and back.coverage.rows["metrics"] == 80
    assert back.coverage.sources == (SourceRead("bundle b", "ok", "metrics, logs, events"),)
    assert diagnosis_to_dict(back)["coverage"] == doc["coverage"]
    old = {k: v for k, v in doc.items() if k not in ("verdict", "verdict_reasons", "coverage")}
    assert diagnosis_from_dict(old).verdict == ("root_cause" if doc["root_causes"] else "insufficient_evidence")
