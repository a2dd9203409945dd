from __future__ import annotations

import json
from pathlib import Path

import pytest
from inprocess_cli import CliResult, run_aiops


@pytest.fixture
def run(data_dir: Path):
    def invoke(*args: str) -> CliResult:
        return run_aiops("kb", *args, env={"AIOPS_GENERAL_DATA_DIR": str(data_dir), "AIOPS_KB_PATH": None})

    return invoke


def test_search_json_lists_scored_sources(run) -> None:
    result = run("search", "pods stuck pending insufficient cpu", "--k", "3", "--format", "json")
    assert result.exit_code == 0, result.stderr
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
def test_bad_input_exits_2_with_one_line_on_stderr(run, args: tuple[str, ...]) -> None:
    result = run(*args)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("error: ") and result.stderr.strip().count("\n") == 0, result.stderr
