"""Small things an operator meets in the first hour: reports meant for tickets name no local
paths, `tui --export-dir` makes its directory, `simulate --help` and the README agree on
--release, a release check's seasonal note is said once, and the diagnosis HTML draws the
top suspect's series."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from inprocess_cli import run_aiops

import aiops

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def demo_diagnosis():
    """The demo's diagnosis, made once (as `aiops diagnose --demo` makes it)."""
    from aiops.agent.events import Answer
    from aiops.agent.session import Session
    from aiops.config import load_settings
    from aiops.resources import demo_bundle

    return next(e.diagnosis for e in Session(load_settings()).diagnose_bundle(demo_bundle()) if isinstance(e, Answer))


@pytest.mark.parametrize("fmt", ["text", "markdown", "json", "html"])
def test_reports_name_no_local_absolute_paths(demo_diagnosis, fmt):
    from aiops.report import render

    flat = render(demo_diagnosis, fmt, 10, verbose=True).replace("\n", "")
    for local in {str(Path(aiops.__file__).resolve().parents[1]), str(Path.home()), "/tmp/"}:
        assert local not in flat, f"{local} in the {fmt} report"
    assert "playbooks/connection-pool-exhaustion.yaml" in flat, "a shipped playbook is named relative to its root"


def test_tui_export_dir_is_created(tmp_path, monkeypatch):
    from aiops.tui.app import AiopsApp

    seen = {}
    monkeypatch.setattr(AiopsApp, "run", lambda self, *a, **k: seen.setdefault("dir", self.export_dir))
    target = tmp_path / "exports" / "today"
    proc = run_aiops("tui", "--demo", "--export-dir", target)
    assert proc.exit_code == 0, proc.stderr
    assert target.is_dir() and Path(seen["dir"]) == target
    file = tmp_path / "a-file"
    file.write_text("x")
    bad = run_aiops("tui", "--demo", "--export-dir", file)
    assert bad.exit_code == 2 and "exists and is not a directory" in bad.stderr


def test_simulate_help_and_readme_agree_on_release_values():
    from aiops.simulator.release import RELEASE_KINDS
    from aiops.simulator.release_changes import REGRESSION_KINDS

    help_text = " ".join(run_aiops("simulate", "--help").stdout.split())
    assert f"--release <str> Simulate a release instead of an incident: {' or '.join(RELEASE_KINDS)}" in help_text
    assert ", ".join(REGRESSION_KINDS[:-1]) + " or " + REGRESSION_KINDS[-1] in help_text
    readme = (REPO / "README.md").read_text()
    shown = re.findall(r"`--release ([a-z_|\\…]+)[ `]", readme)
    assert shown, "the README shows --release"
    for values in shown:
        assert [v for v in values.replace("\\", "").split("|") if v != "…"] == list(RELEASE_KINDS), values


def _failing_check(history_after: float):
    from aiops.config import load_settings
    from aiops.release.golden import SignalSeries
    from aiops.release.golden_checks import check_signal

    rng = np.random.default_rng(1)

    def series(before: float, after: float) -> np.ndarray:
        return np.concatenate([before * (1 + 0.02 * rng.standard_normal(60)), after * (1 + 0.02 * rng.standard_normal(15))])

    values = series(0.1, 0.2)
    s = SignalSeries("cart", "latency_p90", "latency_p90_seconds", np.arange(75) * 60.0, values, 60,
                     history=[series(0.1, history_after)])
    return check_signal(s, load_settings().release)


@pytest.mark.parametrize("history_after, note", [(0.1, "not corrected: "), (0.13, "corrected for the same hours")])
def test_a_checks_seasonal_note_is_said_once_in_markdown_and_junit(history_after, note):
    from aiops.release.model import ReleaseReport, ReleaseWindows
    from aiops.report.release_junit import render_release_junit
    from aiops.report.release_markdown import render_release_markdown

    check = _failing_check(history_after)
    assert check.status == "fail" and check.seasonal.startswith(note)
    report = ReleaseReport("v2", ReleaseWindows(3600.0, 3600.0, 900.0, 1), "fail", (check,), ("cart",))
    markdown = render_release_markdown(report)
    junit = render_release_junit(report)
    assert markdown.count(note) == 1, markdown
    assert junit.count(note) == 1, junit


def test_the_diagnosis_html_draws_the_top_suspects_series_with_the_onset(demo_diagnosis):
    from aiops.report import render

    charts = re.findall(r'<svg class="chart".*?</svg>', render(demo_diagnosis, "html"), re.S)
    assert 1 <= len(charts) <= 4
    assert all('class="series"' in c and ">onset</text>" in c for c in charts)
    assert "latency_p50_seconds" in charts[0] and "inventory" in charts[0]
    ticks = [float(t) for c in charts for t in re.findall(r'text-anchor="end" font-size="11" fill="#57606a">'
                                                           r'(-?[\d.]+) ms<', c)]
    assert ticks and min(ticks) >= 0, "no axis tick below zero for latencies"
