"""The gate in-process over real DuckDB stores: partial data, failing sources, deploy lookup."""

from __future__ import annotations

import json

import pytest

from aiops.config import load_settings
from aiops.errors import BadInputError, InsufficientEvidence
from aiops.release.data import deployed_at_from_events, load_release_bundle
from aiops.release.gate import check_release
from aiops.release.model import ReleaseRequest, ReleaseWindows
from aiops.simulator.release import simulate_release, write_release
from aiops.telemetry.store import TelemetryStore


@pytest.fixture(scope="module")
def settings():
    return load_settings(None, overrides={"release.diagnose_on_fail": False}, env={})


def _request(plan, after=900.0):
    return ReleaseRequest(plan.version, ReleaseWindows(plan.deployed_at, 3600.0, after, 7))


def test_with_traces_but_no_metrics_latency_comes_from_the_sampled_requests(tmp_path, settings):
    sim = simulate_release("regression", 11, "webshop", "latency")
    bundle = write_release(sim, tmp_path / "b")
    (bundle / "metrics.csv").unlink()
    loaded = load_release_bundle(bundle)
    report = check_release(loaded.store, _request(sim.plan), settings)
    assert report.verdict == "fail"
    (lat,) = [c for c in report.by_status("fail") if c.check.startswith("latency")]
    assert lat.service == sim.plan.service and lat.evidence[0] == "source: traces (each sampled request)"
    assert lat.after - lat.before > 0.015


def test_a_failing_source_is_named_and_the_other_checks_still_run(errors_release, settings, monkeypatch):
    bundle, plan = errors_release
    loaded = load_release_bundle(bundle)

    def broken(*args, **kwargs):
        raise OSError("tempo: connection reset by peer")

    monkeypatch.setattr(loaded.store, "span_table", broken)
    report = check_release(loaded.store, _request(plan), settings)
    assert any(m.startswith("error trace paths: OSError: tempo: connection reset") for m in report.missing)
    assert report.verdict == "fail" and not [c for c in report.checks if c.check == "error_paths"]
    assert {"error_rate", "log_templates", "restarts"} <= {c.check for c in report.checks}


def test_the_diagnosis_runs_on_fail_and_its_failure_does_not_hide_the_verdict(errors_release, monkeypatch):
    bundle, plan = errors_release
    settings = load_settings(None, env={})
    report = check_release(load_release_bundle(bundle).store, _request(plan), settings)
    assert report.diagnosis is not None and report.diagnosis.incident.started_at == plan.deployed_at
    assert report.diagnosis.root_causes
    from aiops.agent.session import Session

    def broken(*args, **kwargs):
        raise RuntimeError("planner crashed")

    monkeypatch.setattr(Session, "investigate", broken)
    report = check_release(load_release_bundle(bundle).store, _request(plan), settings)
    assert report.verdict == "fail" and report.diagnosis is None
    assert any("diagnosis: RuntimeError: planner crashed" in m for m in report.missing)


def test_a_short_after_window_is_noted_not_hidden(clean_release, settings):
    bundle, plan = clean_release
    report = check_release(load_release_bundle(bundle).store, _request(plan, after=3 * 3600.0), settings)
    assert any("the after window is shorter" in n for n in report.notes)


def test_the_deploy_time_comes_from_the_event_that_names_the_whole_tag(tmp_path):
    events = [{"timestamp": 1000.0, "kind": "deploy", "service": "cart", "message": "cart v1.20 rolled out"},
              {"timestamp": 2000.0, "kind": "deploy", "service": "cart", "message": "rollout", "image": "reg/cart:v1.2"},
              {"timestamp": 3000.0, "kind": "config", "service": "cart", "message": "v1.2 flags"}]
    (tmp_path / "incident.toml").write_text('title = "x"\n')
    (tmp_path / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    store = load_release_bundle(tmp_path).store
    assert deployed_at_from_events(store, "v1.2") == 2000.0
    assert deployed_at_from_events(store, "v1.20") == 1000.0
    assert deployed_at_from_events(store, "v1") is None


def test_an_empty_store_is_insufficient_evidence_and_a_deploy_time_outside_the_data_bad_input(clean_release, settings):
    with pytest.raises(InsufficientEvidence, match="no telemetry") as caught:
        check_release(TelemetryStore(), _request(clean_release[1]), settings)
    assert caught.value.exit_code == 4
    bundle, plan = clean_release
    request = ReleaseRequest(plan.version, ReleaseWindows(plan.deployed_at + 5 * 86400, 3600.0, 900.0, 7))
    with pytest.raises(BadInputError, match="--deployed-at .*no data in the baseline window"):
        check_release(load_release_bundle(bundle).store, request, settings)
