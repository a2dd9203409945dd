"""A callee's own latency rise that its callers' views of it did not show (`_unseen_by_callers`
in the metrics scan; `UNSEEN_FACTOR` in the ranking): slowness the callers never saw is not
what reached them, so it weighs less than the same rise seen from outside too. And with no call
graph to say who inherited whose slowness, of two like moves the earlier one ranks first."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from aiops.agent.state import RunState
from aiops.analytics.ranking import UNSEEN_FACTOR, rank_candidates
from aiops.config import load_settings
from aiops.domain import Finding
from aiops.telemetry.bundle import load_bundle
from aiops.tooling.scans.metrics import metrics_scan

T0 = 1_700_000_100
STEP = 300
N = 30
MOVE = T0 + 27 * STEP
ALERT = MOVE + 60


def bundle(root: Path, callers_saw_it: bool) -> Path:
    """search's own latency doubles at MOVE; its view `search_client` (what its callers saw)
    doubles too only when `callers_saw_it`."""
    rng = np.random.default_rng(3)
    root.mkdir()
    (root / "incident.toml").write_text(f'title = "site latency anomalous"\nstarted_at = {ALERT}\n'
                                        f'[window]\nstart = {T0}\nend = {T0 + N * STEP}\n')
    rows = ["timestamp,metric,value,service"]
    for j in range(N):
        t = T0 + j * STEP
        slow = 2.0 if t >= MOVE else 1.0
        for node, factor in (("search", slow), ("search_client", slow if callers_saw_it else 1.0), ("site", 1.0)):
            rows.append(f"{t},latency_average_seconds,{0.2 * factor * float(np.exp(rng.normal(0, 0.05))):.4f},{node}")
    (root / "metrics.csv").write_text("\n".join(rows) + "\n")
    return root


def scan(root: Path) -> list[Finding]:
    loaded = load_bundle(root)
    try:
        state = RunState.start(loaded.incident, loaded.store, load_settings(env={}))
        result = metrics_scan(state.context(), {})
    finally:
        loaded.store.close()
    assert result.status == "ok", result.summary
    return [f for f in result.findings if f.service == "search" and "weak" not in f.tags]


def test_a_rise_the_callers_did_not_see_is_tagged_unseen(tmp_path):
    unseen = scan(bundle(tmp_path / "a", callers_saw_it=False))
    seen = scan(bundle(tmp_path / "b", callers_saw_it=True))
    assert unseen and seen, "search's own latency doubled either way"
    assert all("unseen" in f.tags for f in unseen)
    assert not any("unseen" in f.tags for f in seen)


def test_an_unseen_rise_weighs_less():
    rise = Finding(kind="metric", service="search", signal="latency_average_seconds", score=0.6,
                   summary="latency doubled", onset=float(MOVE), direction=1, magnitude=2.0, tags=("latency",))
    hidden = Finding(**{**rise.__dict__, "tags": ("latency", "unseen")})
    weights = [rank_candidates([f], ["search"], {}, float(ALERT))[0].findings[0][0] for f in (rise, hidden)]
    assert weights[1] == UNSEEN_FACTOR * weights[0] > 0


def test_of_two_like_moves_below_strong_the_earlier_one_ranks_first():
    # 5-minute aggregates, no call graph: the callee slowed one sample before its caller, whose
    # rise (inherited) is a little larger in robust z; neither is beyond doubt (STRONG)
    def rise(service: str, score: float, at: float) -> Finding:
        return Finding(kind="metric", service=service, signal="latency_average_seconds", score=score,
                       summary=f"{service} latency up", onset=at, direction=1, magnitude=2.0, tags=("latency",))
    ranked = rank_candidates([rise("caller", 0.39, MOVE + STEP), rise("callee", 0.37, MOVE)],
                             ["caller", "callee"], {}, float(ALERT))
    assert [c.service for c in ranked] == ["callee", "caller"]


def surge_bundle(root: Path) -> Path:
    """pay's own requests rise 2.3x at MOVE while pay_client (what its callers sent it) stays;
    queue, which pay calls, rises with queue_client: pay took the extra requests from outside
    its known callers, queue got them from pay."""
    rng = np.random.default_rng(5)
    root.mkdir()
    (root / "incident.toml").write_text(f'title = "site latency anomalous"\nstarted_at = {ALERT}\n'
                                        f'[window]\nstart = {T0}\nend = {T0 + N * STEP}\n')
    rows = ["timestamp,metric,value,service"]
    for j in range(N):
        t = T0 + j * STEP
        surge = 2.3 if t >= MOVE else 1.0
        for node, factor in (("pay", surge), ("pay_client", 1.0), ("queue", surge), ("queue_client", surge)):
            rows.append(f"{t},request_count,{500 * factor * float(np.exp(rng.normal(0, 0.05))):.0f},{node}")
    (root / "metrics.csv").write_text("\n".join(rows) + "\n")
    return root


def test_a_surge_the_callers_sent_is_tagged_sent_and_one_from_outside_them_is_not(tmp_path):
    loaded = load_bundle(surge_bundle(tmp_path / "s"))
    try:
        state = RunState.start(loaded.incident, loaded.store, load_settings(env={}))
        found = [f for f in metrics_scan(state.context(), {}).findings if "weak" not in f.tags]
        state.findings = found
        first = state.rank()[0].service
    finally:
        loaded.store.close()
    tagged = {f.service: "sent" in f.tags for f in found if f.direction > 0}
    assert tagged == {"pay": False, "queue": True, "queue_client": True}
    assert first == "pay", "the surge entered where the callers did not send it"
