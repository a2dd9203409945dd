"""An alert on 5-minute aggregates may fire one or two samples after the fault
(`_since_the_symptom` in the metrics scan): when the alerted service's own series clearly
moved before the usual search window, every series is also searched around that move.
A move of the alerted service that is no symptom (its latency fell) moves nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .metric_scans import scan, write_bundle

T0 = 1_700_000_100           # a multiple of 300: samples stamped at the start of their 5-minute period
STEP = 300
N = 36                       # three hours
SURGE = T0 + 27 * STEP       # the first sample that holds the fault
ALERT = SURGE + 2 * STEP + 40  # the alarm wanted two bad periods: 10 minutes and 40 s later


def bundle(root: Path, web_latency_falls: bool = False) -> Path:
    """web (alerted) and api it calls: requests per period, with multiplicative noise; from
    SURGE on both serve 2.3x the requests. With `web_latency_falls`, web's requests stay
    calm and only its latency falls at SURGE."""
    rng = np.random.default_rng(7)
    rows = []
    for j in range(N):
        t = T0 + j * STEP
        surge = 2.3 if t >= SURGE else 1.0
        noise = float(np.exp(rng.normal(0.0, 0.08)))
        for service, base in (("web", 3000.0), ("api", 1300.0)):
            factor = 1.0 if web_latency_falls else surge
            rows.append(f"{t},request_count,{base * factor * noise:.0f},{service}")
        latency = 0.25 * (0.3 if web_latency_falls and t >= SURGE else 1.0) * noise
        rows.append(f"{t},latency_average_seconds,{latency:.4f},web")
    return write_bundle(root, rows, title="web latency anomalous", started_at=ALERT, start=T0, end=T0 + N * STEP,
                        alert_service="web")


def test_a_surge_two_samples_before_the_alert_is_found_from_the_alerted_services_own_move(tmp_path):
    found = {(f.service, f.signal): f for f in scan(bundle(tmp_path / "b"))[0]}
    for service in ("web", "api"):
        f = found.get((service, "request_count"))
        assert f is not None, f"{service}'s surge began before the 5 minutes the search looks back"
        assert f.direction == 1 and f.magnitude > 1.8
        assert f.onset == SURGE, "dated at the first sample that holds it"


def test_a_fall_of_the_alerted_services_latency_is_no_symptom_to_search_from(tmp_path):
    found, _ = scan(bundle(tmp_path / "b", web_latency_falls=True))
    assert not [f for f in found if f.onset is not None and f.onset < ALERT - 2 * STEP]
