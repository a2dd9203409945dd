from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiops.cli import app
from aiops.errors import BadInputError

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def run(data_dir: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AIOPS_GENERAL_DATA_DIR", str(data_dir))
    monkeypatch.delenv("AIOPS_KB_PATH", raising=False)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, ["kb", *args])

    return invoke


def test_search_json_lists_scored_sources(run) -> None:
    result = run("search", "pods stuck pending insufficient cpu", "--k", "3", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["query"] == "pods stuck pending insufficient cpu"
    assert len(data["hits"]) == 3
    top = data["hits"][0]
    assert top["source"] == "knowledge/pod-pending-unschedulable.md"
    assert set(top) >= {"title", "source", "section", "score", "text"} and 0 < top["score"] <= 1


def test_search_text_shows_rank_score_title_and_source(run) -> None:
    result = run("search", "x509 certificate has expired", "--k", "2")
    assert result.exit_code == 0
    first = result.stdout.splitlines()[0]
    assert first.startswith("1. ") and "TLS certificate expired" in first
    assert "knowledge/certificate-expiry.md" in result.stdout


def test_add_search_stats_remove_round_trip(run, docs: Path) -> None:
    assert run("add", str(docs / "payments.md")).exit_code == 0
    hits = json.loads(run("search", "pgbouncer", "--format", "json", "--tag", "payments").stdout)["hits"]
    assert [h["title"] for h in hits] == ["Payment service runbook"]
    stats = json.loads(run("stats", "--format", "json").stdout)
    assert stats["by_origin"]["user"] == 1 and stats["by_origin"]["built-in"] >= 25
    assert run("remove", str(docs / "payments.md")).exit_code == 0
    assert json.loads(run("stats", "--format", "json").stdout)["by_origin"].get("user", 0) == 0


def test_sync_and_watch_report_on_stderr(run, docs: Path) -> None:
    result = run("sync", str(docs))
    assert result.exit_code == 0
    assert "3 added" in result.stderr and result.stdout == ""
    watched = run("watch", str(docs), "--iterations", "1", "--interval", "0.01")
    assert watched.exit_code == 0 and "watching" in watched.stderr


@pytest.mark.parametrize("args", [
    ("search", "x", "--format", "yaml"),
    ("search", "x", "--k", "0"),
    ("sync", "/definitely/not/here"),
    ("add", "/definitely/not/here.md"),
    ("remove", "knowledge/oomkilled.md"),
])
def test_bad_input_raises_bad_input_error(run, args: tuple[str, ...]) -> None:
    result = run(*args)
    assert isinstance(result.exception, BadInputError), result.output


def test_bad_input_exits_2_with_one_line_on_stderr(data_dir: Path) -> None:
    env = {**os.environ, "AIOPS_GENERAL_DATA_DIR": str(data_dir), "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "aiops", "kb", "search", "x", "--format", "yaml"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.strip().count("\n") == 0 and "--format" in proc.stderr
