"""The gate over seeded simulated releases, end to end (bundle files -> DuckDB store -> checks):
no clean release fails, every regression fails with evidence on the released service.

A small version of bench/bench_release.py (which prints the rates over 50+ releases)."""

from __future__ import annotations

import pytest

from aiops.config import load_settings
from aiops.release.data import deployed_at_from_events, load_release_bundle
from aiops.release.gate import check_release
from aiops.release.model import ReleaseRequest, ReleaseWindows
from aiops.simulator.release import REGRESSION_KINDS, release_corpus_plan, simulate_release, write_release

# The checks that count as the right evidence for each kind of regression.
EVIDENCE = {
    "latency": {"latency_p50", "latency_p90", "latency_p95", "latency_p99", "latency_mean"},
    "errors": {"error_rate", "log_templates", "error_paths"},
    "crash_loop": {"restarts"},
    "error_log": {"log_templates"},
    "cpu": {"cpu"},
}
PLAN = release_corpus_plan(clean=10, regressions=len(REGRESSION_KINDS), seed=7)


@pytest.fixture(scope="module")
def settings():
    return load_settings(None, overrides={"release.diagnose_on_fail": False}, env={})


def _gate(kind, regression, topology, seed, tmp_path, settings):
    sim = simulate_release(kind, seed, topology, regression)
    loaded = load_release_bundle(write_release(sim, tmp_path / f"{kind}-{seed}"))
    try:
        deployed_at = deployed_at_from_events(loaded.store, sim.plan.version)
        assert deployed_at == pytest.approx(sim.plan.deployed_at, abs=0.01)
        windows = ReleaseWindows(deployed_at, 3600.0, 900.0, 7)
        return sim.plan, check_release(loaded.store, ReleaseRequest(sim.plan.version, windows), settings)
    finally:
        loaded.store.close()


@pytest.mark.slow
@pytest.mark.parametrize("kind, regression, topology, seed", [p for p in PLAN if p[0] == "clean"])
def test_a_clean_release_does_not_fail(kind, regression, topology, seed, tmp_path, settings):
    plan, report = _gate(kind, regression, topology, seed, tmp_path, settings)
    assert report.verdict != "fail", [c.summary for c in report.by_status("fail")]
    assert report.history_days_used == 1 and len(report.checks) > 50


@pytest.mark.slow
@pytest.mark.parametrize("kind, regression, topology, seed", [p for p in PLAN if p[0] == "regression"])
def test_a_regression_fails_with_evidence_on_the_released_service(kind, regression, topology, seed, tmp_path,
                                                                   settings):
    plan, report = _gate(kind, regression, topology, seed, tmp_path, settings)
    assert report.verdict == "fail", (regression, [c.summary for c in report.by_status("warn")])
    own = {c.check for c in report.by_status("fail") if c.service == plan.service}
    assert own & EVIDENCE[regression], (regression, plan.service, [c.name for c in report.by_status("fail")])
    assert any(d.service == plan.service and plan.version in d.message for d in report.deploys)
