"""Latency that exists only as Prometheus histograms (`_bucket{le}`, `_sum`, `_count`) is
read as quantiles and a mean, as `histogram_quantile` would, and ranks the culprit."""

from __future__ import annotations

import csv

import numpy as np

from aiops.agent.events import Answer
from aiops.agent.session import diagnose
from aiops.analytics.histograms import derive_latency, histogram_quantile
from aiops.config import load_settings
from aiops.telemetry.grids import SeriesKey

POD_SUFFIX = {"frontend": "x7k2p", "checkout": "b4n9q", "payment": "m2z8w"}
LE = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, float("inf"))


def test_histogram_quantile_interpolates_like_prometheus():
    bounds = np.array([0.1, 0.25, 0.5, 1.0, np.inf])
    counts = np.array([[50.0, 0.0], [80.0, 0.0], [95.0, 0.0], [99.0, 0.0], [100.0, 0.0]])
    assert np.allclose(histogram_quantile(0.5, bounds, counts)[0], 0.1)
    assert np.allclose(histogram_quantile(0.9, bounds, counts)[0], 0.25 + 0.25 * 10 / 15)
    assert histogram_quantile(0.999, bounds, counts)[0] == 1.0          # +Inf bucket: highest finite bound
    assert np.isnan(histogram_quantile(0.5, bounds, counts)[1])          # no observations: no quantile


def test_buckets_and_sums_are_replaced_by_quantiles_and_a_mean():
    keys = [SeriesKey("rpc_duration_seconds_bucket", "api", "api-1", (("le", le),)) for le in ("0.1", "1", "+Inf")]
    keys += [SeriesKey("rpc_duration_seconds_sum", "api", "api-1"), SeriesKey("rpc_duration_seconds_count", "api", "api-1"),
             SeriesKey("queue_depth", "api", "api-1")]
    values = np.array([[6.0], [9.0], [10.0], [3.0], [10.0], [4.0]])
    derived, replaced = derive_latency(keys, values, np.array([True] * 5 + [False]))
    assert [d.metric for d in derived] == ["rpc_duration_seconds:p50", "rpc_duration_seconds:p99",
                                           "rpc_duration_seconds:mean"]
    assert derived[2].values[0] == 0.3 and all(d.pod == "api-1" for d in derived)
    assert replaced.tolist() == [True, True, True, True, False, False]   # _count stays: it is the request rate



def test_a_sum_without_count_is_divided_by_the_inf_bucket():
    """Istio-style exports may carry `_bucket` and `_sum` but count requests elsewhere
    (`istio_requests_total`): a histogram's count is its `+Inf` bucket, so the sum still
    becomes a mean latency instead of a time-per-second series that rises with traffic."""
    keys = [SeriesKey("istio_request_duration_milliseconds_bucket", "api", "api-1", (("le", le),))
            for le in ("10", "100", "+Inf")]
    keys += [SeriesKey("istio_request_duration_milliseconds_sum", "api", "api-1")]
    values = np.array([[6.0, 12.0], [9.0, 18.0], [10.0, 20.0], [300.0, 600.0]])   # traffic doubles, mean stays
    derived, replaced = derive_latency(keys, values, np.array([True] * 4))
    mean = [d for d in derived if d.metric == "istio_request_duration_milliseconds:mean"]
    assert len(mean) == 1 and mean[0].values.tolist() == [30.0, 30.0]
    assert replaced.tolist() == [True, True, True, True]

def _write_bundle(path, rng):
    """frontend -> checkout -> payment; payment's own latency grows at the onset, its callers
    inherit it (each adds its own few ms), and traffic falls by 60 % as users give up — so
    bucket and sum rates fall while latency rises. Only histograms carry latency; no traces."""
    t0, n, step, onset_i = 1_700_000_000, 120, 15, 80
    own = {"frontend": 0.012, "checkout": 0.02, "payment": 0.03}
    rows = []
    total = {svc: np.zeros(len(LE) + 2) for svc in own}       # cumulative counters: buckets, sum, count
    for i in range(n):
        extra = 0.25 if i >= onset_i else 0.0                 # payment +250 ms
        lat = {"payment": own["payment"] + extra}
        lat["checkout"] = own["checkout"] + lat["payment"]
        lat["frontend"] = own["frontend"] + lat["checkout"]
        for svc, mean in lat.items():
            pod = f"{svc}-7d9f8b6c5d-{POD_SUFFIX[svc]}"
            reqs = rng.poisson((20 if i >= onset_i else 50) * step)
            samples = rng.lognormal(np.log(mean), 0.35, reqs)
            c = total[svc]
            c += [(samples <= le).sum() for le in LE] + [samples.sum(), reqs]
            rows.append((t0 + i * step, "http_server_duration_seconds_sum", c[-2], pod, ""))
            rows.append((t0 + i * step, "http_server_duration_seconds_count", c[-1], pod, ""))
            for le, count in zip(LE, c):
                rows.append((t0 + i * step, "http_server_duration_seconds_bucket", count, pod,
                             "+Inf" if le == float("inf") else le))
            rows.append((t0 + i * step, "container_cpu_usage_seconds_total", i * step * 0.2 + rng.normal(0, 0.3), pod, ""))
    with open(path / "metrics.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["timestamp", "metric", "value", "pod", "le"])
        w.writerows(rows)
    (path / "incident.toml").write_text(
        'title = "frontend: p99 latency above SLO"\n'
        f'started_at = {t0 + onset_i * step}\n[window]\nstart = {t0}\nend = {t0 + n * step}\n'
        '[alert]\nalertname = "HighLatency"\nservice = "frontend"\n')


def test_a_slow_service_seen_only_through_histograms_ranks_first(tmp_path):
    _write_bundle(tmp_path, np.random.default_rng(7))
    answer = list(diagnose(tmp_path, load_settings(None, env={})))[-1]
    assert isinstance(answer, Answer)
    top = answer.diagnosis.root_causes[0]
    assert top.service == "payment", [(r.service, r.confidence) for r in answer.diagnosis.root_causes]
    assert any("http_server_duration_seconds:p" in e.summary or "http_server_duration_seconds:mean" in e.summary
               for e in top.evidence), [e.summary for e in top.evidence]


def test_the_tui_charts_a_derived_quantile(tmp_path):
    from aiops.telemetry.bundle import load_bundle
    from aiops.tui.evidence.metrics import metric_series

    _write_bundle(tmp_path, np.random.default_rng(7))
    loaded = load_bundle(tmp_path)
    try:
        charts, total = metric_series(loaded.store, loaded.incident.window, "http_server_duration_seconds:p99",
                                      "payment")
    finally:
        loaded.store.close()
    assert total == 1 and charts[0].pod.startswith("payment-")
    ts, values, onset = charts[0].timestamps, charts[0].values, loaded.incident.started_at
    before, after = values[ts < onset - 60], values[ts > onset + 60]
    assert np.nanmedian(after) > 3 * np.nanmedian(before)           # +250 ms on ~30 ms
