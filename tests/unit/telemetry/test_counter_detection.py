"""Which series `metric_grid(counter_rates=True)` turns into per-second rates: a series named
like a counter that falls in more than 10 % of its steps (and more than twice) is a
per-period total exported under a counter's name and stays a gauge; a real counter that
resets once is still a rate, the reset read the way Prometheus' rate() reads it."""

from __future__ import annotations

import numpy as np
import pytest

from aiops.telemetry.bundle import load_bundle

T0 = 1674981000  # 2023-01-29T08:30:00Z, inside conftest.INCIDENT's window
STEP = 30


def csv(series: dict[str, list[float]]) -> str:
    rows = ["timestamp,metric,value,service"]
    for name, values in series.items():
        metric, service = name.split("@")
        rows += [f"{T0 + STEP * i},{metric},{v},{service}" for i, v in enumerate(values)]
    return "\n".join(rows) + "\n"


@pytest.fixture
def grid_of(make_bundle):
    opened = []

    def grid(series: dict[str, list[float]]):
        loaded = load_bundle(make_bundle({"metrics.csv": csv(series)}))
        opened.append(loaded.store)
        n = max(len(v) for v in series.values())
        g = loaded.store.metric_grid(T0, T0 + STEP * n, STEP, counter_rates=True)
        return {f"{k.metric}@{k.service}": (bool(g.is_rate[i]), g.values[i]) for i, k in enumerate(g.keys)}

    yield grid
    for store in opened:
        store.close()


def falling(n: int, drops: int) -> list[float]:
    """An integer series of n samples that rises by 10 a step except for `drops` falls of 5."""
    at = set(np.linspace(2, n - 2, drops).astype(int)) if drops else set()
    assert len(at) == drops
    values, v = [], 100.0
    for i in range(n):
        v = v - 5 if i in at else v + 10
        values.append(v)
    return values


def test_a_per_period_total_named_like_a_counter_that_falls_often_stays_a_gauge(grid_of):
    # orders per minute, exported as orders_total: up and down from one scrape to the next
    orders = [50, 47, 52, 49, 55, 51, 48, 53, 50, 46, 52, 49, 51, 47, 54, 50]
    is_rate, values = grid_of({"orders_total@shop": orders})["orders_total@shop"]
    assert not is_rate
    np.testing.assert_allclose(values, orders, err_msg="read as a rate, every fall would be a 'reset' and spike")


@pytest.mark.parametrize(("steps", "drops", "rate"), [
    (30, 3, True),      # 3 of 30 steps fall: 10 %, not more -> still a counter
    (30, 4, False),     # 4 of 30: more than 10 % and more than twice -> a gauge
    (10, 2, True),      # 2 of 10 is 20 %, but a counter may reset twice
    (10, 3, False),     # 3 of 10: more than twice and more than 10 %
])
def test_the_share_of_falls_decides_counter_or_gauge(grid_of, steps, drops, rate):
    values = falling(steps + 1, drops)          # steps + 1 samples = steps differences
    assert sum(b < a for a, b in zip(values, values[1:])) == drops
    is_rate, _ = grid_of({"jobs_total@worker": values})["jobs_total@worker"]
    assert is_rate is rate


def test_a_real_counter_with_one_reset_is_a_rate_and_the_reset_counts_its_new_value(grid_of):
    # 6 requests a second; the process restarts after sample 8 and counts from 0 again
    counts = [1000.0 + 180 * i for i in range(9)] + [60.0 + 180 * i for i in range(9)]
    is_rate, values = grid_of({"http_requests_total@api": counts})["http_requests_total@api"]
    assert is_rate
    expected = [np.nan] + [6.0] * 8 + [60.0 / STEP] + [6.0] * 8     # the reset adds its new value, 60
    np.testing.assert_allclose(values, expected)


def test_other_named_counters_follow_the_same_rule(grid_of):
    grids = grid_of({"latency_seconds_count@api": falling(21, 1), "latency_seconds_sum@db": falling(21, 5),
                     "queue_bucket@mq": [5, 3, 6, 2, 7, 1, 8, 2, 9, 3]})
    assert grids["latency_seconds_count@api"][0] is True
    assert grids["latency_seconds_sum@db"][0] is False
    assert grids["queue_bucket@mq"][0] is False


def test_an_unnamed_integer_series_that_falls_is_a_gauge_and_one_that_never_falls_a_rate(grid_of):
    grids = grid_of({"connections@db": [4, 5, 3, 6, 6, 2, 7, 5], "served@web": [10, 20, 30, 30, 45, 60, 70, 80]})
    assert grids["connections@db"][0] is False
    np.testing.assert_allclose(grids["connections@db"][1], [4, 5, 3, 6, 6, 2, 7, 5])
    is_rate, values = grids["served@web"]
    assert is_rate
    np.testing.assert_allclose(values[1:], np.array([10, 10, 0, 15, 15, 10, 10]) / STEP)


def test_whether_a_metric_is_a_counter_is_decided_for_the_metric_by_the_majority_of_its_series(grid_of):
    # bytes received, cumulative, unnamed as a counter: two long-lived services count in whole
    # bytes; a new one starts from a fractional value (a rate was integrated). It is a counter
    # as they are, not a gauge that climbs.
    whole = [1e9 + 3000 * i for i in range(16)]
    fractional = [8884358.023 + 3000.5 * i for i in range(16)]
    g = grid_of({"net.io.receive@a": whole, "net.io.receive@b": [v + 7 for v in whole],
                 "net.io.receive@c": fractional})
    assert all(g[f"net.io.receive@{s}"][0] for s in "abc")
    np.testing.assert_allclose(g["net.io.receive@c"][1][1:], 3000.5 / STEP)
    # one service's memory only rose (a leak), its siblings' went up and down: a gauge all the same
    leak = [4e8 + 1e6 * i for i in range(16)]
    wobble = [4e8 + (1e6 if i % 2 else 0.0) for i in range(16)]
    m = grid_of({"memory_working_set_bytes@a": leak, "memory_working_set_bytes@b": wobble,
                 "memory_working_set_bytes@c": wobble})
    assert not m["memory_working_set_bytes@a"][0]
    np.testing.assert_allclose(m["memory_working_set_bytes@a"][1], leak)


def test_a_cumulative_time_in_seconds_is_a_counter_though_not_whole(grid_of):
    cpu = [1234.5 + 0.25 * i + 0.01 * (i % 3) for i in range(16)]   # k8s.pod.cpu.time: seconds, cumulative
    is_rate, values = grid_of({"k8s.pod.cpu.time@a": cpu})["k8s.pod.cpu.time@a"]
    assert is_rate and np.nanmax(np.abs(values[1:] - 0.25 / STEP)) < 0.02 / STEP
