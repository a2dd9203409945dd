"""A pod that began inside the window (a rollout's new replica) warms up: its first minutes are
neither its baseline nor a change. One that was there from the first sample is judged whole."""

from __future__ import annotations

from .metric_scans import scan, write_bundle

T0 = 1_700_000_000
HEADER = "timestamp,metric,value,service,pod"


def rows(new_pod_from: int) -> list[str]:
    """`web` (one pod, steady CPU, latency triples at minute 8) and `api`: pod a until minute
    `new_pod_from`, then pod b, whose CPU starts at 6x (JIT warm-up) and settles at minute 2."""
    out = []
    for m in range(14):
        t = T0 + 60 * m + 7
        out.append(f"{t},cpu_usage_percent,{10 + m % 2 * 0.1},web,web-1")
        out.append(f"{t},latency_p50_seconds,{0.3 if m >= 8 else 0.1 + m % 2 * 0.002},web,web-1")
        if m < new_pod_from:
            out.append(f"{t},cpu_usage_percent,{2 + m % 2 * 0.02},api,api-a")
        else:
            age = m - new_pod_from
            out.append(f"{t},cpu_usage_percent,{12.0 if age == 0 else 7.0 if age == 1 else 2 + m % 2 * 0.02},api,api-b")
    return out


def test_a_new_pods_warm_up_is_not_a_change(tmp_path) -> None:
    root = write_bundle(tmp_path / "b", rows(new_pod_from=5), header=HEADER, title="web latency high",
                        started_at=T0 + 8 * 60 + 30, start=T0, end=T0 + 14 * 60, alert_service="web")
    found, first = scan(root, rank=True)
    assert not [f for f in found if f.service == "api"], [f.summary for f in found if f.service == "api"]
    assert first == "web"


def test_a_pod_there_from_the_first_sample_is_judged_whole(tmp_path) -> None:
    """The same CPU pattern on a pod that was there all along is a change (a burst that came and
    went), so the mask is what removes it above."""
    out = [r.replace("api-b", "api-a") for r in rows(new_pod_from=5)]
    root = write_bundle(tmp_path / "b", out, header=HEADER, title="web latency high",
                        started_at=T0 + 8 * 60 + 30, start=T0, end=T0 + 14 * 60, alert_service="web")
    found, _ = scan(root)
    assert [f for f in found if f.service == "api" and f.signal == "cpu_usage_percent"]


def test_a_pod_with_only_histograms_there_from_the_first_sample_is_not_new(tmp_path) -> None:
    """Histogram buckets are counters: their rates, and the latency quantiles derived from them,
    begin a bucket after the pod's first sample. Six minutes of data, latency up 10x from minute
    3: the pod is judged whole, and the rise is found."""
    out, counts = [], {"0.01": 0.0, "0.1": 0.0, "1": 0.0, "+Inf": 0.0}
    for m in range(6):
        t = T0 + 60 * m + 7
        slow = m >= 3
        for le, add in (("0.01", 0 if slow else 90 + m % 2), ("0.1", 100 + m % 2), ("1", 100 + m % 2),
                        ("+Inf", 100 + m % 2)):
            counts[le] += add
            out.append(f"{t},http_server_duration_seconds_bucket,{counts[le]},web,web-1,{le}")
    root = write_bundle(tmp_path / "b", out, header=HEADER + ",le", title="web latency high",
                        started_at=T0 + 3 * 60 + 30, start=T0, end=T0 + 6 * 60, alert_service="web")
    found, _ = scan(root)
    assert [f for f in found if f.service == "web" and "latency" in f.tags and f.direction > 0]
