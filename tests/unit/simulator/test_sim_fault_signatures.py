"""Each fault leaves its signature on the culprit, and its symptoms spread to the callers."""

from __future__ import annotations

import numpy as np

from aiops.simulator.topologies import get_topology
from aiops.timeutil import parse_timestamp

# The two topologies export different metric vocabularies (cadvisor-style vs gauges).
NAMES = {
    "webshop": {"cpu": ("container_cpu_usage_seconds_total", True), "mem": "container_memory_working_set_bytes",
                "restarts": "kube_pod_container_status_restarts_total", "p90": "latency_p90_seconds",
                "errors": ("http_errors_total", True), "disk": "container_fs_usage_bytes"},
    "trainticket": {"cpu": ("cpu_usage_ratio", False), "mem": "memory_usage_bytes",
                    "restarts": "container_restarts_total", "p90": "latency_p90_seconds",
                    "errors": ("error_ratio", False), "disk": "filesystem_available_bytes"},
}


def _context(bundle, rd):
    truth = rd.truth_of(bundle)
    return truth, parse_timestamp(truth["onset"]), NAMES[truth["topology"]], rd.read_metrics(bundle)


def _level(rd, rows, name_counter, service, onset, pod=None):
    """(before, after) samples of a metric for a service (or one pod); counters become per-pod rates."""
    name, counter = name_counter if isinstance(name_counter, tuple) else (name_counter, False)
    pods = sorted({r["pod"] for r in rows if r["service"] == service}) if pod is None else [pod]
    before, after = [], []
    for p in pods:
        ts, v = rd.series(rows, name, service=service, pod=p)
        if counter:
            ts, v = rd.counter_rate(ts, v)
        b, a = rd.before_after(ts, v, onset)
        before.append(b)
        after.append(a)
    return np.concatenate(before), np.concatenate(after)


def test_cpu_saturation_pins_the_culprit_pods_cpu(fault_bundles, rd):
    truth, onset, names, rows = _context(fault_bundles["cpu_saturation"], rd)
    before, after = _level(rd, rows, names["cpu"], truth["service"], onset, truth.get("pod"))
    assert np.median(after) > 4 * np.median(before)
    p_before, p_after = _level(rd, rows, names["p90"], truth["service"], onset, truth.get("pod"))
    assert np.median(p_after) > 1.5 * np.median(p_before)


def test_memory_leak_ramps_memory_then_oom_kills_and_restarts(fault_bundles, rd):
    bundle = fault_bundles["memory_leak"]
    truth, onset, names, rows = _context(bundle, rd)
    before, after = _level(rd, rows, names["mem"], truth["service"], onset, truth.get("pod"))
    assert after.max() > 1.3 * np.median(before)
    _, restarts = rd.series(rows, names["restarts"], service=truth["service"], pod=truth.get("pod"))
    assert np.nanmax(restarts) >= 1
    events = rd.read_jsonl(rd.data_file(bundle, "events.jsonl"))
    oom = [e for e in events if e.get("reason") == "OOMKilled"]
    assert oom and {e["service"] for e in oom} == {truth["service"]}


def test_latency_injection_slows_the_culprit_and_its_callers(fault_bundles, rd):
    truth, onset, names, rows = _context(fault_bundles["latency_injection"], rd)
    before, after = _level(rd, rows, names["p90"], truth["service"], onset)
    assert np.median(after) > 3 * np.median(before)
    callers = get_topology(truth["topology"]).callers_of(truth["service"])
    assert callers
    for caller in callers:
        cb, ca = _level(rd, rows, names["p90"], caller, onset)
        assert np.median(ca) > 1.5 * np.median(cb), caller


def _errors_per_minute(logs, service, onset, text=None):
    sel = [r for r in logs if r["service"] == service and (text is None or text in r["message"])
           and ("ERROR" in r["message"] or r["level"] == "error" or "level=error" in r["message"])]
    before = sum(1 for r in sel if r["ts"] < onset)
    after = sum(1 for r in sel if r["ts"] >= onset)
    return before, after


def test_exception_burst_fills_the_culprits_error_log(fault_bundles, rd):
    bundle = fault_bundles["exception_burst"]
    truth, onset, names, rows = _context(bundle, rd)
    logs = rd.read_logs(bundle)
    before, after = _errors_per_minute(logs, truth["service"], onset)
    assert after > 20 and after > 5 * (before + 1)
    exc = [r for r in logs if r["service"] == truth["service"] and "Exception" in r["message"] and r["ts"] >= onset]
    assert exc
    err_before, err_after = _level(rd, rows, names["errors"], truth["service"], onset)
    assert np.nanmedian(err_after) > 0.2


