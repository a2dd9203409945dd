"""Values written in their units, read from metric names; pressure direction of a resource."""

from __future__ import annotations

import pytest

from aiops.agent.playbooks import EvidenceRule
from aiops.analytics.units import format_quantity, metric_unit, pressure_sign
from aiops.analytics.weighing import fault_of
from aiops.domain import Finding


@pytest.mark.parametrize(("metric", "unit"), [
    ("latency_p99_seconds", "s"), ("http_server_requests_seconds:p50", "s"),
    ("istio_request_duration_milliseconds:p99", "ms"), ("latency_average_ms", "ms"),
    ("container_fs_usage_bytes", "bytes"), ("container_network_receive_bytes_total", "bytes/s"),
    ("container_cpu_usage_seconds_total", "s/s"), ("http_errors_total", "/s"), ("error_ratio", "ratio"),
    ("http_server_requests_seconds_count", "/s"), ("http_server_requests_seconds_sum", "s/s"),
    ("availability_average_percent", "percent"), ("pg_stat_activity_max_tx_duration", ""),
])
def test_the_unit_comes_from_the_name(metric: str, unit: str) -> None:
    assert metric_unit(metric) == unit


def test_values_read_as_a_person_writes_them() -> None:
    assert format_quantity(0.00657, "s") == "6.57 ms"            # not "6.57m"
    assert format_quantity(2.4, "s") == "2.4 s" and format_quantity(540.0, "ms") == "540 ms"
    assert format_quantity(9.8e9, "bytes") == "9.8 GB" and format_quantity(0.45, "ratio") == "45 %"
    assert format_quantity(100.0, "percent") == "100 %" and format_quantity(0.19, "s/s") == "0.19 cores"
    assert format_quantity(8.05, "/s") == "8.05/s" and format_quantity(float("nan"), "s") == "n/a"


def test_free_space_falls_under_pressure_and_the_disk_playbook_sees_it() -> None:
    assert pressure_sign("node_filesystem_avail_bytes") == -1 and pressure_sign("container_fs_usage_bytes") == 1
    rule = EvidenceRule(kind="metric", cls="disk", direction=1)
    free_fell = Finding("metric", "db", "node_filesystem_avail_bytes", 0.9, "", direction=-1, tags=("disk",))
    usage_fell = Finding("metric", "db", "container_fs_usage_bytes", 0.9, "", direction=-1, tags=("disk",))
    assert rule.matches(free_fell, True) and not rule.matches(usage_fell, True)


def test_a_resource_that_fell_names_no_saturation() -> None:
    cpu_down = Finding("metric", "db", "container_cpu_usage_seconds_total", 0.9, "", direction=-1, tags=("cpu",))
    cpu_up = Finding("metric", "db", "container_cpu_usage_seconds_total", 0.9, "", direction=1, tags=("cpu",))
    assert fault_of([(0.9, cpu_down)]) == "anomaly"
    assert fault_of([(0.9, cpu_up)]) == "cpu_saturation"
    weak = Finding("metric", "db", "container_cpu_usage_seconds_total", 0.0, "", tags=("cpu", "weak"))
    assert fault_of([(0.0, weak)]) == "none"      # below the evidence threshold: no fault named


def test_a_ratio_reported_in_percent_is_not_multiplied_again() -> None:
    from aiops.tooling.scans.metrics import _describe

    assert _describe("availability_average_ratio", -1, -1.0, -6.2, None, "", before=100.0, after=0.0) \
        .startswith("availability_average_ratio 100 → 0 (-100 %")
    assert _describe("error_ratio", 1, 4.0, 9.0, None, "", before=0.01, after=0.05) \
        .startswith("error_ratio 1 % → 5 % (+400 %")


@pytest.mark.parametrize(("metric", "cls"), [
    ("http.server.duration_count", "traffic"), ("istio_request_duration_milliseconds_count", "traffic"),
    ("http_server_requests_seconds_count", "traffic"), ("http.server.duration_sum", "latency"),
    ("http.server.duration_bucket", "latency"), ("http_errors_count", "errors"), ("restart_count", "restarts"),
])
def test_a_histograms_count_counts_requests(metric: str, cls: str) -> None:
    from aiops.analytics.signals import signal_class

    assert signal_class(metric) == cls
