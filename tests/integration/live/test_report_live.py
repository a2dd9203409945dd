"""`aiops report --source prometheus` against a real Prometheus (Debian's package) loaded with
simulated releases (promtool backfill): the same verdict, and the same failing checks, as
the bundle path over the same metrics; the snapshot written beside the report replays to
the same verdict."""

from __future__ import annotations

import json
import shutil

import live_servers
import pytest
from inprocess_cli import run_aiops

from aiops.timeutil import to_rfc3339

pytestmark = pytest.mark.live
# (kind, regression, seed): clean releases and one of each regression kind the metrics show
CASES = [("clean", None, 21), ("clean", None, 22), ("regression", "latency", 23), ("regression", "errors", 24),
         ("regression", "cpu", 25), ("regression", "crash_loop", 26)]


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    missing = live_servers.missing_binaries("prometheus", "promtool")
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (apt-get install prometheus; .ci/run does it)")
    from aiops.release.data import deployed_at_from_events
    from aiops.simulator.release import simulate_release, write_release
    from aiops.telemetry.bundle import load_bundle
    from aiops.telemetry.live.openmetrics import write_openmetrics

    work = tmp_path_factory.mktemp("releases")
    cases = []
    for kind, regression, seed in CASES:
        sim = simulate_release(kind, seed, regression=regression)
        path = write_release(sim, work / f"{kind}-{regression or 'none'}-{seed}")
        metrics_only = work / f"{path.name}-metrics"           # what Prometheus will hold, as a bundle
        metrics_only.mkdir()
        for name in ("incident.toml", *[p.name for p in path.glob("metrics.*")]):
            shutil.copy(path / name, metrics_only / name)
        loaded = load_bundle(path)
        try:
            deployed = deployed_at_from_events(loaded.store, sim.plan.version)
            with open(work / f"{path.name}.om", "w", encoding="utf-8") as fh:
                write_openmetrics(loaded.store, fh)
        finally:
            loaded.store.close()
        live_servers.create_blocks(work / f"{path.name}.om", work / "tsdb")
        cases.append({"name": path.name, "version": sim.plan.version, "deployed": to_rfc3339(deployed),
                      "bundle": metrics_only, "kind": regression or "clean"})
    server = live_servers.start_prometheus(work / "prom", work / "tsdb")
    yield server, cases
    server.stop()


def report(*args) -> tuple[int, dict, str]:
    result = run_aiops("report", *args, "--format", "json", "--no-diagnose", "--quiet")
    assert result.exit_code in (0, 1), result.stderr
    return result.exit_code, json.loads(result.stdout), result.stderr


def checks(doc: dict, status: str) -> set[tuple[str, str]]:
    return {(c["service"], c["check"]) for c in doc["checks"] if c["status"] == status}


def test_live_prometheus_gives_the_bundle_paths_verdict(releases, config, tmp_path):
    server, cases = releases
    cfg = config(f'[sources.prometheus.main]\nurl = "{server.url}"\n')
    agree = []
    for case in cases:
        flags = ["--release", case["version"], "--deployed-at", case["deployed"]]
        code_b, bundle, _ = report(*flags, "--bundle", case["bundle"])
        out = tmp_path / case["name"]
        code_l, live, _ = _live(cfg, flags, out)
        assert (code_l, live["verdict"]) == (code_b, bundle["verdict"]), case
        assert checks(live, "fail") == checks(bundle, "fail"), case
        if case["kind"] != "clean":
            assert live["verdict"] == "fail", f"{case['kind']} regression caught from Prometheus"
        assert any("aggregated by Prometheus per service" in n for n in live["notes"])
        # the snapshot beside the report replays to the same verdict
        code_r, replay, _ = report(*flags, "--bundle", out / "snapshot")
        assert (code_r, replay["verdict"]) == (code_l, live["verdict"])
        agree.append(case["kind"])
    assert len(agree) == len(CASES)


def _live(cfg, flags, out) -> tuple[int, dict, str]:
    result = run_aiops("-c", cfg, "report", *flags, "--source", "prometheus:main", "--out-dir", out,
                       "--format", "json", "--no-diagnose")
    assert result.exit_code in (0, 1), result.stderr
    assert f"wrote the snapshot of what was compared to {out / 'snapshot'}" in result.stderr
    return result.exit_code, json.loads(result.stdout), result.stderr


def test_source_needs_a_deploy_time_and_excludes_a_bundle(releases, config):
    server, cases = releases
    cfg = config(f'[sources.prometheus.main]\nurl = "{server.url}"\n')
    no_time = run_aiops("-c", cfg, "report", "--release", "v1", "--source", "prometheus")
    assert no_time.exit_code == 2 and "--deployed-at is required with --source" in no_time.stderr
    both = run_aiops("-c", cfg, "report", "--release", "v1", "--source", "prometheus", "--bundle", cases[0]["bundle"])
    assert both.exit_code == 2 and "not both" in both.stderr
    unknown = run_aiops("-c", cfg, "report", "--release", "v1", "--deployed-at", cases[0]["deployed"],
                        "--source", "prometheus:nope")
    assert unknown.exit_code == 2 and "no such source" in unknown.stderr
