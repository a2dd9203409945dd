"""Exports of the last minutes: spans and logs that begin shortly before the alert, often
after the fault began. Rates are per time the data covers, and a service failing far more than
all the others is named even with no clean stretch before it to compare with."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from aiops.agent.state import RunState
from aiops.analytics.mentions import find_mentions
from aiops.analytics.traces import analyse_traces
from aiops.config import load_settings
from aiops.telemetry.bundle import load_bundle
from aiops.tooling.scans.logs import logs_scan

ONSET = 10_000.0
COLUMNS = ("trace_id", "span_id", "parent_span_id", "service", "operation", "start", "duration_us", "status", "http_status")


def requests(t_from: float, t_to: float, n: int, failing: float = 0.0, seed: int = 0,
             a_ms: tuple[float, float] = (8.0, 12.0), b_ms=lambda t: 1.0) -> dict[str, list]:  # noqa: ANN001
    """A -> B and A -> C; C fails a share `failing` of its requests all along (A fails with it)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        t0 = float(rng.uniform(t_from, t_to))
        own_a, own_b, own_c = float(rng.uniform(*a_ms)) * 1e3, b_ms(t0) * 1e3, 5e3
        broken = rng.random() < failing
        b_start, c_start = t0 + 0.001, t0 + 0.002 + own_b / 1e6
        for sid, parent, svc, start, dur, bad in (
                ("a", "", "A", t0, own_a + own_b + own_c, broken), ("b", "a", "B", b_start, own_b, False),
                ("c", "a", "C", c_start, own_c, broken)):
            rows.append((f"t{i}", f"{sid}{i}", f"{parent}{i}" if parent else "", svc, "op", start, dur,
                         "ERROR" if bad else "OK", 500 if bad else 200))
    return {name: [r[k] for r in rows] for k, name in enumerate(COLUMNS)}


def own_errors(findings) -> dict[str, object]:  # noqa: ANN001
    return {f.service: f for f in findings if f.signal == "error_rate" and "own" in f.tags}


def test_a_service_failing_far_above_the_others_is_named_when_the_spans_begin_after_the_fault() -> None:
    # spans from 50 s before the split: C already fails 20 % there, so nothing "rose"
    found = own_errors(analyse_traces(requests(ONSET - 50, ONSET + 150, 400, failing=0.2), ONSET).findings)
    assert set(found) == {"C"}
    c = found["C"]
    assert "uncompared" in c.tags and 0.5 < c.score <= 0.9
    assert "no requests from before the onset" in c.summary
    # nothing says it is new, but a larger failing share is less likely to be chronic
    few = own_errors(analyse_traces(requests(ONSET - 50, ONSET + 150, 1500, failing=0.03), ONSET).findings)["C"]
    most = own_errors(analyse_traces(requests(ONSET - 50, ONSET + 150, 400, failing=0.7), ONSET).findings)["C"]
    assert few.score < 0.5 < c.score < most.score <= 0.9


def test_with_a_long_clean_history_the_same_steady_failure_is_not_news() -> None:
    found = own_errors(analyse_traces(requests(ONSET - 900, ONSET + 150, 2000, failing=0.2), ONSET).findings)
    assert found == {}


def test_own_time_that_rose_while_no_service_added_measurably_to_the_requests_weighs_little(monkeypatch) -> None:
    """Contribution along traces compared the requests and found no service whose own time
    added a clear, significant share to them (a busy system's wander): an own-time rise is then
    not where their time went, as when another service's contribution was found."""
    import aiops.analytics.traces as traces

    def nothing_found(spans, tree, cut, search_from=None, covered=None):  # noqa: ANN001, ANN202
        covered.add("latency")
        return []

    spans = requests(ONSET - 600, ONSET + 600, 600, b_ms=lambda t: 3.0 if t >= ONSET else 1.0)
    plain = [f for f in analyse_traces(spans, ONSET).findings if f.signal == "self_latency"]
    monkeypatch.setattr(traces, "contributions", nothing_found)
    minor = [f for f in analyse_traces(spans, ONSET).findings if f.signal == "self_latency"]
    assert [f.service for f in plain] == [f.service for f in minor] == ["B"]
    assert "adds little to the requests" in minor[0].summary
    assert minor[0].score == plain[0].score * traces.MINOR_FACTOR


def test_log_rates_are_per_time_the_logs_cover_not_per_window(tmp_path: Path) -> None:
    """Logs exported from a minute before the alert, in a 20-minute window: a line every 2 s
    all along is steady, not a surge (the empty start of the window is not a quiet stretch)."""
    root = tmp_path / "b"
    root.mkdir()
    t0, alert = 1_700_000_000, 1_700_001_200
    (root / "incident.toml").write_text(f'title = "checkout errors"\nstarted_at = {alert}\n'
                                        f'[window]\nstart = {t0}\nend = {alert + 300}\n')
    lines = "".join(f"{alert - 60 + 2 * i},cart,info,served request {i} in {i % 7} ms\n" for i in range(180))
    (root / "logs.csv").write_text("timestamp,service,level,message\n" + lines)
    loaded = load_bundle(root)
    try:
        result = logs_scan(RunState.start(loaded.incident, loaded.store, load_settings(env={})).context(), {})
    finally:
        loaded.store.close()
    assert [f.summary for f in result.findings if f.service == "cart"] == []


def test_a_service_named_in_other_services_errors_all_along_is_named_when_the_logs_begin_late() -> None:
    """Logs from 60 s before the split: the callers name `payments` in their errors before and
    after it alike (the fault began first). Nothing rose, yet it is named, at half weight; with
    ten minutes of clean logs before, the same lines from the split on are a rise in full."""
    lines = [(ONSET - 60 + 3 * i, f"orders{i % 2}", "error", f"call to payments failed: status 500 (req {i})")
             for i in range(60)]
    ts, svc, msg, lv = (list(x) for x in zip(*[(t, s, m, lvl) for t, s, lvl, m in lines]))
    late = find_mentions(ts, svc, msg, lv, ["orders0", "orders1", "payments"], ONSET - 30, ONSET - 60, ONSET + 120)
    assert [(f.service, f.tags) for f in late.findings] == [("payments", ("mentioned", "uncompared"))]
    assert 0.0 < late.findings[0].score <= 0.5 and "no logs from before the onset" in late.findings[0].summary
    clean = find_mentions(ts, svc, msg, lv, ["orders0", "orders1", "payments"], ONSET - 60, ONSET - 600, ONSET + 120)
    assert [(f.service, f.tags) for f in clean.findings] == [("payments", ("mentioned",))]


def test_of_services_named_all_along_the_one_named_far_more_stands_out() -> None:
    """Nothing before to compare with: `payments` is named in five times as many error lines as
    `ledger`; each weighs by its share of the most named one's lines."""
    lines = [(ONSET - 60 + i, f"orders{i % 2}", "error", f"call to payments failed: status 500 (req {i})")
             for i in range(100)]
    lines += [(ONSET - 60 + 5 * i, f"orders{i % 2}", "error", f"call to ledger failed: status 500 (req {i})")
              for i in range(20)]
    ts, svc, msg, lv = (list(x) for x in zip(*[(t, s, m, lvl) for t, s, lvl, m in lines]))
    late = find_mentions(ts, svc, msg, lv, ["orders0", "orders1", "payments", "ledger"], ONSET - 30, ONSET - 60,
                         ONSET + 120)
    score = {f.service: f.score for f in late.findings}
    assert set(score) == {"payments", "ledger"}
    assert score["ledger"] < 0.25 * score["payments"]
