"""Which service an error line blames: own failures vs failed calls, names in others' errors."""

from __future__ import annotations

import numpy as np
import pytest

from aiops.analytics.blame import ErrorOrigin
from aiops.analytics.mentions import find_mentions
from aiops.analytics.onsets import rate_onset

SERVICES = ["frontend", "checkout", "productcatalog", "ts-order-service", "ts-order-other-service",
            "ts-seat-service", "postgres"]


@pytest.mark.parametrize("text, origin", [
    ("java.lang.NullPointerException at c.e.SeatServiceImpl.distribute", "own"),   # its own class
    ("panic: runtime error: invalid memory address or nil pointer dereference", "own"),
    ("java.lang.OutOfMemoryError: Java heap space", "own"),
    ("HikariPool-1 - Connection is not available, request timed out after 30000ms", "own"),
    ("write /data/x.log: no space left on device", "own"),
    ("failed to GetProduct: could not call productcatalog: rpc error: code = Unavailable", "call"),
    ("org.postgresql.util.PSQLException: Connection to postgres:5432 refused", "call"),
    ("com.mongodb.MongoSocketOpenException: Exception opening socket", "call"),
    ("context deadline exceeded (Client.Timeout exceeded while awaiting headers)", "call"),
    ('HttpServerErrorException: 500 : [{"path":"/api/v1/orderservice/orders"}]', "call"),
    # an access log at error level: the request failed, not why
    ('time=<*> level=error msg="request complete" http.req.id=<*> http.req.method=<*> http.req.path=<*> '
     'http.resp.status=<*> http.resp.took_ms=<*>', "call"),
    ('10.0.0.7 - - [<*>] "POST /api/v1/seats HTTP/1.1" <*> <*>', "call"),
])
def test_error_lines_report_the_emitters_own_failure_or_a_failed_call(text: str, origin: str) -> None:
    assert ErrorOrigin(SERVICES).origin(text, "ts-seat-service") == origin


def test_names_count_when_written_as_names_and_the_most_specific_service_wins() -> None:
    e = ErrorOrigin(SERVICES)
    assert e.names_other("rpc error: hipstershop.ProductCatalogService/GetProduct", "frontend") == "productcatalog"
    assert e.names_other("GET /api/v1/order-otherservice/tickets failed", "ts-seat-service") == "ts-order-other-service"
    # prose and class names are not service names
    assert e.names_other("IllegalStateException: Seat map for trip G1234 is empty", "checkout") == ""
    assert e.names_other("Cannot invoke Order.getId() on a null reference", "checkout") == ""
    # a service's own name is not a mention
    assert e.names_other("could not call productcatalog", "productcatalog") == ""


def lines(rows: list[tuple[float, str, str]]):
    ts, svc, msg = zip(*rows)
    return list(ts), list(svc), list(msg), ["error"] * len(rows)


def test_a_database_named_in_callers_errors_after_the_onset_is_a_suspect_and_their_dependency() -> None:
    rng = np.random.default_rng(0)
    rows = [(float(t), "checkout", "request ok") for t in rng.uniform(0, 1200, 200)]
    rows += [(float(t), e, "PSQLException: Connection to postgres:5432 refused")
             for e in ("checkout", "frontend") for t in rng.uniform(800, 1200, 40)]
    m = find_mentions(*lines(rows), SERVICES, 600.0, 0.0, 1200.0)
    (f,) = m.findings
    assert f.service == "postgres" and f.tags == ("mentioned",) and f.score > 0.5
    assert 780.0 <= f.onset <= 830.0                  # where the burst began, not the first line after 600
    assert m.edges == {"checkout": {"postgres"}, "frontend": {"postgres"}}


