"""Where the extra time and the new failures of whole requests are spent (per-service
contribution to the entry's rise), and, with nothing clean to compare with, where most
failing requests fail first."""

from __future__ import annotations

import numpy as np
import pytest

from aiops.analytics.contribution import (MIN_FAILED, MIN_SHARE, UNCOMPARED_WEIGHT, Z_MIN, contribution_findings,
                                          contributions)
from aiops.analytics.spantree import Spans, build_span_tree

ONSET = 600.0
COLUMNS = ("trace_id", "span_id", "parent_span_id", "service", "operation", "start", "duration_us", "status")
OWN_MS = {"A": 10.0, "B": 5.0, "C": 20.0}
DEPTH = {"a": 0, "b": 1, "c": 2}


def requests(n: int = 300, *, extra_ms: dict[str, float] | None = None, fail: str | None = None,
             fail_share: float = 0.3, fail_before: bool = False, changed_at: float = ONSET,
             wobble: dict[str, float] | None = None, entry: str = "op", seed: int = 0,
             prefix: str = "t", root: str = "A") -> list[tuple]:
    """Requests root -> B -> C over [0, 2 * ONSET). From `changed_at` on, each service of
    `extra_ms` spends that much more own time per request and `fail_share` of the requests
    fail in `fail` (the error propagating to its callers); with `fail_before` they fail at that
    rate all along. `wobble` widens a service's own time from `changed_at` on (uniform, +- that
    many ms), its mean unchanged."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        t0 = float(rng.uniform(0, 2 * ONSET))
        own = {s: base * float(rng.uniform(0.9, 1.1)) for s, base in OWN_MS.items()}
        late = t0 >= changed_at
        if late:
            for s, width in (wobble or {}).items():
                own[s] += float(rng.uniform(-width, width))
            for s, ms in (extra_ms or {}).items():
                own[s] += ms
        failed = fail is not None and (late or fail_before) and rng.random() < fail_share
        c = own["C"]
        b = own["B"] + c
        a = own["A"] + b
        t_b = t0 + own["A"] / 2e3
        t_c = t_b + own["B"] / 2e3
        for sid, parent, svc, start, dur in (("a", "", root, t0, a), ("b", "a", "B", t_b, b), ("c", "b", "C", t_c, c)):
            broken = failed and DEPTH[sid] <= DEPTH[fail.lower()]    # where it fails and every caller above
            rows.append((f"{prefix}{i}", f"{prefix}{sid}{i}", f"{prefix}{parent}{i}" if parent else "", svc,
                         entry if sid == "a" else "call", start, dur * 1e3, "ERROR" if broken else "OK"))
    return rows


def found(rows: list[tuple], cut: float = ONSET, search_from: float | None = None):
    spans = Spans.from_columns({name: [r[i] for r in rows] for i, name in enumerate(COLUMNS)})
    return contributions(spans, build_span_tree(spans), cut, search_from)


def by(result, kind: str) -> dict:
    return {c.service: c for c in result if c.kind == kind}


def test_the_extra_time_of_the_requests_is_traced_to_the_service_that_spends_it() -> None:
    result = found(requests(extra_ms={"C": 40.0}))
    lat = by(result, "latency")
    assert set(lat) == {"C"}, "callers that only wait for C add no time of their own"
    c = lat["C"]
    assert c.added == pytest.approx(40.0, rel=0.1) and c.share > 0.9 and c.z >= Z_MIN
    assert c.entries == ("A op",) and c.compared
    assert not by(result, "errors")


def test_a_small_own_rise_beside_a_large_one_is_not_a_contribution() -> None:
    # B's own time rises (+3 ms, significant), C adds 60 ms: B is under MIN_SHARE of the rise
    lat = by(found(requests(n=600, extra_ms={"B": 3.0, "C": 60.0})), "latency")
    assert set(lat) == {"C"}
    assert 3.0 / 63.0 < MIN_SHARE


def test_two_services_that_share_the_rise_are_both_named_biggest_first() -> None:
    result = found(requests(n=600, extra_ms={"B": 30.0, "C": 60.0}))
    lat = [c for c in result if c.kind == "latency"]
    assert [c.service for c in lat] == ["C", "B"]
    assert lat[0].share == pytest.approx(2 / 3, abs=0.05) and lat[1].share == pytest.approx(1 / 3, abs=0.05)


def test_own_time_that_only_wobbles_more_is_no_contribution() -> None:
    # after the onset B's own time varies a lot more, but its mean does not move
    assert not by(found(requests(n=400, wobble={"B": 4.5}, seed=3)), "latency")


def test_only_the_entries_whose_requests_slowed_are_named() -> None:
    slowed = requests(extra_ms={"C": 40.0}, entry="GET /checkout")
    quiet = requests(seed=1, prefix="q", root="D", entry="GET /home")   # D -> B -> C, C not slower there
    for i, r in enumerate(quiet):
        if r[3] == "C":
            quiet[i] = r[:3] + ("E",) + r[4:]                               # its own database, not C
    c = by(found(slowed + quiet), "latency")["C"]
    assert c.entries == ("A GET /checkout",)


def test_an_alert_that_fired_late_is_searched_back_to_where_the_requests_changed() -> None:
    rows = requests(extra_ms={"C": 40.0}, changed_at=ONSET - 200)
    at_alert = by(found(rows), "latency")["C"]
    searched = by(found(rows, search_from=ONSET - 300), "latency")["C"]
    # split at the alert, slowed requests sit on both sides and the rise looks smaller
    assert at_alert.added < 35.0
    assert searched.added == pytest.approx(40.0, rel=0.1)


def test_new_failures_are_traced_to_where_they_start_not_to_the_callers_they_reach() -> None:
    errs = by(found(requests(n=400, fail="C")), "errors")
    assert set(errs) == {"C"}
    c = errs["C"]
    assert c.compared and c.added == pytest.approx(0.3, abs=0.08) and c.z >= Z_MIN and c.share > 0.9


def test_with_failures_all_along_the_failing_requests_are_traced_to_where_they_fail_first() -> None:
    # as many requests failed before the split as after: nothing rose, but 30 % fail, all in C first
    errs = by(found(requests(n=400, fail="C", fail_before=True)), "errors")
    assert set(errs) == {"C"}
    c = errs["C"]
    assert not c.compared and c.share == pytest.approx(1.0) and c.z == Z_MIN
    assert c.requests >= MIN_FAILED


def test_a_few_failing_requests_are_not_traced_without_a_baseline() -> None:
    rows = requests(n=300, fail="C", fail_before=True, fail_share=0.01, seed=5)
    failing = {r[0] for r in rows if r[2] == "" and r[7] == "ERROR" and r[5] >= ONSET}
    assert 0 < len(failing) < MIN_FAILED
    assert not by(found(rows), "errors")


def test_steady_requests_have_no_contribution() -> None:
    assert found(requests(n=400)) == []


def test_findings_weigh_an_uncompared_origin_at_half_a_clear_rise() -> None:
    compared = contribution_findings(found(requests(n=400, fail="C")), ONSET)
    uncompared = contribution_findings(found(requests(n=400, fail="C", fail_before=True)), ONSET)
    (rise,), (origin,) = compared, uncompared
    assert rise.service == origin.service == "C" and rise.tags == origin.tags == ("own", "error", "contribution")
    assert origin.score == pytest.approx(UNCOMPARED_WEIGHT * np.sqrt(1.0), abs=1e-9)
    assert rise.score > origin.score
    assert "no requests from before the onset to compare with" in origin.summary
    assert "failures start here" in rise.summary
    (slow,) = contribution_findings(found(requests(extra_ms={"C": 40.0})), ONSET)
    assert slow.signal == "latency_contribution" and slow.tags == ("own", "contribution")
    assert "its own time adds" in slow.summary and slow.kind == "trace" and slow.onset == ONSET


def test_a_contribution_weighs_by_the_time_it_added_relative_to_the_requests_time() -> None:
    """All of a 3 % slowdown is a small thing; all of a 50 % slowdown is not: the score grows
    with the time added per request relative to the requests' time before."""
    total = sum(OWN_MS.values())
    small, large = (by(found(requests(extra_ms={"C": total * share})), "latency")["C"] for share in (0.03, 0.5))
    assert small.base == pytest.approx(total, rel=0.05) and small.share > 0.9 and large.share > 0.9
    f_small, f_large = contribution_findings([small, large], ONSET)
    assert f_large.score > 0.9 and f_small.score < 0.3


def test_a_stall_that_came_and_went_is_not_where_the_requests_time_went() -> None:
    """C adds 15 ms to every request from the onset on; B stalls for 400 ms in one minute of the
    ten after it (a pause), which is more added time on average but no lasting cause."""
    rows = requests(n=800, extra_ms={"C": 15.0})
    stalled = {r[0] for r in rows if r[2] == "" and ONSET + 120 <= r[5] < ONSET + 180}
    rows = [r[:6] + (r[6] + 400e3 if r[0] in stalled and r[3] in ("A", "B") else r[6],) + r[7:] for r in rows]
    lat = by(found(rows), "latency")
    assert "C" in lat and lat["C"].added == pytest.approx(15.0, rel=0.25)
    assert "B" not in lat or lat["B"].added < lat["C"].added
