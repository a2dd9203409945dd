"""Terminal escape injection: text from the data with ESC, NUL, BEL, C1 and bidi-override
characters is shown escaped (`\\x1b`) in every face that is not JSON — the text, Markdown and
HTML reports, `aiops runs list/show`, the release report (Markdown, HTML, JUnit, which must
stay valid XML) and error lines; JSON keeps the text exactly (it escapes control characters)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from inprocess_cli import run_aiops

from aiops.resources import demo_bundle

TITLE = "checkout down \x1b]0;pwned\x07\x1b[2J\x1b[31mred\x00 \u202egnp.exe \x9b31m"
RAW = ["\x1b", "\x07", "\x00", "\u202e", "\x9b"]
REPO = Path(__file__).resolve().parents[2]


def no_raw_controls(text: str) -> list[str]:
    return [repr(c) for c in RAW if c in text]


@pytest.fixture(scope="module")
def hostile_bundle(tmp_path_factory) -> Path:
    bundle = tmp_path_factory.mktemp("ctl") / "bundle"
    shutil.copytree(demo_bundle(), bundle)
    toml = (bundle / "incident.toml").read_text()
    first = toml.splitlines()[0]
    (bundle / "incident.toml").write_text(toml.replace(first, f"title = {json.dumps(TITLE)}", 1))
    return bundle


@pytest.fixture(scope="module")
def history_config(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("ctl-history")
    config = root / "config.toml"
    config.write_text(f'[history]\npath = "{root / "runs.duckdb"}"\n')
    return config


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_diagnosis_reports_show_control_characters_escaped(hostile_bundle, history_config, fmt):
    result = run_aiops("--config", history_config, "diagnose", "--bundle", hostile_bundle, "--format", fmt, "-q")
    assert result.exit_code == 0, result.stderr
    assert not no_raw_controls(result.stdout), no_raw_controls(result.stdout)
    assert "\\x1b]0;pwned\\x07" in result.stdout and "\\u202e" in result.stdout


def test_the_html_report_and_json_keep_the_text_safe(hostile_bundle, history_config):
    result = run_aiops("--config", history_config, "diagnose", "--bundle", hostile_bundle, "--format", "json", "-q")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["incident"]["title"] == TITLE                      # JSON: exact, escaped by JSON itself
    assert "\x1b" not in result.stdout and "\x00" not in result.stdout
    from aiops.report.html import render_html
    from aiops.report.json_reader import diagnosis_from_dict

    html = render_html(diagnosis_from_dict(doc, Path("r.json")))
    assert not no_raw_controls(html) and "\\x1b]0;pwned" in html


@pytest.mark.parametrize("args", [("runs", "list"), ("runs", "show", "last")])
def test_runs_commands_show_control_characters_escaped(hostile_bundle, history_config, args):
    run_aiops("--config", history_config, "diagnose", "--bundle", hostile_bundle, "--format", "json", "-q")
    result = run_aiops("--config", history_config, *args)
    assert result.exit_code == 0, result.stderr
    assert not no_raw_controls(result.stdout), no_raw_controls(result.stdout)
    assert "\\x1b" in result.stdout


def test_an_error_line_shows_control_characters_escaped(tmp_path):
    bad = tmp_path / "evil\x1b[31mdir"
    proc = subprocess.run([sys.executable, "-m", "aiops", "bundle", "validate", str(bad)], capture_output=True,
                          text=True, cwd=REPO, env=dict(os.environ), timeout=120)
    assert proc.returncode == 2
    assert not no_raw_controls(proc.stderr) and "evil\\x1b[31mdir" in proc.stderr


def test_release_reports_show_control_characters_escaped_and_junit_stays_xml(failing_release_copy, tmp_path):
    bundle, plan = failing_release_copy
    with open(bundle / "events.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"timestamp": plan.deployed_at + 30, "kind": "config", "service": plan.service,
                             "message": TITLE}) + "\n")
    out = tmp_path / "reports"
    proc = subprocess.run([sys.executable, "-m", "aiops", "report", "--release", plan.version, "--bundle",
                           str(bundle), "--out-dir", str(out), "--no-diagnose", "-q"], capture_output=True, text=True,
                          cwd=REPO, env={k: v for k, v in os.environ.items() if k != "GITHUB_STEP_SUMMARY"},
                          timeout=300)
    assert proc.returncode == 1, proc.stderr
    for name in ("release-report.md", "release-report.html", "release-junit.xml"):
        text = (out / name).read_text(encoding="utf-8")
        assert not no_raw_controls(text), (name, no_raw_controls(text))
    ET.parse(out / "release-junit.xml")                              # still well-formed XML
    assert "\\x1b]0;pwned" in (out / "release-report.md").read_text()
    assert json.loads((out / "release-report.json").read_text())["deploys"]
