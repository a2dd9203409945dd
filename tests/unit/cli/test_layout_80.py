"""The terminal output at 80 columns: snapshots pin the layout of the diagnosis report, `runs
list` and `aiops tools` (fixed inputs, so only a layout change moves them), and the real
commands must fit: the demo diagnosis in 60 lines, every line within 80 columns.

A deliberate layout change: re-run with AIOPS_TEST_UPDATE_SNAPSHOTS=1 and review the diff of
tests/unit/cli/snapshots/.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from inprocess_cli import run_aiops

from aiops.domain import (
    Coverage, Diagnosis, Evidence, Incident, RootCause, RunbookRef, SourceRead, TimelineEntry, TimeWindow,
)
from aiops.report import render

SNAPSHOTS = Path(__file__).parent / "snapshots"
T0 = 1731959220.0            # 2024-11-18T19:47:00Z


def matches_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("AIOPS_TEST_UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"no snapshot {path}: run with AIOPS_TEST_UPDATE_SNAPSHOTS=1"
    assert text == path.read_text(), f"{name} changed (AIOPS_TEST_UPDATE_SNAPSHOTS=1 to accept)"


def fits(text: str, lines: int, width: int = 80) -> None:
    rows = text.rstrip("\n").split("\n")
    assert len(rows) <= lines, f"{len(rows)} lines"
    too_wide = [r for r in rows if len(r) > width]
    assert not too_wide, too_wide[:3]


def _cause(rank: int, service: str, fault: str, conf: float, n_evidence: int = 1) -> RootCause:
    evidence = tuple(Evidence("metric", f"latency_p99_seconds on {service}-7d9f-{i} +{40 * (i + 1)} % vs baseline "
                                        f"(robust z {12.5 - i:.1f}) since 2024-11-18T20:07:20Z",
                              ref=f'latency_p99_seconds{{service="{service}",pod="{service}-7d9f-{i}"}}', at=T0 + 1220)
                     for i in range(n_evidence))
    if rank == 1:
        evidence += (Evidence("log", 'new error log in inventory: "ERROR HikariPool-<*> - Connection is not available, '
                                     'request timed out after <*>." (0 lines before onset, 234 after)',
                              ref="log_template:c8d721cf9736"),
                     Evidence("knowledge", "fits playbook connection-pool-exhaustion: Connection pool exhausted",
                              ref="playbooks/connection-pool-exhaustion.yaml"))
    return RootCause(rank, service, f"pod/{service}-7d9f-0", fault, conf,
                     f"{service}: {fault.replace('_', ' ')} — {evidence[0].summary}", evidence)


@pytest.fixture
def diagnosis() -> Diagnosis:
    services = ["inventory", "postgres", "checkout", "mysql", "frontend", "auth", "cart", "shipping"]
    causes = [_cause(1, "inventory", "connection_pool_exhaustion", 0.87, 4), _cause(2, "postgres", "latency", 0.10, 2)]
    causes += [_cause(i + 3, s, "latency", 0.01) for i, s in enumerate(services[2:7])]
    coverage = Coverage(sources=(SourceRead("prometheus 'main'", "ok", "41760 metrics"),
                                 SourceRead("loki 'logs'", "ok", "8918 logs"),
                                 SourceRead("kubernetes 'prod'", "error", "cannot connect to https://10.0.0.1:6443 "
                                                                          "(connection refused)")),
                        rows={"metrics": 41760, "logs": 8918, "traces": 0, "events": 0},
                        services={"metrics": tuple(services), "logs": tuple(services[:6]), "traces": (), "events": ()})
    timeline = tuple(TimelineEntry(T0 + at, svc, what) for at, svc, what in [
        (1132, "postgres", "named in 9 error lines of 1 other service after the onset (inventory)"),
        (1220, "inventory", "latency_p50_seconds on inventory-7d9f-0 +6570 % vs baseline"),
        (1220, "inventory", "latency_p90_seconds on inventory-7d9f-0 +6468 % vs baseline"),
        (1229, "checkout", 'new error log in checkout: "ERROR failed to Reserve: could not call inventory"'),
        (1420, "postgres", "pg_stat_activity_max_tx_duration on postgres-0 up vs baseline")])
    return Diagnosis(
        incident=Incident("frontend: p99 latency above SLO", TimeWindow(T0, T0 + 1800), started_at=T0 + 1225,
                          alert={"alertname": "HighLatency", "service": "frontend", "severity": "page"}),
        root_causes=tuple(causes), coverage=coverage, verdict="root_cause", run_id="0123456789ab", duration_s=2.5,
        remediation=("Stop the bleeding: restart the pods of inventory that hold leaked connections, or raise its "
                     "pool size as a stop-gap.", "Find the holders: long transactions and slow queries."),
        runbooks=(RunbookRef("Database connection pool exhaustion", "knowledge/db-connection-pool-exhaustion.md", 0.9),),
        timeline=timeline, trace_id="0af7651916cd43dd8448eb211c80319c",
        missing_evidence=("kubernetes 'prod': cannot connect to https://10.0.0.1:6443 (connection refused)",
                          "a closer look at postgres: skipped, the step budget (diagnose.max_steps) ran out"),
        notes=("reflection: ranked inventory connection pool exhaustion (0.87)",))


def test_the_diagnosis_layout_at_80_columns(diagnosis):
    text = render(diagnosis, "text", 10, width=80)
    matches_snapshot("diagnose-80.txt", text)
    fits(text, 45)
    assert text.split("\n")[0] == "Most likely root cause: inventory (connection pool exhaustion), confidence 87 %"
    assert "6 other services: no anomaly above 5 % confidence" in text
    assert "reflection:" not in text, "the reflection note only with --verbose"


def test_verbose_shows_every_candidate_with_its_evidence_and_references(diagnosis):
    text = render(diagnosis, "text", 10, width=80, verbose=True)
    assert all(f"{i:>2}. {rc.service}" in text for i, rc in enumerate(diagnosis.root_causes, 1))
    assert 'pod="postgres-7d9f-1"' in text.replace("\n", "") and "reflection:" in text
    assert "0af7651916cd43dd8448eb211c80319c" in text.replace("\n", "")


def test_the_demo_diagnosis_fits_a_screen_at_80_columns():
    proc = run_aiops("diagnose", "--demo", env={"COLUMNS": "80"})
    assert proc.exit_code == 0, proc.stderr
    fits(proc.stdout, 60)
    assert proc.stdout.startswith("Most likely root cause: inventory")
    assert "Read: metrics, logs, traces and events for " in proc.stdout


@pytest.fixture
def history(tmp_path, monkeypatch):
    """A run history holding three fixed runs (local time: UTC)."""
    from aiops.history import RunHistory

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    data = tmp_path / "data"
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[general]\ndata_dir = "{data}"\n')
    h = RunHistory(data / "runs.duckdb")
    titles = ["frontend: p99 latency above SLO on the checkout path since the 14:00 deploy",
              "[FIRING:1] HighErrorRate (app-ui-dashboard)", "live sources: live diagnosis 2024-11-18T19:47:00Z"]
    tops = [("inventory", 0.87), ("app-admin-backend", 0.42), ("", 0.0)]
    for i, (title, (top, conf)) in enumerate(zip(titles, tops)):
        h.write("runs", {"run_id": f"{i:012x}", "started_at": T0 + 60 * i, "updated_at": T0 + 60 * i, "status": "ok",
                         "incident_title": title, "reasoner": "offline", "top_service": top, "top_confidence": conf,
                         "duration_s": 2.5 + i})
    yield cfg
    monkeypatch.delenv("TZ")
    time.tzset()


def test_runs_list_is_one_line_a_run_at_80_columns(history):
    proc = run_aiops("-c", history, "runs", "list", env={"COLUMNS": "80"})
    assert proc.exit_code == 0, proc.stderr
    body = proc.stdout.split("\n", 1)[1]            # the first line names the (temporary) history file
    matches_snapshot("runs-list-80.txt", body)
    fits(proc.stdout, 5)
    assert "inventory 87%" in body and "frontend: p99 latency" in body


def test_runs_show_accepts_latest(history):
    proc = run_aiops("-c", history, "runs", "show", "latest")
    assert proc.exit_code == 0, proc.stderr
    assert proc.stdout.startswith("run 000000000002")


def test_the_tools_layout_at_80_columns():
    from aiops.cli.tools_cmd import tools_text
    from aiops.tooling.base import ToolSpec

    specs = [ToolSpec(name="metrics.scan", specialist="metrics", description="Scan every metric series of the "
                      "window against its baseline. Returns the anomalous ones.", parameters={"properties": {}}),
             ToolSpec(name="prometheus.instant_query", specialist="metrics", description="Run a read-only PromQL "
                      "instant query on a configured Prometheus.", parameters={"properties": {"query": {}}}),
             ToolSpec(name="logs.search", specialist="logs", description="Count and sample log lines containing a "
                      "text.", parameters={"properties": {"pattern": {}, "service": {}}})]
    from io import StringIO

    from rich.console import Console

    console = Console(width=80, file=StringIO(), record=True)
    for line in tools_text(specs, 80):
        console.print(line, no_wrap=True)
    matches_snapshot("tools-80.txt", console.export_text())


def test_aiops_tools_fits_80_columns_one_line_a_tool():
    proc = run_aiops("tools", env={"COLUMNS": "80"})
    assert proc.exit_code == 0, proc.stderr
    fits(proc.stdout, 60)
    lines = proc.stdout.rstrip("\n").split("\n")
    assert lines[1].split() == ["tool", "specialist", "what", "it", "does"]
    assert any(line.startswith("metrics.scan ") for line in lines)
