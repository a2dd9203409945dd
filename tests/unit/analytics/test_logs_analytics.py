"""Log analytics: what changed after the onset, ranked for the diagnosis."""

from __future__ import annotations

import numpy as np
import pytest

from aiops.analytics.logs import analyse_logs, is_error_text, mine_messages, template_rates

ONSET, END = 600.0, 1200.0


def background(seed: int = 0, n: int = 6000):
    """Three services logging four steady statements over [0, 1200)."""
    rng = np.random.default_rng(seed)
    ts, svc, msg, lvl = [], [], [], []
    for _ in range(n):
        t = float(rng.uniform(0, END))
        s = str(rng.choice(["cart", "checkout", "payment"]))
        k = int(rng.integers(4))
        m = [f"GET /api/items/{rng.integers(1000)} 200 {rng.integers(100)}ms",
             f"user u{rng.integers(100)} added item {rng.integers(100)} to cart",
             f"heartbeat ok seq={rng.integers(10**6)}",
             f"cache refreshed in {rng.integers(50)}ms"][k]
        ts.append(t), svc.append(s), msg.append(m), lvl.append("debug" if k == 2 else "info")
    return ts, svc, msg, lvl


def add(logs, times, service, make, level):
    ts, svc, msg, lvl = logs
    for i, t in enumerate(times):
        ts.append(float(t)), svc.append(service), msg.append(make(i)), lvl.append(level)


def test_new_error_template_after_onset_is_found_and_ranked_first() -> None:
    logs = background()
    rng = np.random.default_rng(1)
    add(logs, rng.uniform(ONSET + 5, END, 40), "payment",
        lambda i: f"java.net.ConnectException: Connection refused to db-{i % 3}:5432", "error")
    add(logs, rng.uniform(0, END, 30), "cart", lambda i: f"retrying request {i}", "warn")  # steady noise
    findings = analyse_logs(*logs, ONSET, END, window_start=0.0)
    top = findings[0]
    assert (top.kind, top.service, top.tags) == ("log", "payment", ("error", "new", "call"))  # a refused connection: a call failure
    assert "Connection refused to db-<*>:<*>" in top.summary and "40 after" in top.summary
    assert top.score > 0.9 and ONSET < top.onset < ONSET + 60
    assert all(f.service != "cart" or "retrying" not in f.summary for f in findings)


def test_error_words_count_even_without_levels() -> None:
    ts, svc, msg, _ = background(2)
    add((ts, svc, msg, [None] * len(ts)), np.linspace(ONSET + 1, END - 1, 30), "checkout",
        lambda i: f"upstream timeout after {i}ms calling payment", None)
    findings = analyse_logs(ts, svc, msg, None, ONSET, END, window_start=0.0)
    assert findings[0].service == "checkout" and findings[0].tags == ("error", "new", "call")


def test_rate_increase_reports_ratio_and_onset_near_the_change() -> None:
    logs = background(3)
    rng = np.random.default_rng(4)
    add(logs, rng.uniform(0, END, 60), "cart", lambda i: f"slow query took {i}ms on table orders", "warn")
    add(logs, rng.uniform(900, END, 400), "cart", lambda i: f"slow query took {i}ms on table orders", "warn")
    findings = analyse_logs(*logs, ONSET, END, window_start=0.0)
    rise = next(f for f in findings if "slow query" in f.summary)
    assert rise.tags == ("increase",) and rise.direction == 1 and rise.magnitude > 5
    assert 880 <= rise.onset <= 960


def test_a_heartbeat_that_stops_is_reported_as_vanished() -> None:
    ts, svc, msg, lvl = background(5)
    keep = [not (s == "payment" and m.startswith("heartbeat") and t >= ONSET) for t, s, m in zip(ts, svc, msg)]
    logs = [[x for x, k in zip(col, keep) if k] for col in (ts, svc, msg, lvl)]
    findings = analyse_logs(*logs, ONSET, END, window_start=0.0)
    gone = [f for f in findings if f.tags == ("vanished",)]
    assert [(f.service, f.direction) for f in gone] == [("payment", -1)]
    assert ONSET - 30 < gone[0].onset < ONSET                  # the last heartbeat seen


def test_steady_logs_give_no_findings() -> None:
    assert analyse_logs(*background(6), ONSET, END, window_start=0.0) == []


def test_no_baseline_or_no_lines_gives_no_findings() -> None:
    logs = background(7, n=50)
    assert analyse_logs(*logs, 0.0, END, window_start=0.0) == []
    assert analyse_logs([], [], [], None, ONSET, END) == []


def test_mismatched_columns_are_a_bug() -> None:
    with pytest.raises(ValueError, match="services has 1 values"):
        analyse_logs([1.0, 2.0], ["a"], ["x", "y"], None, 1.5, 3.0)


