"""The operator-facing contract of `aiops diagnose`, `aiops config`, `aiops eval`, asserting on
exit codes, stdout and stderr: in-process (tests/support/inprocess_cli.py), and once as the
real console script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from inprocess_cli import CliResult
from inprocess_cli import run_aiops as run

from aiops.resources import demo_bundle


@pytest.fixture(scope="module")
def demo_json() -> dict:
    proc = run("diagnose", "--demo", "--format", "json")
    assert proc.exit_code == 0, proc.stderr
    return json.loads(proc.stdout)   # stdout is exactly one JSON document


def test_demo_json_has_every_spec_field(demo_json):
    d = demo_json
    assert d["schema_version"] == 1
    assert set(d["incident"]) >= {"title", "window"} and set(d["incident"]["window"]) == {"start", "end"}
    for key in ("root_causes", "remediation", "runbooks", "usage", "run_id", "duration_s"):
        assert key in d
    assert set(d["usage"]) == {"llm_calls", "prompt_tokens", "completion_tokens", "cost_usd"}
    causes = d["root_causes"]
    assert len(causes) >= 5, "at least 5 candidates when at least 5 services have data"
    assert [c["rank"] for c in causes] == list(range(1, len(causes) + 1))
    for c in causes:
        assert set(c) >= {"rank", "service", "component", "fault", "confidence", "summary", "evidence"}
        assert 0.0 <= c["confidence"] <= 1.0
        for e in c["evidence"]:
            assert e["kind"] in {"metric", "log", "trace", "event", "knowledge"}
            assert e["summary"]
    assert causes[0]["confidence"] >= causes[1]["confidence"]


def test_demo_finds_the_culprit_not_the_loudest_symptom(demo_json):
    top = demo_json["root_causes"][0]
    assert top["service"] == "inventory"
    assert top["evidence"], "the top cause shows its evidence"
    assert demo_json["usage"]["llm_calls"] == 0


def test_demo_text_report_names_the_culprit():
    proc = run("diagnose", "--demo")
    assert proc.exit_code == 0, proc.stderr
    first, *rest = proc.stdout.splitlines()
    assert first.startswith("Most likely root cause: inventory")
    assert " 1. inventory" in proc.stdout and "• metric" in proc.stdout, "the top suspect with its evidence"


def test_markdown_to_file_is_written_whole(tmp_path):
    out = tmp_path / "report.md"
    proc = run("diagnose", "--demo", "--format", "markdown", "--output", str(out))
    assert proc.exit_code == 0, proc.stderr
    text = out.read_text()
    assert text.startswith("# Diagnosis:") and "## Ranked candidates" in text
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no temp file left behind"


def _bad(tmp_path: Path, proc: CliResult, *needles: str) -> None:
    assert proc.exit_code == 2, (proc.exit_code, proc.stderr)
    lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for n in needles:
        assert n in lines[0], (n, lines[0])
    assert proc.stdout == ""


def test_bundle_path_that_does_not_exist(tmp_path):
    missing = tmp_path / "nope"
    _bad(tmp_path, run("diagnose", "--bundle", str(missing)), str(missing))


def test_missing_incident_toml(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "logs.csv").write_text("timestamp,service,message\n1,a,hello\n")
    _bad(tmp_path, run("diagnose", "--bundle", str(tmp_path / "b")), "incident.toml")


def _bundle_with(tmp_path: Path, name: str, text: str) -> Path:
    b = tmp_path / "b"
    shutil.copytree(demo_bundle(), b)
    for p in b.glob(name.split(".")[0] + ".*"):
        p.unlink()
    (b / name).write_text(text)
    return b


def test_malformed_csv_row(tmp_path):
    b = _bundle_with(tmp_path, "metrics.csv",
                     "timestamp,metric,value,service\n1731959220,cpu,0.5,a\n1731959235,cpu,0.5,a,EXTRA,MORE\n")
    _bad(tmp_path, run("diagnose", "--bundle", str(b)), "metrics.csv")


def test_unknown_timestamp_format(tmp_path):
    b = _bundle_with(tmp_path, "metrics.csv", "timestamp,metric,value,service\n29/01/2023 08:30,cpu,0.5,a\n")
    _bad(tmp_path, run("diagnose", "--bundle", str(b)), "metrics.csv", "29/01/2023 08:30")


def test_empty_file(tmp_path):
    b = _bundle_with(tmp_path, "metrics.csv", "")
    _bad(tmp_path, run("diagnose", "--bundle", str(b)), "metrics.csv")


def test_bad_config_key(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text("[diagnose]\nmax_root_cuases = 3\n")
    _bad(tmp_path, run("--config", str(cfg), "diagnose", "--demo"), str(cfg), "diagnose.max_root_cuases")
    _bad(tmp_path, run("--config", str(cfg), "config", "check"), str(cfg), "diagnose.max_root_cuases")


def test_the_console_script_exits_2_with_one_line_and_writes_reports(tmp_path):
    aiops = [sys.executable, "-m", "aiops"]
    missing = tmp_path / "nope"
    proc = subprocess.run([*aiops, "diagnose", "--bundle", str(missing)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("error: ") and str(missing) in proc.stderr and proc.stderr.count("\n") == 1
    proc = subprocess.run([*aiops, "diagnose", "--demo", "--format", "json"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and json.loads(proc.stdout)["root_causes"][0]["service"] == "inventory"


def test_html_report_to_stdout_and_to_a_file(tmp_path):
    proc = run("diagnose", "--demo", "--format", "html")
    assert proc.exit_code == 0, proc.stderr
    assert proc.stdout.startswith("<!DOCTYPE html>") and "inventory" in proc.stdout
    out = tmp_path / "report.html"
    assert run("diagnose", "--demo", "--format", "html", "--output", out).exit_code == 0
    assert out.read_text().startswith("<!DOCTYPE html>") and "</html>" in out.read_text()


def test_bad_flag_value_is_exit_2():
    proc = run("diagnose", "--demo", "--format", "yaml")
    assert proc.exit_code == 2 and "yaml" in proc.stderr


def test_config_check_ok_and_show(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text("[diagnose]\nmax_root_causes = 7\n")
    ok = run("config", "check", env={"AIOPS_CONFIG": str(cfg)})
    assert ok.exit_code == 0 and str(cfg) in ok.stdout
    shown = run("config", "show", "--format", "json", env={"AIOPS_CONFIG": str(cfg), "AIOPS_DIAGNOSE_MAX_STEPS": "4"})
    data = json.loads(shown.stdout)
    assert data["diagnose"]["max_root_causes"] == 7 and data["diagnose"]["max_steps"] == 4


def test_version_and_help():
    assert run("version").stdout.startswith("aiops ")
    out = run("--help").stdout
    for command in ("diagnose", "simulate", "bundle", "config", "version", "eval"):
        assert command in out


def test_eval_gate_on_a_tiny_corpus(tmp_path):
    corpus = tmp_path / "corpus"
    case = corpus / "case-1"
    shutil.copytree(demo_bundle(), case)
    (case / "truth.toml").write_text('[[root_cause]]\nservice = "inventory"\nkind = "connection_pool_exhaustion"\n')
    proc = run("eval", "--corpus", str(corpus), "--json", "--min-top1", "1.0")
    assert proc.exit_code == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["cases"] == 1 and report["top1"] == 1.0
    (case / "truth.toml").write_text('[[root_cause]]\nservice = "no-such-service"\nkind = "x"\n')
    proc = run("eval", "--corpus", str(corpus), "--json", "--min-top1", "0.5")
    assert proc.exit_code == 1 and "below" in proc.stderr
