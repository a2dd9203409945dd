"""Helpers for tests that write a small metrics bundle and run the metrics scan over it."""

from __future__ import annotations

from pathlib import Path

from aiops.agent.state import RunState
from aiops.analytics.ranking import rank_candidates
from aiops.config import load_settings
from aiops.domain import Finding
from aiops.telemetry.bundle import load_bundle
from aiops.tooling.scans.metrics import metrics_scan


def write_bundle(root: Path, rows: list[str], *, title: str, started_at: float, start: float, end: float,
                 alert_service: str = "", header: str = "timestamp,metric,value,service") -> Path:
    """A bundle of `incident.toml` and `metrics.csv` (`rows` under `header`)."""
    root.mkdir()
    alert = f'[alert]\nservice = "{alert_service}"\n' if alert_service else ""
    (root / "incident.toml").write_text(f'title = "{title}"\nstarted_at = {started_at}\n'
                                        f'[window]\nstart = {start}\nend = {end}\n{alert}')
    (root / "metrics.csv").write_text("\n".join([header, *rows]) + "\n")
    return root


def scan(root: Path, rank: bool = False) -> tuple[list[Finding], str]:
    """The metrics scan's findings above the evidence threshold (not `weak`), and with `rank`
    the service the run then ranks first."""
    loaded = load_bundle(root)
    try:
        state = RunState.start(loaded.incident, loaded.store, load_settings(env={}))
        result = metrics_scan(state.context(), {})
        assert result.status == "ok", result.summary
        state.findings = list(result.findings)
        first = state.rank()[0].service if rank else ""
    finally:
        loaded.store.close()
    return [f for f in result.findings if "weak" not in f.tags], first


def tag_factor(rise: Finding, tag: str, onset_hint: float) -> float:
    """How much the ranking weighs `rise` with `tag` added, as a share of its weight without."""
    tagged = Finding(**{**rise.__dict__, "tags": (*rise.tags, tag)})
    plain, weighed = (rank_candidates([f], [f.service], {}, onset_hint)[0].findings[0][0] for f in (rise, tagged))
    assert plain > 0
    return weighed / plain
