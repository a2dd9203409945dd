"""logs.csv, logs.jsonl (+gz) and plain logs/<service>.log files."""

from __future__ import annotations

import json

from aiops.telemetry.bundle import load_bundle

T0 = 1674981000  # 2023-01-29T08:30:00Z, as in conftest.INCIDENT


def logs(loaded):
    return loaded.store.connection.execute(
        "SELECT ts, service, pod, level, message, trace_id, span_id, attrs FROM logs ORDER BY ts, message").fetchall()


LOGFMT = '"level=debug msg=""cache miss"""'


def test_csv_levels_are_normalised_or_inferred_from_the_message(make_bundle):
    bundle = make_bundle({"logs.csv": f"""
        timestamp,service,level,message,trace_id,region
        {T0},cart,WARNING,slow query,t1,eu
        {T0 + 1},cart,,2023-01-29 ERROR connection refused,,eu
        {T0 + 2},cart,,java.lang.IllegalStateException: closed,,eu
        {T0 + 3},cart,,{LOGFMT},,eu
        {T0 + 4},cart,,all good,,
        """})
    got = logs(load_bundle(bundle))
    assert [r[3] for r in got] == ["warn", "error", "error", "debug", ""]
    assert got[0][5] == "t1" and json.loads(got[0][7]) == {"region": "eu"}
    assert got[3][4] == 'level=debug msg="cache miss"'


def test_jsonl_unwraps_container_log_lines_and_derives_service_from_pod(make_bundle):
    wrapped = json.dumps({"log": "ERROR payment declined\n", "stream": "stderr", "time": "2023-01-29T08:30:00Z"})
    lines = [
        {"timestamp": f"{T0}000000000", "pod": "payment-866bd68c97-xcqfx", "message": wrapped, "user": 7},
        {"timestamp": "2023-01-29T08:30:01.250Z", "service": "cart", "message": "ok", "level": "Info"},
    ]
    bundle = make_bundle({"logs.jsonl.gz": "\n".join(json.dumps(r) for r in lines) + "\n"})
    got = logs(load_bundle(bundle))
    assert got[0][:5] == (T0, "payment", "payment-866bd68c97-xcqfx", "error", "ERROR payment declined")
    assert json.loads(got[0][7]) == {"user": 7}
    assert got[1][:5] == (T0 + 1.25, "cart", "", "info", "ok")


def test_jsonl_accepts_docker_style_field_names(make_bundle):
    line = {"time": "2023-01-29T08:30:00Z", "log": "WARN disk 91% full\n", "service": "db", "stream": "stdout"}
    got = logs(load_bundle(make_bundle({"logs.jsonl": json.dumps(line) + "\n"})))
    assert got[0][:5] == (T0, "db", "", "warn", "WARN disk 91% full")


def test_plain_log_continuation_lines_join_the_record_above(make_bundle):
    bundle = make_bundle({"logs/checkout.log": """
        2023-01-29T08:30:00Z INFO started
        2023-01-29 08:30:01,500 ERROR request failed
        java.lang.RuntimeException: boom
        \tat com.shop.Checkout.pay(Checkout.java:42)
        [2023-01-29 08:30:02.000] WARN retrying
        1674981003 DEBUG tick
        """})
    loaded = load_bundle(bundle)
    got = logs(loaded)
    assert loaded.files == [("logs/checkout.log", "logs", 4)]
    assert [(r[0], r[1], r[3]) for r in got] == [(T0, "checkout", "info"), (T0 + 1.5, "checkout", "error"),
                                                 (T0 + 2, "checkout", "warn"), (T0 + 3, "checkout", "debug")]
    assert got[1][4] == ("ERROR request failed\njava.lang.RuntimeException: boom\n"
                         "\tat com.shop.Checkout.pay(Checkout.java:42)")


def test_plain_log_named_after_a_pod_and_gzipped(make_bundle):
    bundle = make_bundle({"logs/cart-7d4f9c8b6-x2k9z.log.gz": "2023-01-29T08:30:00Z hello\n"})
    got = logs(load_bundle(bundle))
    assert got[0][:3] == (T0, "cart", "cart-7d4f9c8b6-x2k9z")


def test_plain_log_leading_lines_without_time_are_skipped_with_a_warning(make_bundle):
    bundle = make_bundle({"logs/api.log": "banner line\n2023-01-29T08:30:00Z INFO up\n"})
    loaded = load_bundle(bundle)
    assert [r[4] for r in logs(loaded)] == ["INFO up"]
    assert any("logs/api.log" in w and "skipped 1" in w for w in loaded.warnings)
