"""Below the evidence threshold: the metrics scan reports each quiet service's strongest own
move as a `weak` finding of score 0, the diagnosis ranks by it, and never calls a run in
which some service moved 3 robust standard deviations or more "healthy" (MOVED_Z); with too
little data read it says the evidence is insufficient."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from inprocess_cli import run_aiops

from aiops.agent.coverage import MOVED_Z, verdict_of
from aiops.agent.state import RunState
from aiops.config import load_settings
from aiops.domain import Coverage, Incident, TimeWindow
from aiops.telemetry.bundle import load_bundle
from aiops.tooling.scans.metrics import metrics_scan

T0 = 1_700_000_000
ONSET = T0 + 1200
PATTERN = (99.99, 100.0, 100.01, 100.0)   # median 100, robust sd 1.4826 * 0.005
SD = 1.4826 * 0.005


def bundle(root: Path, spikes: dict[str, float], stepped: str = "") -> Path:
    """queue_depth every 15 s for each service of `spikes`, from the alert on higher by that
    much: many robust sd of a very steady series, yet well within the 2 % that is never news
    for the shift scan; `stepped` rises by 50 % and stays. A service `aardvark` has logs only
    (no series)."""
    root.mkdir()
    (root / "incident.toml").write_text(f'title = "checkout is slow"\nstarted_at = {ONSET}\n'
                                        f'[window]\nstart = {T0}\nend = {T0 + 1800}\n')
    rows = ["timestamp,metric,value,service"]
    for j, t in enumerate(range(T0, T0 + 1800, 15)):
        for service, k in spikes.items():
            v = PATTERN[j % 4] + (k if t >= ONSET else 0.0)
            rows.append(f"{t},queue_depth,{v},{service}")
        if stepped:
            rows.append(f"{t},queue_depth,{PATTERN[j % 4] * (1.5 if t >= ONSET else 1.0)},{stepped}")
    (root / "metrics.csv").write_text("\n".join(rows) + "\n")
    (root / "logs.csv").write_text("timestamp,service,level,message\n" +
                                   "".join(f"{T0 + 10 * i},aardvark,info,served request {i}\n" for i in range(180)))
    return root


SPIKES = {"alpha": 0.005, "mu": 0.1, "zeta": 0.16}


def test_the_scan_reports_each_quiet_services_strongest_move_as_weak(tmp_path):
    loaded = load_bundle(bundle(tmp_path / "b", SPIKES, stepped="omega"))
    try:
        result = metrics_scan(RunState.start(loaded.incident, loaded.store, load_settings(env={})).context(), {})
    finally:
        loaded.store.close()
    weak = {f.service: f for f in result.findings if "weak" in f.tags}
    assert set(weak) == {"alpha", "mu", "zeta"}, "omega has evidence; aardvark has no series"
    assert all(f.score == 0.0 and f.kind == "metric" and f.signal == "queue_depth" for f in weak.values())
    assert weak["zeta"].magnitude == pytest.approx(0.16 / SD, rel=1e-3)
    assert weak["mu"].magnitude == pytest.approx(0.1 / SD, rel=1e-3)
    assert weak["alpha"].magnitude == pytest.approx(0.005 / SD, rel=1e-3)
    assert "below the evidence threshold" in weak["zeta"].summary
    strong = [f for f in result.findings if f.service == "omega"]
    assert strong and all("weak" not in f.tags and f.score > 0 for f in strong)


def diagnose(root: Path, tmp_path: Path) -> dict:
    out = run_aiops("diagnose", "--bundle", root, "--format", "json", env={"AIOPS_GENERAL_DATA_DIR": str(tmp_path / "d")})
    assert out.exit_code == 0, out.stderr
    return json.loads(out.stdout)


def test_with_nothing_passing_as_evidence_the_strongest_move_is_named_first_and_not_called_healthy(tmp_path):
    doc = diagnose(bundle(tmp_path / "b", SPIKES), tmp_path)
    assert [c["service"] for c in doc["root_causes"]] == ["zeta", "mu", "alpha", "aardvark"]
    assert doc["verdict"] == "root_cause"
    assert doc["verdict_reasons"] == ["weak evidence only: nothing passed as a change, the strongest move is zeta's "
                                      f"({0.16 / SD:.1f} robust standard deviations after the alert); ranked by that"]


def test_a_run_where_nothing_moved_three_robust_sd_is_healthy(tmp_path):
    doc = diagnose(bundle(tmp_path / "b", {"alpha": 0.0, "mu": 0.02, "zeta": 0.01}), tmp_path)   # z 2.7 at most
    assert doc["verdict"] == "healthy"
    assert doc["verdict_reasons"][0].startswith("no service showed anomalous behaviour")


WINDOW = TimeWindow(T0, T0 + 1800)
INCIDENT = Incident("checkout is slow", WINDOW, started_at=ONSET)
READ = Coverage(rows={"metrics": 480, "logs": 180}, services={"metrics": ("mu", "zeta"), "logs": ("aardvark",)})


def test_the_moved_verdict_starts_at_three_robust_sd():
    verdict, reasons = verdict_of(READ, 0.0, INCIDENT, ("zeta", MOVED_Z))
    assert MOVED_Z == 3.0 and verdict == "root_cause" and "the strongest move is zeta's (3.0 robust" in reasons[0]
    assert verdict_of(READ, 0.0, INCIDENT, ("zeta", 2.99))[0] == "healthy"
    assert verdict_of(READ, 0.0, INCIDENT)[0] == "healthy"
    assert verdict_of(READ, 0.5, INCIDENT, ("zeta", 9.0)) == ("root_cause", ()), "evidence speaks for itself"


def test_too_little_read_is_insufficient_evidence_however_far_something_moved():
    assert verdict_of(Coverage(), 0.0, INCIDENT, ("zeta", 9.0))[0] == "insufficient_evidence"
    events_only = Coverage(rows={"events": 3}, services={"events": ()})
    verdict, reasons = verdict_of(events_only, 0.0, INCIDENT, ("zeta", 9.0))
    assert verdict == "insufficient_evidence" and any("only change and cluster events" in r for r in reasons)


def noise_bundle(root: Path, seed: int) -> Path:
    """Four services, three metrics each, white noise every 15 s: nothing happened."""
    root.mkdir()
    (root / "incident.toml").write_text(f'title = "checkout is slow"\nstarted_at = {ONSET}\n'
                                        f'[window]\nstart = {T0}\nend = {T0 + 1800}\n')
    rng = np.random.default_rng(seed)
    rows = ["timestamp,metric,value,service"]
    for t in range(T0, T0 + 1800, 15):
        for service in ("auth", "cart", "db", "web"):
            for metric, level in (("cpu_usage_ratio", 0.4), ("memory_usage_bytes", 5e8), ("latency_p90_seconds", 0.2)):
                rows.append(f"{t},{metric},{level * (1 + 0.02 * rng.standard_normal()):.6g},{service}")
    (root / "metrics.csv").write_text("\n".join(rows) + "\n")
    return root


def test_white_noise_in_a_dozen_series_is_healthy(tmp_path):
    doc = diagnose(noise_bundle(tmp_path / "b", seed=0), tmp_path)
    assert doc["verdict"] == "healthy", doc["verdict_reasons"]
