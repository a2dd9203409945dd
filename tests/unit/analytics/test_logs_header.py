"""Header recognition: the fields before the message are found in common shapes, no setting."""

from __future__ import annotations

import pytest

from aiops.logheader import HeaderParser, iso_time, normalise_level
from aiops.analytics.logtemplates import mine_templates

# Hand-written lines in the shapes common loggers write (values made up).
SHAPES = [
    # (line, expected fields (subset), expected message)
    ("2024-03-02T10:15:30.123Z ERROR payment declined for order 77",
     {"time": "2024-03-02T10:15:30.123Z", "level": "error"}, "payment declined for order 77"),
    ("2024-03-02 10:15:30,123 WARN  [pool-3-thread-1] com.acme.billing.Invoicer: retrying invoice 9",
     {"level": "warn", "thread": "pool-3-thread-1", "component": "com.acme.billing.Invoicer"}, "retrying invoice 9"),
    ("2024-03-02 10:15:30.123  INFO 1 --- [  worker-2] c.a.s.CartController      : cart 5 emptied",
     {"level": "info", "pid": "1", "thread": "worker-2", "component": "c.a.s.CartController"}, "cart 5 emptied"),
    ("2024-03-02 10:15:30,123 - DEBUG [main:Loader@42] - loading plugin foo",
     {"level": "debug", "thread": "main:Loader@42"}, "loading plugin foo"),
    ("Mar  2 10:15:30 web-3 nginx[812]: worker process started",
     {"time": "Mar  2 10:15:30", "host": "web-3", "pid": "812", "component": "nginx"}, "worker process started"),
    ("Mar 12 10:15:30 db1 kernel: eth0 link up",
     {"host": "db1", "component": "kernel"}, "eth0 link up"),
    ("240302 101530 4411 INFO store.Compactor: compacted 3 segments",
     {"time": "240302 101530", "pid": "4411", "level": "info", "component": "store.Compactor"}, "compacted 3 segments"),
    ("24/03/02 10:15:30 INFO scheduler.Pool: job 4 queued",
     {"time": "24/03/02 10:15:30", "level": "info", "component": "scheduler.Pool"}, "job 4 queued"),
    ("1709374530 node-7 ERROR disk sdb failing",
     {"level": "error", "host": "node-7"}, "disk sdb failing"),
    ("[2024-03-02 10:15:30,123] INFO Rolled segment for topic-0 (kafka.log.Log)",
     {"time": "2024-03-02 10:15:30,123", "level": "info"}, "Rolled segment for topic-0 (kafka.log.Log)"),
    ("2024/03/02 10:15:30 [error] 31#31: *5 upstream timed out",
     {"level": "error", "component": "31#31"}, "*5 upstream timed out"),
    ("I0302 10:15:30.123456    1234 controller.go:88] synced 4 objects",
     {"level": "info", "pid": "1234"}, "controller.go:88] synced 4 objects"),
    ("03-02 10:15:30.123  1702  2395 W ActivityManager: slow operation",
     {"level": "warn", "component": "ActivityManager"}, "slow operation"),
    ("Mar 2, 2024 10:15:30 AM org.acme.Server start",
     {"time": "Mar 2, 2024 10:15:30 AM"}, "org.acme.Server start"),
    ("[Sat Mar 02 10:15:30 2024] [notice] Apache configured -- resuming normal operations",
     {"level": "info"}, "Apache configured -- resuming normal operations"),
    ('{"ts": 1709374530.5, "level": "warn", "logger": "auth", "msg": "token expired", "user": "u7"}',
     {"level": "warn", "component": "auth"}, "token expired user=u7"),
    ('time="2024-03-02T10:15:30Z" level=error msg="query failed" table=orders',
     {"time": "2024-03-02T10:15:30Z", "level": "error"}, "query failed table=orders"),
]


@pytest.mark.parametrize(("line", "fields", "message"), SHAPES, ids=[s[0][:28] for s in SHAPES])
def test_common_header_shapes_are_split_into_fields_and_message(line: str, fields: dict, message: str) -> None:
    header, got = HeaderParser().split(line)
    assert got == message
    assert {k: v for k, v in header.as_dict().items() if k in fields} == fields


def test_a_line_without_a_header_is_all_message() -> None:
    for line in ("connection reset by peer", "3 retries left", "  at com.acme.Foo.bar(Foo.java:12)"):
        header, message = HeaderParser().split(line)
        assert header.as_dict() == {} and message == line.strip()


def test_an_exception_class_is_message_not_a_component() -> None:
    _, message = HeaderParser().split("2024-03-02 10:15:30 ERROR java.lang.IllegalStateException: bad state")
    assert message == "java.lang.IllegalStateException: bad state"


def test_learned_layout_claims_leading_columns_of_any_shape() -> None:
    # a file whose columns before the time are a record number, a node and two words
    lines = [f"{900 + i} node-{i % 4} fan status 17093745{i:02d} 1 Fan speed {i} rpm" for i in range(30)]
    lines += [f"{990 + i} node-1 disk state 17093746{i:02d} 0 disk ok" for i in range(10)]
    parser = HeaderParser.learn(lines)
    assert parser.split(lines[0])[1] == "Fan speed 0 rpm"
    assert parser.split(lines[-1])[1] == "disk ok"
    assert HeaderParser().split(lines[0])[1] != "Fan speed 0 rpm"      # without learning: not claimed


def test_the_same_statement_in_different_header_shapes_mines_alike() -> None:
    lines = [
        "2024-03-02T10:15:30Z INFO [main] app.Db: pool 1 ready",
        "2024-03-02T10:15:31Z INFO [worker 7] app.Db: pool 2 ready",
        "2024-03-02T10:15:32Z ERROR [main] app.Db: pool 3 ready",
    ]
    ids, texts = mine_templates(lines)
    assert ids[0] == ids[1] != ids[2]
    assert texts[0] == "INFO pool <*> ready" and texts[2] == "ERROR pool <*> ready"


def test_levels_are_normalised() -> None:
    assert [normalise_level(w) for w in ("WARNING", "[err]", "Info", "E", "notice", "bogus")] == \
        ["warn", "error", "info", "error", "info", ""]


@pytest.mark.parametrize(("text", "iso"), [
    ("2024-03-02 10:15:30,123", "2024-03-02 10:15:30.123"),
    ("240302 101530", "2024-03-02 10:15:30"),
    ("02/Mar/2024:10:15:30 +0100", "2024-03-02 10:15:30+01:00"),
    ("Mar 2, 2024 1:15:30 PM", "2024-03-02 13:15:30"),
    ("Mar  2 10:15:30", None),                 # syslog has no year
])
def test_dated_header_times_read_as_rfc3339(text: str, iso: str | None) -> None:
    assert iso_time(text) == iso
