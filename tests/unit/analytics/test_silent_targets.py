"""A target most of whose series go quiet together is down — unless its request counter keeps
reporting, at zero: latency and ratio series have no value while no request arrives, so the
target is idle, and the fall of its requests is the evidence (as in PetShop's exports)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiops.agent.state import RunState
from aiops.config import load_settings
from aiops.telemetry.bundle import load_bundle
from aiops.tooling.scans.metrics import metrics_scan

T0 = 1_700_000_000
ONSET = T0 + 1200


def bundle(root: Path, *, counter_after: str) -> Path:
    """`queue` reports requests, latency and availability every 60 s; from the onset on only
    the request counter reports, with `counter_after` ('0' or '' for no value). `web` reports
all along, so the export has not ended."""
    root.mkdir()
    (root / "incident.toml").write_text(f'title = "site is slow"\nstarted_at = {ONSET}\n'
                                        f'[window]\nstart = {T0}\nend = {T0 + 1800}\n')
    rows = ["timestamp,metric,value,service"]
    for j, t in enumerate(range(T0, T0 + 1800, 60)):
        after = t >= ONSET
        rows.append(f"{t},requests_sum_total,{counter_after if after else 100 + j % 3},queue")
        rows.append(f"{t},latency_average_seconds,{'' if after else 0.02 + 0.001 * (j % 2)},queue")
        rows.append(f"{t},latency_p99_seconds,{'' if after else 0.05 + 0.001 * (j % 3)},queue")
        rows.append(f"{t},availability_average_ratio,{'' if after else 100},queue")
        for metric in ("requests_sum_total", "latency_average_seconds", "latency_p99_seconds",
                       "availability_average_ratio", "cpu_usage_percent"):
            rows.append(f"{t},{metric},{50 + j % 4},web")
    (root / "metrics.csv").write_text("\n".join(rows) + "\n")
    return root


def scan(root: Path):
    loaded = load_bundle(root)
    try:
        return metrics_scan(RunState.start(loaded.incident, loaded.store, load_settings(env={})).context(), {})
    finally:
        loaded.store.close()


@pytest.mark.parametrize(("counter_after", "down"), [("0", False), ("", True)])
def test_series_silent_while_the_request_counter_reads_zero_are_idle_not_down(tmp_path, counter_after, down):
    found = scan(bundle(tmp_path / "b", counter_after=counter_after)).findings
    missing = [f for f in found if f.signal == "series_missing"]
    assert bool(missing) is down
    if not down:
        fall = [f for f in found if f.signal == "requests_sum_total"]
        assert fall and fall[0].direction < 0, "the fall of the requests is the evidence instead"
