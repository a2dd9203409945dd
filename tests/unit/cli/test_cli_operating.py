"""Operating the agent from the command line (in-process, tests/support/inprocess_cli.py):
every diagnosis is in `aiops runs`, a wrong verdict becomes an evaluation case, and
`aiops eval` counts it."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from inprocess_cli import CliResult, run_aiops


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def run(data_dir):
    def run(*args: str, **env: str) -> CliResult:
        return run_aiops(*args, env={"AIOPS_GENERAL_DATA_DIR": str(data_dir), **env})

    return run


def _diagnose(run) -> dict:
    proc = run("diagnose", "--demo", "--format", "json")
    assert proc.exit_code == 0, proc.stderr
    return json.loads(proc.stdout)


def _one_line_error(proc: CliResult, *needles: str) -> None:
    assert proc.exit_code == 2, (proc.exit_code, proc.stderr)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and all(n in lines[0] for n in needles), proc.stderr


def test_feedback_round_trip_wrong_verdict_becomes_an_eval_case_that_eval_counts(run, data_dir):
    report = _diagnose(run)
    assert report["root_causes"][0]["service"] == "inventory"
    # the operator knows better: the true cause was checkout's own latency
    proc = run("feedback", report["run_id"][:8], "--verdict", "wrong", "--root-cause", "checkout", "--kind", "latency",
               "--note", "postmortem INC-42")
    assert proc.exit_code == 0, proc.stderr
    assert f"run {report['run_id']} is wrong" in proc.stdout and "new evaluation case:" in proc.stdout
    [case] = [p for p in (data_dir / "eval-suite").iterdir()]
    truth = tomllib.loads((case / "truth.toml").read_text())
    assert truth["root_cause"] == [{"service": "checkout", "kind": "latency"}]
    assert truth["source"] == "feedback" and truth["tags"] == ["feedback"]
    assert truth["feedback"]["run_id"] == report["run_id"] and truth["feedback"]["predicted"][0] == "inventory"
    assert (case / "incident.toml").is_file()

    # `aiops eval` (default suite: the feedback cases) now scores the agent on it
    proc = run("eval", "--json")
    assert proc.exit_code == 0, proc.stderr
    scored = json.loads(proc.stdout)
    assert scored["cases"] == 1 and scored["by_tag"]["feedback"]["cases"] == 1
    assert scored["by_kind"]["latency"]["cases"] == 1
    assert scored["by_prompt"]["(no prompts: offline)"]["cases"] == 1
    [result] = scored["results"]
    ranked = [rc["service"] for rc in report["root_causes"]]
    assert result["truth"] == ["checkout"] and result["rank"] == ranked.index("checkout") + 1 > 1
    assert scored["top1"] == 0.0
    # and gates on it: the agent still ranks inventory first
    proc = run("eval", "--min-top1", "1.0")
    assert proc.exit_code == 1 and "below --min-top1" in proc.stderr
    assert "by tag" in proc.stdout and "feedback" in proc.stdout

    # the verdict is part of the run's history
    shown = json.loads(run("runs", "show", report["run_id"], "--json").stdout)
    assert shown["feedback"]["verdict"] == "wrong" and shown["feedback"]["root_cause"] == "checkout"
    assert shown["feedback"]["case_dir"] == str(case)


def test_runs_list_show_diff(run):
    a, b = _diagnose(run), _diagnose(run)
    listed = json.loads(run("runs", "list", "--json").stdout)
    assert [r["run_id"] for r in listed] == [b["run_id"], a["run_id"]]          # newest first
    assert all(r["state"] == "ok" and r["top_service"] == "inventory" for r in listed)
    assert {r["trace_id"] for r in listed} == {a["trace_id"], b["trace_id"]}
    shown = run("runs", "show", "last")
    assert shown.exit_code == 0 and f"run {b['run_id']}" in shown.stdout
    assert f"trace      {b['trace_id']}" in shown.stdout and "metrics.scan" in shown.stdout
    diff = run("runs", "diff", a["run_id"], b["run_id"])
    assert diff.exit_code == 0, diff.stderr
    assert "top cause: inventory -> inventory  (same)" in diff.stdout
    table = run("runs", "list")
    assert b["run_id"] in table.stdout


def test_bad_feedback_is_exit_2_with_one_line(run):
    report = _diagnose(run)
    _one_line_error(run("feedback", "nosuchrun", "--verdict", "wrong"), "run 'nosuchrun': no such run")
    _one_line_error(run("feedback", report["run_id"], "--verdict", "maybe"), "--verdict 'maybe'")
    _one_line_error(run("feedback", report["run_id"], "--verdict", "correct", "--root-cause", "checkout"),
                    "the run's top cause is inventory")


def test_history_can_be_turned_off(run, data_dir):
    env_run = run("diagnose", "--demo", "--format", "json", AIOPS_HISTORY_ENABLED="false")
    assert env_run.exit_code == 0, env_run.stderr
    assert "no runs recorded yet" in run("runs", "list").stdout