def test_pods_name_the_component() -> None:
    logs = background(8)
    add(logs, np.linspace(ONSET + 1, END - 1, 20), "payment", lambda i: "panic: nil map write", "fatal")
    pods = ["payment-7d9f8b6c5-x2x9z" if s == "payment" else "" for s in logs[1]]
    top = analyse_logs(*logs, ONSET, END, window_start=0.0, pods=pods)[0]
    assert top.component == "pod/payment-7d9f8b6c5-x2x9z"


def test_template_rates_count_per_service_template_and_bin() -> None:
    rates = template_rates(["t1", "t1", "t2", "t1"], [0.0, 5.0, 5.0, 10.0], ["a", "a", "a", "b"], [0.0, 5.0, 10.0])
    table = {(rates.services[s], rates.template_ids[t]): list(c)
             for s, t, c in zip(rates.pair_service, rates.pair_template, rates.counts)}
    assert table == {("a", "t1"): [1, 1], ("a", "t2"): [0, 1], ("b", "t1"): [0, 1]}


def test_mined_messages_share_codes_per_statement() -> None:
    mined = mine_messages(["disk 1 full", "disk 2 full", "cpu hot"])
    assert mined.codes.tolist() == [0, 0, 1]
    assert mined.templates == ("disk <*> full", "cpu hot")


@pytest.mark.parametrize(
    ("text", "error"),
    [("Traceback (most recent call last):", True), ('"GET / HTTP/1.1" 503 12', True), ("status=502 upstream", True),
     ("reason: OOMKilled", True), ("container OOM killed", True), ("GET / HTTP/1.1 200 took 503 ms", False),
     ("E0129 08:43:04.123 main.go:42] boom", True), ("user logged in", False)],
)
def test_error_text(text: str, error: bool) -> None:
    assert is_error_text(text) is error


@pytest.mark.parametrize("level, error", [("warn", False), ("WARNING", False), ("info", False),
                                          ("error", True), ("", True)])
def test_a_level_the_logger_stated_below_error_is_trusted_over_the_words(level: str, error: bool) -> None:
    # "Allocation Failure" names why the collector ran, and the JVM logged it as a warning: a new
    # template, not a new error. Where the level is an error level, or unknown, the words decide.
    logs = background(4)
    rng = np.random.default_rng(5)
    add(logs, rng.uniform(ONSET + 5, END, 30), "payment",
        lambda i: f"[gc] Pause Full (Allocation Failure) {900 + i}M->{880 + i}M(1024M) {300 + i}.5ms", level)
    found = [f for f in analyse_logs(*logs, ONSET, END, window_start=0.0) if f.service == "payment"]
    assert len(found) == 1 and "new" in found[0].tags
    assert ("error" in found[0].tags) is error


def _short_baseline(seed: int = 5):
    """Logs that begin 40 s before the onset and end 160 s after it (a short export)."""
    rng = np.random.default_rng(seed)
    logs = ([], [], [], [])
    add(logs, np.sort(rng.uniform(ONSET - 40, ONSET + 160, 120)), "admin", lambda i: f"query info trip G{i}", "info")
    add(logs, np.sort(rng.uniform(ONSET - 40, ONSET + 160, 120)), "cart", lambda i: f"query info item {i}", "info")
    return logs


def test_a_services_errors_spread_over_templates_stand_out_together() -> None:
    # four lines of each of two error statements after the onset: neither alone stands out
    # against a 40-s baseline (a rare line may not have had its occasion yet), together they do
    logs = _short_baseline()
    add(logs, np.linspace(ONSET + 60, ONSET + 150, 4), "admin",
        lambda i: f"[getAll] Returning error code {i + 3}0{i} to client: validation result was false", "error")
    add(logs, np.linspace(ONSET + 65, ONSET + 155, 4), "admin",
        lambda i: f"[getAll] Response status 409 CONFLICT returned: state check failed (requestId: r{i})", "error")
    found = analyse_logs(*logs, ONSET, ONSET + 160, window_start=ONSET - 40, known_services=["admin", "cart"])
    assert [(f.service, f.signal, f.tags) for f in found] == [("admin", "errors/own", ("error", "new", "own", "pooled"))]
    assert "2 error templates together" in found[0].summary and "8 after" in found[0].summary
    assert found[0].onset == pytest.approx(ONSET + 60)
    # one statement alone is still judged on its own: four lines are not enough
    alone = _short_baseline()
    add(alone, np.linspace(ONSET + 60, ONSET + 150, 4), "admin",
        lambda i: f"[getAll] Returning error code {i + 3}0{i} to client: validation result was false", "error")
    assert analyse_logs(*alone, ONSET, ONSET + 160, window_start=ONSET - 40, known_services=["admin", "cart"]) == []


def test_pooled_errors_that_were_there_before_the_onset_at_the_same_rate_are_not_reported() -> None:
    logs = _short_baseline(6)
    for t0, name in ((ONSET - 38, "code"), (ONSET - 33, "status")):
        add(logs, np.arange(t0, ONSET + 160, 20.0), "admin", lambda i, n=name: f"[getAll] failed {n} {i}", "error")
    assert analyse_logs(*logs, ONSET, ONSET + 160, window_start=ONSET - 40, known_services=["admin", "cart"]) == []
