"""`aiops report` as a CI step runs it (in-process, tests/support/inprocess_cli.py) over
simulated release bundles, asserting on exit codes, standard output, the files it writes and
the step summary."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from inprocess_cli import CliResult, run_aiops

from aiops.timeutil import to_rfc3339


def run(*args: str, env: dict | None = None) -> CliResult:
    return run_aiops("report", *args, env={"GITHUB_STEP_SUMMARY": None} | (env or {}))


@pytest.fixture(scope="module")
def failed_run(errors_release, tmp_path_factory):
    bundle, plan = errors_release
    out = tmp_path_factory.mktemp("out") / "reports"
    summary = tmp_path_factory.mktemp("gh") / "summary.md"
    summary.write_text("# earlier step\n")
    proc = run("--release", plan.version, "--bundle", str(bundle), "--out-dir", str(out),
               env={"GITHUB_STEP_SUMMARY": str(summary)})
    return proc, out, summary, plan


def test_a_regression_fails_the_step_with_the_right_evidence(failed_run):
    proc, out, _, plan = failed_run
    assert proc.exit_code == 1, proc.stderr
    assert f"Release `{plan.version}`: **FAIL**" in proc.stdout
    doc = json.loads((out / "release-report.json").read_text())
    assert doc["verdict"] == "fail" and doc["release"] == plan.version
    failing = [c for c in doc["checks"] if c["status"] == "fail"]
    own = [c for c in failing if c["service"] == plan.service]
    assert {c["check"] for c in own} & {"error_rate", "log_templates", "error_paths"}, failing
    rate = next(c for c in own if c["check"] == "error_rate")
    assert rate["after"] - rate["before"] >= 0.01 and rate["p_value"] < 0.001
    assert any(d["service"] == plan.service and d["names_release"] for d in doc["deploys"])
    assert doc["diagnosis"] is not None and doc["diagnosis"]["root_causes"]
    assert "### Likely root cause" in proc.stdout


def test_every_output_is_written_and_junit_has_one_case_per_check(failed_run):
    proc, out, _, plan = failed_run
    assert sorted(p.name for p in out.iterdir()) == ["release-junit.xml", "release-report.html",
                                                     "release-report.json", "release-report.md"]
    doc = json.loads((out / "release-report.json").read_text())
    suite = ET.parse(out / "release-junit.xml").getroot().find("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == len(doc["checks"]) == int(suite.get("tests"))
    assert int(suite.get("failures")) == sum(c["status"] == "fail" for c in doc["checks"]) > 0
    assert len([c for c in cases if c.find("failure") is not None]) == int(suite.get("failures"))
    html = (out / "release-report.html").read_text()
    assert html.count('<svg class="chart"') >= 1 and plan.version in html
    assert (out / "release-report.md").read_text().strip() == proc.stdout.strip()


def test_the_markdown_is_appended_to_the_github_step_summary(failed_run):
    proc, _, summary, plan = failed_run
    text = summary.read_text()
    assert text.startswith("# earlier step\n")           # appended, not replaced
    assert f"Release `{plan.version}`: **FAIL**" in text and len(text) < 65_536


def test_a_clean_release_passes(clean_release, tmp_path):
    bundle, plan = clean_release
    proc = run("--release", plan.version, "--bundle", str(bundle), "--format", "json", "--junit",
               str(tmp_path / "junit.xml"))
    assert proc.exit_code == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["verdict"] in ("pass", "warn") and doc["diagnosis"] is None
    assert not [c for c in doc["checks"] if c["status"] == "fail"]
    assert doc["history_days_used"] == 1 and len(doc["services"]) >= 10
    assert ET.parse(tmp_path / "junit.xml").getroot().find("testsuite").get("failures") == "0"


def test_an_explicit_deploy_time_and_service_narrow_the_check(clean_release):
    bundle, plan = clean_release
    proc = run("--release", plan.version, "--deployed-at", to_rfc3339(plan.deployed_at), "--service", plan.service,
               "--baseline", "45m", "--after", "10m", "--format", "json", "--quiet")
    assert proc.exit_code == 2 and "--bundle" in proc.stderr       # the bundle is still needed
    proc = run("--release", plan.version, "--deployed-at", str(plan.deployed_at), "--service", plan.service,
               "--baseline", "45m", "--after", "10m", "--format", "json", "--quiet", "--bundle", str(bundle))
    assert proc.exit_code == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert {c["service"] for c in doc["checks"]} == {plan.service}
    assert doc["windows"]["baseline"]["start"] == to_rfc3339(plan.deployed_at - 2700)
    assert proc.stderr == ""


@pytest.mark.parametrize("args, names", [
    (["--deployed-at", "yesterday noon"], "--deployed-at 'yesterday noon'"),
    (["--baseline", "an hour"], "--baseline 'an hour'"),
    (["--after", "0m"], "--after '0m'"),
    (["--format", "pdf"], "--format 'pdf'"),
    (["--service", "no-such-service"], "--service 'no-such-service'"),
    (["--deployed-at", "2001-01-01T00:00:00Z"], "--deployed-at 2001-01-01T00:00:00Z"),
    (["--history-days", "99"], "--history-days 99"),
])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(clean_release, tmp_path, args, names):
    bundle, plan = clean_release
    out = tmp_path / "reports"
    proc = run("--release", plan.version, "--bundle", str(bundle), "--out-dir", str(out), "--quiet", *args)
    assert proc.exit_code == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and names in lines[0], proc.stderr
    assert not out.exists() and proc.stdout == ""


def test_a_missing_bundle_or_release_is_bad_input(tmp_path, clean_release):
    proc = run("--bundle", str(tmp_path))
    assert proc.exit_code == 2 and "Missing option '--release'" in proc.stderr and "internal error" not in proc.stderr
    proc = run("--release", "v1", "--bundle", str(tmp_path / "nope"))
    assert proc.exit_code == 2 and str(tmp_path / "nope") in proc.stderr
    bundle, _ = clean_release
    proc = run("--release", "v9.9.9-unknown", "--bundle", str(bundle), "--quiet")
    assert proc.exit_code == 2 and "--deployed-at" in proc.stderr and "v9.9.9-unknown" in proc.stderr
    proc = run("--release", "v1", "--bundle", str(bundle), "--html", str(tmp_path / "no" / "dir" / "r.html"))
    assert proc.exit_code == 2 and "--html" in proc.stderr
