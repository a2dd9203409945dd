"""An untraced database timed by its callers' client spans: `traces.scan` says so, and a CPU
rise there that its queries did not feel weighs like one on a traced service whose requests
held (the ranking's bearing rule), not like a move on a service nobody times."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from aiops.agent.events import PlannedStep
from aiops.agent.state import RunState, StepRecord
from aiops.config import load_settings
from aiops.telemetry.bundle import load_bundle
from aiops.tooling import default_registry

T0, ONSET, END = 1_700_000_000.0, 1_700_000_600.0, 1_700_000_900.0


def _bundle(root: Path, spans_from: float) -> Path:
    """api serves web and queries the untraced `db` (client spans naming it) from `spans_from`
    on; db's CPU goes from 0.05 to 0.9 cores at the onset; nothing gets slower."""
    rng = np.random.default_rng(3)
    root.mkdir()
    (root / "incident.toml").write_text(f'title = "High latency on web"\nstarted_at = {ONSET + 60}\n'
                                        f'[window]\nstart = {T0}\nend = {END}\n[alert]\nservice = "web"\n')
    rows = ["trace_id,span_id,parent_span_id,service,operation,start,duration_us,status,kind,peer_service"]
    for i, t in enumerate(np.sort(rng.uniform(spans_from, END, 600))):
        q = int(2000 * rng.uniform(0.8, 1.2))
        ns = int(t * 1e9)
        rows += [f"t{i},w{i},,web,GET /,{ns},{q + 9000},OK,server,",
                 f"t{i},a{i},w{i},api,handle,{ns + 1000},{q + 6000},OK,server,",
                 f"t{i},q{i},a{i},api,SELECT,{ns + 2000},{q},OK,client,db"]
    (root / "spans.csv").write_text("\n".join(rows) + "\n")
    metrics = ["timestamp,metric,value,service"]
    for t in np.arange(T0, END, 60.0):
        cpu = (0.9 if t >= ONSET else 0.05) * rng.uniform(0.95, 1.05)
        metrics += [f"{t},process_cpu_seconds_total_rate,{cpu:.4f},db",
                    f"{t},latency_p50_ms,{9 * rng.uniform(0.95, 1.05):.3f},web"]
    (root / "metrics.csv").write_text("\n".join(metrics) + "\n")
    return root


def _run(root: Path) -> tuple[RunState, float]:
    loaded = load_bundle(root)
    try:
        state = RunState.start(loaded.incident, loaded.store, load_settings(env={}))
        registry = default_registry(state.settings)
        for name in ("metrics.scan", "traces.scan"):
            result = registry.resolve(name).run(state.context(), {})
            state.merge(StepRecord(PlannedStep("s", name, {}, "", ""), 1, result, 0.0))
        db = next(c for c in state.rank() if c.service == "db")
    finally:
        loaded.store.close()
    return state, db.score


def test_a_peer_whose_queries_held_before_and_after_weighs_its_unfelt_cpu_rise_less(tmp_path: Path) -> None:
    timed, held = _run(_bundle(tmp_path / "timed", T0))
    assert "db" in timed.timed
    untimed, unknown = _run(_bundle(tmp_path / "untimed", ONSET + 90))   # spans only after the alert
    assert "db" not in untimed.timed
    assert 0 < held < 0.6 * unknown
