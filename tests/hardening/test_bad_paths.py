"""Paths that are not what they claim to be: a bundle directory that is a symlink loop, bundle
files that are directories, devices, loops or dangling links, and an out-of-range config value
that only failed deep inside DuckDB. Each is one line naming it (exit 2) or a warning in the
output — never an internal error, never a silent skip. (The output side — /dev/full, a path
below a device — is test_outputs.py; forecast input, test_limits.py.)"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from inprocess_cli import run_aiops

from aiops.resources import demo_bundle


def _loop(tmp_path: Path, name: str) -> Path:
    a, b = tmp_path / name, tmp_path / f"{name}-other"
    a.symlink_to(b)
    b.symlink_to(a)
    return a


@pytest.mark.parametrize("command", [("bundle", "validate"), ("diagnose", "--format", "json", "-q", "--bundle")])
def test_a_bundle_directory_that_is_a_symlink_loop_is_one_error(tmp_path, command):
    loop = _loop(tmp_path, "bundle")
    result = run_aiops(*command, loop)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stderr.strip() == f"error: {loop}: a symlink loop, not a bundle directory"


def test_an_out_of_range_hashing_dim_is_one_error_naming_the_key(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("[kb]\nhashing_dim = 1000000000\n")
    result = run_aiops("--config", config, "kb", "stats")
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {config}: kb.hashing_dim = 1000000000 must be between 8 and 16384"


def _bundle(tmp_path: Path) -> Path:
    bundle = tmp_path / "bundle"
    shutil.copytree(demo_bundle(), bundle)
    for p in bundle.glob("metrics.csv*"):
        p.unlink()
    return bundle


def _as_dir(path: Path) -> None:
    path.mkdir()


def _as_loop(path: Path) -> None:
    other = path.with_name(path.name + ".other")
    path.symlink_to(other.name)
    other.symlink_to(path.name)


def _as_zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


def _as_dangling(path: Path) -> None:
    path.symlink_to("/nonexistent/metrics.csv")


@pytest.mark.parametrize("make, why", [
    (_as_dir, "a directory, not a file"),
    (_as_loop, "a symlink loop"),
    (_as_zero, "a device (a link to /dev/zero), not a file"),
    (_as_dangling, "a symlink to /nonexistent/metrics.csv, which does not exist"),
])
def test_a_metrics_file_that_is_not_a_file_is_named(tmp_path, make, why):
    bundle = _bundle(tmp_path)
    make(bundle / "metrics.csv")
    result = run_aiops("bundle", "validate", bundle, "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert f"metrics.csv: {why}; not loaded" in report["warnings"], report["warnings"]
    assert report["counts"]["metrics"] == 0 and report["counts"]["logs"] > 0      # the rest still loads


def test_an_alert_json_directory_and_a_dangling_log_link_are_named_in_the_diagnosis(tmp_path):
    bundle = _bundle(tmp_path)
    (bundle / "alert.json").mkdir()
    (bundle / "logs").mkdir()
    os.symlink("/nonexistent/app.log", bundle / "logs" / "ghost.log")
    result = run_aiops("diagnose", "--bundle", bundle, "--format", "json", "-q")
    assert result.exit_code == 0, result.stderr
    notes = json.loads(result.stdout)["notes"]
    assert "alert.json: a directory, not a file; not read (the incident has no alert)" in notes, notes
    assert "logs/ghost.log: a symlink to /nonexistent/app.log, which does not exist; not loaded" in notes, notes
