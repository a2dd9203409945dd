"""Simulated releases, read back with plain csv/json like a user would: the deploy, the
previous day's same hours, ordinary noise in clean releases, and each regression's trace."""

from __future__ import annotations

import shlex
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from aiops.errors import BadInputError
from aiops.simulator.release import (
    REGRESSION_KINDS, generate_release_bundle, generate_release_corpus, release_corpus_plan, simulate_release,
    write_release,
)
from aiops.timeutil import parse_timestamp


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    sim = simulate_release("clean", 21, "webshop")
    return sim, write_release(sim, tmp_path_factory.mktemp("rel") / "clean")


def _events(bundle: Path, rd) -> list[dict]:
    return rd.read_jsonl(rd.data_file(bundle, "events.jsonl"))


def test_a_release_bundle_holds_the_deploy_and_the_previous_days_same_hours(clean, rd):
    sim, bundle = clean
    plan = sim.plan
    deploys = [e for e in _events(bundle, rd) if e["kind"] == "deploy"]
    assert len(deploys) == 1 and deploys[0]["service"] == plan.service and deploys[0]["version"] == plan.version
    assert parse_timestamp(deploys[0]["timestamp"]) == pytest.approx(plan.deployed_at, abs=0.01)
    ts = np.array([r["ts"] for r in rd.read_metrics(bundle)])
    day = 86400.0
    today = (ts >= plan.deployed_at - 4500) & (ts <= plan.deployed_at + 1800 + 30)
    yesterday = (ts >= plan.deployed_at - day - 4500) & (ts <= plan.deployed_at - day + 1800 + 30)
    assert today.sum() > 0 and yesterday.sum() > 0 and (today | yesterday).all()
    truth = rd.read_toml(bundle / "truth.toml")
    assert truth["release"]["kind"] == "clean" and "root_cause" not in truth


def test_the_rollout_replaces_the_pods_of_the_released_service_only(clean, rd):
    sim, bundle = clean
    plan = sim.plan
    rows = [r for r in rd.read_metrics(bundle) if r["ts"] > plan.deployed_at - 4500]
    before = {r["pod"] for r in rows if r["service"] == plan.service and r["ts"] < plan.deployed_at - 60}
    after = {r["pod"] for r in rows if r["service"] == plan.service and r["ts"] > plan.deployed_at + 60}
    assert before and after and not before & after
    other = next(s for s in {r["service"] for r in rows} if s != plan.service and s != "catalog-sync")
    pods = [{r["pod"] for r in rows if r["service"] == other and (r["ts"] < plan.deployed_at) == side}
            for side in (True, False)]
    assert pods[0] == pods[1]


def test_same_seed_same_bytes(tmp_path):
    a = generate_release_bundle("regression", 4, tmp_path / "a", regression="errors", history_days=0)
    b = generate_release_bundle("regression", 4, tmp_path / "b", regression="errors", history_days=0)
    assert _files(a) == _files(b)


def _p90(bundle: Path, rd, service: str, t0: float, t1: float) -> float:
    rows = [r["value"] for r in rd.read_metrics(bundle)
            if r["metric"] == "latency_p90_seconds" and r["service"] == service and t0 <= r["ts"] < t1]
    return float(np.nanmedian(rows))


def test_a_latency_regression_is_realistic_not_absurd(tmp_path, rd):
    sim = simulate_release("regression", 8, "webshop", "latency")
    bundle = write_release(sim, tmp_path / "b")
    d, svc = sim.plan.deployed_at, sim.plan.service
    before, after = _p90(bundle, rd, svc, d - 3600, d), _p90(bundle, rd, svc, d + 120, d + 900)
    assert 0.015 < after - before < 0.12        # tens of milliseconds, not seconds


def test_a_crash_loop_restarts_the_new_pods_and_logs_a_fatal_line(tmp_path, rd):
    sim = simulate_release("regression", 9, "webshop", "crash_loop")
    bundle = write_release(sim, tmp_path / "b")
    d, svc = sim.plan.deployed_at, sim.plan.service
    restarts = [e for e in _events(bundle, rd) if e["kind"] == "restart" and e["service"] == svc]
    assert restarts and all(parse_timestamp(e["timestamp"]) > d for e in restarts)
    fatal = [r for r in rd.read_logs(bundle) if r["service"] == svc and r["ts"] > d and
             any(w in r["message"] for w in ("panic", "Fatal", "FATAL", "Unhandled", "StackOverflow"))]
    assert len(fatal) >= 2


def test_a_caught_exception_adds_error_lines_but_no_failed_requests(tmp_path, rd):
    sim = simulate_release("regression", 10, "webshop", "error_log")
    clean = simulate_release("clean", 10, "webshop")
    assert sim.plan.service == clean.plan.service
    svc = sim.plan.service
    err = [np.nansum(s.release_day.world.services[svc].err) for s in (sim, clean)]
    assert err[0] == pytest.approx(err[1])                      # the same requests fail
    d = sim.plan.deployed_at
    extra = [r for r in sim.release_day.logs if r.service == svc and r.ts > d and r.level == "error"]
    base = [r for r in clean.release_day.logs if r.service == svc and r.ts > d and r.level == "error"]
    assert len(extra) >= len(base) + 10


def test_a_corpus_index_says_what_a_pipeline_knows_and_nothing_more(tmp_path, rd):
    plan = release_corpus_plan(3, 5, seed=2)
    assert sorted(k for k, _, _, _ in plan) == ["clean"] * 3 + ["regression"] * 5
    assert {r for _, r, _, _ in plan if r} == set(REGRESSION_KINDS)
    paths = generate_release_corpus(tmp_path / "c", clean=1, regressions=1, seed=2, history_days=0)
    index = rd.read_jsonl(tmp_path / "c" / "index.jsonl")
    assert [p.name for p in paths] == ["release-001", "release-002"] == [r["case"] for r in index]
    assert all(set(r) == {"case", "topology", "seed", "release", "deployed_at"} for r in index)
    kinds = sorted(rd.read_toml(p / "truth.toml")["release"]["kind"] for p in paths)
    assert kinds == ["clean", "regression"]


def test_bad_release_arguments_are_bad_input(tmp_path):
    with pytest.raises(BadInputError, match="--release 'dirty'"):
        simulate_release("dirty", 1)
    with pytest.raises(BadInputError, match="--regression 'slow'"):
        simulate_release("regression", 1, regression="slow")
    with pytest.raises(BadInputError, match="only goes with --release regression"):
        simulate_release("clean", 1, regression="latency")


def test_the_cli_writes_a_release_and_refuses_mixed_modes(tmp_path):
    from aiops.cli import app

    runner = CliRunner()
    out = tmp_path / "rel"
    res = runner.invoke(app, shlex.split(f"simulate --release regression --regression cpu --seed 3 --history-days 0 "
                                         f"--out {out}"))
    assert res.exit_code == 0, res.output
    assert res.stdout.strip() == str(out) and (out / "incident.toml").exists()
    truth = (out / "truth.toml").read_text()
    assert 'regression = "cpu"' in truth
    res = runner.invoke(app, shlex.split(f"simulate --release clean --scenario memory_leak --out {tmp_path / 'x'}"))
    assert isinstance(res.exception, BadInputError) and "--scenario" in str(res.exception)
    res = runner.invoke(app, shlex.split(f"simulate --regression cpu --scenario memory_leak --out {tmp_path / 'y'}"))
    assert isinstance(res.exception, BadInputError)
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()