def test_bad_deploy_is_announced_and_replaces_the_pods(fault_bundles, rd):
    bundle = fault_bundles["bad_deploy"]
    truth, onset, names, rows = _context(bundle, rd)
    events = rd.read_jsonl(rd.data_file(bundle, "events.jsonl"))
    deploys = [parse_timestamp(e["timestamp"]) for e in events
               if e["kind"] == "deploy" and e["service"] == truth["service"]]
    assert any(onset - 120 <= t <= onset + 30 for t in deploys)
    pods_before = {r["pod"] for r in rows if r["service"] == truth["service"] and r["ts"] < onset - 30}
    pods_after = {r["pod"] for r in rows if r["service"] == truth["service"] and r["ts"] > onset + 60}
    assert pods_before and pods_after and not pods_before & pods_after
    before, after = _level(rd, rows, names["errors"], truth["service"], onset)
    assert np.median(after) > 3 * (np.median(before) + 0.01)


def test_dependency_down_silences_the_store_and_clients_get_refused(fault_bundles, rd):
    bundle = fault_bundles["dependency_down"]
    truth, onset, names, rows = _context(bundle, rd)
    store_ts = [r["ts"] for r in rows if r["service"] == truth["service"] and r["metric"] != names["restarts"]]
    assert store_ts and not any(onset + 30 < t for t in store_ts)     # severe: it never comes back
    logs = rd.read_logs(bundle)
    clients = get_topology(truth["topology"]).callers_of(truth["service"])
    refused = [r for r in logs if r["service"] in clients and "refused" in r["message"] and r["ts"] >= onset]
    assert len(refused) > 20
    assert not [r for r in logs if "refused" in r["message"] and r["ts"] < onset - 30]


def test_packet_loss_drops_packets_on_the_culprit_and_stretches_callers_tails(fault_bundles, rd):
    truth, onset, names, rows = _context(fault_bundles["packet_loss"], rd)
    ts, v = rd.series(rows, "container_network_transmit_packets_dropped_total", service=truth["service"],
                      pod=truth.get("pod"))
    before, after = rd.before_after(*rd.counter_rate(ts, v), onset)
    assert before.max() == 0 and np.median(after) > 0
    caller = "frontend"
    cb, ca = _level(rd, rows, "latency_p99_seconds", caller, onset)
    assert np.median(ca) > 2 * np.median(cb)


def test_disk_full_fills_the_volume_and_writes_fail(fault_bundles, rd):
    bundle = fault_bundles["disk_full"]
    truth, onset, names, rows = _context(bundle, rd)
    before, after = _level(rd, rows, names["disk"], truth["service"], onset)
    assert after.max() > 1.2 * np.median(before)
    logs = rd.read_logs(bundle)
    assert any("No space left on device" in r["message"] for r in logs if r["service"] == truth["service"])
    assert not any("No space left on device" in r["message"] for r in logs if r["ts"] < onset)


def test_pool_exhaustion_maxes_the_pool_and_times_out_requests(fault_bundles, rd):
    bundle = fault_bundles["connection_pool_exhaustion"]
    truth, onset, names, rows = _context(bundle, rd)
    size = get_topology(truth["topology"]).services[truth["service"]].pool_size
    pool = [r["value"] for r in rows if r["metric"] == "mongodb_driver_pool_checkedout"
            and r["service"] == truth["service"] and r["ts"] > onset + 300]
    assert pool and max(pool) == size
    others = [r["value"] for r in rows if r["metric"] == "mongodb_driver_pool_checkedout"
              and r["service"] != truth["service"]]
    assert max(others) < size / 2
    logs = rd.read_logs(bundle)
    assert any("Connection is not available" in r["message"] for r in logs if r["service"] == truth["service"])


def test_crash_loop_restarts_backs_off_and_leaves_gaps(fault_bundles, rd):
    bundle = fault_bundles["crash_loop"]
    truth, onset, names, rows = _context(bundle, rd)
    _, restarts = rd.series(rows, names["restarts"], service=truth["service"])
    assert np.nanmax(restarts) >= 3
    events = rd.read_jsonl(rd.data_file(bundle, "events.jsonl"))
    assert sum(1 for e in events if e.get("reason") == "BackOff" and e["service"] == truth["service"]) >= 3
    ts, _ = rd.series(rows, "latency_p90_seconds", service=truth["service"])
    after = ts[ts > onset]
    assert after.size < 0.5 * (1800 - (onset - ts.min())) / 15     # mostly missing while crash-looping


def test_the_loudest_service_is_often_not_the_culprit(fault_bundles, rd):
    """Callers pile up errors too: ranking by error-log volume alone would be wrong somewhere."""
    wrong = 0
    for bundle in fault_bundles.values():
        truth = rd.truth_of(bundle)
        onset = parse_timestamp(truth["onset"])
        counts: dict[str, int] = {}
        for r in rd.read_logs(bundle):
            msg = r["message"]
            if r["ts"] >= onset and (r["level"] == "error" or "ERROR" in msg or "level=error" in msg):
                counts[r["service"]] = counts.get(r["service"], 0) + 1
        if counts and max(counts, key=counts.get) != truth["service"]:
            wrong += 1
    assert wrong >= 3