def test_one_long_stack_trace_does_not_make_every_line_cost_as_much_memory() -> None:
    import tracemalloc

    rng = np.random.default_rng(3)
    rows = [(float(t), "checkout", f"request {i} ok") for i, t in enumerate(rng.uniform(0, 1200, 3000))]
    rows += [(float(t), "frontend", "PSQLException: Connection to postgres:5432 refused")
             for t in rng.uniform(800, 1200, 60)]
    trace = "java.lang.IllegalStateException: boom" + "\n\tat com.example.Impl.call(Impl.java:42)" * 1500
    rows.append((900.0, "checkout", trace))                  # ~60 kB, as real services log them
    tracemalloc.start()
    try:
        m = find_mentions(*lines(rows), SERVICES, 600.0, 0.0, 1200.0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [f.service for f in m.findings] == ["postgres"]
    assert peak < 20e6          # numpy text arrays as wide as the longest line: 730 MB each, 2 GB at the peak


def test_bursty_background_errors_that_happen_to_be_busier_now_are_not_a_finding() -> None:
    rng = np.random.default_rng(1)
    rows = []
    for burst in rng.uniform(0, 1200, 12):            # bursts of 8 lines all along the window
        rows += [(float(burst + k), "frontend", "could not call checkout: rpc error") for k in range(8)]
    rows += [(float(t), "frontend", "could not call checkout: rpc error") for t in (900, 901, 902, 1000, 1001)]
    m = find_mentions(*lines(rows), SERVICES, 600.0, 0.0, 1200.0)
    assert m.findings == []


def test_rate_onset_is_where_the_faster_stretch_begins_despite_stray_early_lines() -> None:
    rng = np.random.default_rng(2)
    times = np.concatenate([rng.uniform(0, 1200, 10), rng.uniform(900, 1200, 200)])
    assert 890.0 <= rate_onset(times, 0.0, 1200.0) <= 920.0
    assert rate_onset([], 0.0, 10.0) is None


def test_lines_at_any_level_count_by_their_words_in_any_case() -> None:
    """Error words are matched on the lower-cased line (not an IGNORECASE pattern): an info
    line that says, in capitals, that a call to postgres was refused names it; one that names it
    without an error word does not; and an error-level line counts whatever its words."""
    rng = np.random.default_rng(4)
    rows = [(float(t), "checkout", "info", "request ok") for t in rng.uniform(0, 1200, 200)]
    rows += [(float(t), "checkout", "info", "Connection to postgres:5432 REFUSED") for t in rng.uniform(800, 1200, 40)]
    rows += [(float(t), "frontend", "info", "query on postgres took 12 ms") for t in rng.uniform(800, 1200, 40)]
    rows += [(float(t), "frontend", "ERROR", "productcatalog said no") for t in rng.uniform(800, 1200, 40)]
    ts, svc, lv, msg = zip(*rows)
    m = find_mentions(list(ts), list(svc), list(msg), list(lv), SERVICES, 600.0, 0.0, 1200.0)
    assert sorted(f.service for f in m.findings) == ["postgres", "productcatalog"]
    assert m.edges == {"checkout": {"postgres"}, "frontend": {"productcatalog"}}


def test_an_emitter_that_named_the_service_before_the_onset_too_still_depends_on_it() -> None:
    """A fault already under way in a short baseline: checkout's errors name postgres before the
    onset and after at the same rate (no rise, so no blame from checkout), frontend's rise. Both
    call postgres: an error line that names a service says so, rise or not."""
    rng = np.random.default_rng(5)
    rows = [(float(t), "checkout", "request ok") for t in rng.uniform(0, 1200, 200)]
    rows += [(float(t), "checkout", "I/O error on POST request for http://postgres:5432/q: 500")
             for t in np.arange(5.0, 1200.0, 40.0)]
    rows += [(float(t), "frontend", "PSQLException: Connection to postgres:5432 refused") for t in rng.uniform(800, 1200, 40)]
    m = find_mentions(*lines(rows), SERVICES, 600.0, 0.0, 1200.0)
    (f,) = m.findings
    assert f.service == "postgres" and "of 1 other service(s)" in f.summary and "(frontend)" in f.summary
    assert m.edges == {"checkout": {"postgres"}, "frontend": {"postgres"}}
