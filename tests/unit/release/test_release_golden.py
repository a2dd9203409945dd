"""Golden signals are read by metric vocabulary, not by a fixed list of names."""

from __future__ import annotations

import numpy as np
import pytest

from aiops.release.golden import golden_signals
from aiops.release.model import ReleaseWindows
from aiops.telemetry.bundle import load_bundle

T = 1_714_557_600.0          # 2024-05-01T10:00:00Z, the deploy


def _bundle(tmp_path, rows: list[str]):
    (tmp_path / "incident.toml").write_text('title = "release"\n')
    (tmp_path / "metrics.csv").write_text("timestamp,metric,value,service,pod,quantile\n" + "\n".join(rows) + "\n")
    return load_bundle(tmp_path).store


def _scrapes(metric: str, service: str, pod: str, value, quantile: str = "", start=T - 3600, end=T + 900, step=15.0):
    out = []
    for i, ts in enumerate(np.arange(start, end, step)):
        out.append(f"{ts},{metric},{value(i, ts)},{service},{pod},{quantile}")
    return out


def test_vocabularies_of_latency_errors_traffic_and_saturation(tmp_path):
    rows = []
    # a histogram's _sum/_count in milliseconds, counters of requests and errors, two pods
    for pod in ("api-7d4f9c8b6d-abcde", "api-7d4f9c8b6d-fghjk"):
        rows += _scrapes("http_server_duration_milliseconds_sum", "api", pod, lambda i, ts: 1000.0 + 40.0 * 10 * i)
        rows += _scrapes("http_server_duration_milliseconds_count", "api", pod, lambda i, ts: 100.0 + 10 * i)
        rows += _scrapes("http_server_requests_total", "api", pod, lambda i, ts: 100.0 + 10 * i)
        rows += _scrapes("http_server_errors_total", "api", pod, lambda i, ts: 7.0 + (i // 10))
        rows += _scrapes("process_resident_memory_bytes", "api", pod, lambda i, ts: 200e6)
    # a summary with a quantile label, a CPU percentage gauge and an error-percent gauge
    rows += _scrapes("rpc_latency_seconds", "db", "db-0", lambda i, ts: 0.012, quantile="0.99")
    rows += _scrapes("cpu_utilization_percent", "db", "db-0", lambda i, ts: 35.0)
    rows += _scrapes("db_error_percent", "db", "db-0", lambda i, ts: 0.5)
    store = _bundle(tmp_path, rows)
    found = {(s.service, s.signal): s for s in golden_signals(store, ReleaseWindows(T, 3600, 900))}
    assert set(found) == {("api", "latency_mean"), ("api", "traffic"), ("api", "error_rate"), ("api", "memory"),
                          ("db", "latency_p99"), ("db", "cpu"), ("db", "error_rate")}
    med = lambda k: float(np.nanmedian(found[k].values))  # noqa: E731
    assert med(("api", "latency_mean")) == pytest.approx(0.040, rel=0.01)       # 40 ms per request, in seconds
    assert med(("api", "traffic")) == pytest.approx(2 * 10 / 15, rel=0.01)     # two pods summed, per second
    assert float(np.nanmean(found[("api", "error_rate")].values)) == pytest.approx((1 / 150) / (10 / 15), rel=0.1)
    assert med(("api", "memory")) == pytest.approx(200e6)                        # averaged per pod
    assert med(("db", "latency_p99")) == pytest.approx(0.012)
    assert med(("db", "cpu")) == pytest.approx(0.35) and med(("db", "error_rate")) == pytest.approx(0.005)
    s = found[("api", "traffic")]
    assert s.n_before == 120 and len(s.after) == 30 and s.timestamps[s.n_before] == T


def test_a_rollout_that_replaces_every_pod_keeps_one_series(tmp_path):
    rows = _scrapes("latency_p90_seconds", "cart", "cart-5b6c7d8f9g-aaaaa", lambda i, ts: 0.05, end=T)
    rows += _scrapes("latency_p90_seconds", "cart", "cart-6c7d8f9g2h-bbbbb", lambda i, ts: 0.05, start=T)
    store = _bundle(tmp_path, rows)
    (s,) = golden_signals(store, ReleaseWindows(T, 3600, 900))
    assert np.isfinite(s.before).all() and np.isfinite(s.after).all()


def test_previous_days_are_aligned_to_the_release_day(tmp_path):
    rows = _scrapes("requests_per_second", "web", "web-0", lambda i, ts: 10.0)
    rows += _scrapes("requests_per_second", "web", "web-0", lambda i, ts: 20.0 if ts >= T - 86400 else 5.0,
                     start=T - 86400 - 3600, end=T - 86400 + 900)
    store = _bundle(tmp_path, rows)
    (s,) = golden_signals(store, ReleaseWindows(T, 3600, 900, 1), history_days=[1])
    (before, after), = s.history_pairs()
    assert np.nanmedian(before) == pytest.approx(5.0) and np.nanmedian(after) == pytest.approx(20.0)


def test_a_histogram_gives_service_percentiles_summed_over_pods(tmp_path):
    # two pods, buckets in ms: before the deploy 80 % of requests under 25 ms, after it 80 % under 100 ms
    bounds = ("10", "25", "50", "100", "250", "+Inf")
    before = (0.3, 0.8, 0.9, 0.95, 1.0, 1.0)
    after = (0.1, 0.2, 0.5, 0.8, 1.0, 1.0)
    lines = ["timestamp,metric,value,service,pod,le"]
    for pod in ("api-7d4f9c8b6d-abcde", "api-7d4f9c8b6d-fghjk"):
        total = np.zeros(len(bounds))
        for ts in np.arange(T - 3600, T + 900, 15.0):
            total += 150 * np.array(after if ts >= T else before)       # 10 req/s per pod, cumulative counters
            lines += [f"{ts},http_request_duration_milliseconds_bucket,{c},api,{pod},{le}"
                      for le, c in zip(bounds, total)]
    (tmp_path / "incident.toml").write_text('title = "release"\n')
    (tmp_path / "metrics.csv").write_text("\n".join(lines) + "\n")
    store = load_bundle(tmp_path).store
    found = {s.signal: s for s in golden_signals(store, ReleaseWindows(T, 3600, 900))}
    assert {"latency_p50", "latency_p90", "latency_p99"} <= set(found)
    p90 = found["latency_p90"]
    assert p90.source == "histogram_quantile(0.90, http_request_duration_milliseconds_bucket)"
    assert float(np.nanmedian(p90.before)) == pytest.approx(0.025 + 0.025 * (0.9 - 0.8) / 0.1, rel=0.05)   # 50 ms
    assert float(np.nanmedian(p90.after)) == pytest.approx(0.1 + 0.15 * (0.9 - 0.8) / 0.2, rel=0.05)       # 175 ms
