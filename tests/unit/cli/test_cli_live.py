"""The operator contract of the live commands (in-process, tests/support/inprocess_cli.py):
bad input is exit 2 with one line naming the flag, key or file; `aiops sources` lists what is
configured."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from inprocess_cli import run_aiops as run


@pytest.fixture
def cfg(tmp_path: Path):
    def write(text: str) -> Path:
        p = tmp_path / "config.toml"
        p.write_text(text)
        return p
    return write


@pytest.mark.parametrize("args, config_text, message", [
    (["diagnose", "--live"], "", "no live telemetry sources configured: add [sources.<kind>.<name>] tables to"),
    (["diagnose", "--live", "--demo"], '[sources.loki.a]\nurl = "http://127.0.0.1:9"\n',
     "give either --bundle/--demo or live input"),
    (["diagnose", "--live", "--window", "banana"], '[sources.loki.a]\nurl = "http://127.0.0.1:9"\n',
     "--window 'banana': not a duration"),
    (["diagnose", "--live", "--source", "nope"], '[sources.loki.a]\nurl = "http://127.0.0.1:9"\n',
     "--source nope: no such source (configured: loki.a)"),
    (["diagnose", "--alert", "X"], '[sources.loki.a]\nurl = "http://127.0.0.1:9"\n',
     "--alert needs --alertmanager URL or a configured [sources.alertmanager.<name>]"),
    (["diagnose", "--alert-file", "/nonexistent/payload.json"], '[sources.loki.a]\nurl = "http://127.0.0.1:9"\n',
     "--alert-file /nonexistent/payload.json: no such file"),
    (["diagnose", "--demo", "--window", "30m"], "", "--window needs live input (--live, --alertmanager or --alert-file)"),
    (["sources"], '[sources.prometheus.a]\nurl = "http://127.0.0.1:9"\nstep = 5\n',
     "unknown key sources.prometheus.a.step"),
    (["sources"], '[sources]\ndeadline_s = 0\n', "sources.deadline_s = 0.0 must be > 0"),
    (["config", "check"], '[sources.loki.a]\nurl = "http://127.0.0.1:9"\nmax_lines = -1\n',
     "sources.loki.a.max_lines = -1 must be > 0"),
    (["snapshot", "--out", "/nonexistent/dir/snap"], '[sources.loki.a]\nurl = "http://127.0.0.1:9"\n',
     "directory /nonexistent/dir does not exist"),
])
def test_bad_live_input_is_exit_2_with_one_line(args, config_text, message, cfg):
    proc = run("-c", cfg(config_text), *args)
    assert proc.exit_code == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr
    assert proc.stdout == ""


def test_sources_lists_health_without_secrets(cfg, monkeypatch):
    monkeypatch.setenv("PROM_TOKEN", "s3cr3t-token")
    text = ('[sources.prometheus.down]\nurl = "http://127.0.0.1:9"\nbearer_token_env = "PROM_TOKEN"\ntimeout_s = 0.5\n'
            'retries = 0\n[sources.files.none]\npaths = ["/nonexistent/*.log"]\n')
    proc = run("-c", cfg(text), "sources", "--format", "json")
    assert proc.exit_code == 0, proc.stderr
    doc = json.loads(proc.stdout)
    rows = {f"{r['kind']}.{r['name']}": r for r in doc["sources"]}
    assert not rows["prometheus.down"]["healthy"]
    assert rows["prometheus.down"]["message"] == "cannot connect to http://127.0.0.1:9 (connection refused)"
    assert rows["files.none"]["message"] == "no file matches /nonexistent/*.log"
    assert "s3cr3t-token" not in proc.stdout
    text_out = run("-c", cfg(text), "sources").stdout
    assert "prometheus.down" in text_out and "down" in text_out and "s3cr3t" not in text_out


def test_sources_without_configuration_says_how_to_add_one(cfg):
    proc = run("-c", cfg(""), "sources")
    assert proc.exit_code == 0
    assert "no live sources configured" in proc.stdout and "docs/live-sources.md" in proc.stdout
