"""A metric change first seen well after the alert is a consequence, not a cause — but with
5-minute aggregates the first sample after the alert can come up to 5 minutes later: that one
is on time."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiops.agent.state import RunState
from aiops.analytics.ranking import LATE_FACTOR, rank_candidates
from aiops.config import load_settings
from aiops.domain import Finding
from aiops.telemetry.bundle import load_bundle
from aiops.tooling.scans.metrics import metrics_scan

T0 = 1_700_000_000


def bundle(root: Path, step: int, alert_at: int, jump_at: int) -> Path:
    """`web` requests every `step` s, jumping 3x from `jump_at` on; `db` steady."""
    root.mkdir()
    (root / "incident.toml").write_text(f'title = "web is slow"\nstarted_at = {alert_at}\n'
                                        f'[window]\nstart = {T0}\nend = {T0 + 40 * step}\n')
    rows = ["timestamp,metric,value,service"]
    for j, t in enumerate(range(T0, T0 + 40 * step, step)):
        rows.append(f"{t},requests_total,{(300 if t >= jump_at else 100) + j % 3},web")
        rows.append(f"{t},requests_total,{50 + j % 4},db")
    (root / "metrics.csv").write_text("\n".join(rows) + "\n")
    return root


def jump(root: Path) -> Finding:
    loaded = load_bundle(root)
    try:
        found = metrics_scan(RunState.start(loaded.incident, loaded.store, load_settings(env={})).context(), {}).findings
    finally:
        loaded.store.close()
    [f] = [f for f in found if f.service == "web" and f.signal == "requests_total" and "weak" not in f.tags]
    return f


@pytest.mark.parametrize(("step", "late"), [(300, False), (60, True)])
def test_a_change_is_late_only_after_the_first_sample_that_followed_the_alert(tmp_path, step, late):
    alert = T0 + 30 * step + 20
    first_after = T0 + 31 * step                    # 280 s after the alert at 5-min steps
    root = bundle(tmp_path / "b", step, alert, first_after if step == 300 else alert + 280)
    assert ("late" in jump(root).tags) is late


def test_a_late_change_weighs_less_as_evidence_of_a_cause() -> None:
    def rise(service: str, *tags: str) -> Finding:
        return Finding(kind="metric", service=service, signal="cpu_seconds_total", score=0.8, summary=service,
                       onset=100.0, direction=1, magnitude=5.0, tags=("cpu", *tags))
    out = {c.service: c for c in rank_candidates([rise("a"), rise("b", "late")], ["a", "b"], {}, 100.0)}
    assert out["b"].own == pytest.approx(out["a"].own * LATE_FACTOR)
