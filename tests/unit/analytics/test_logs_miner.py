"""Template mining: one id per logging statement, readable templates, stable ids."""

from __future__ import annotations

import random

from aiops.analytics.logminer import template_id_of
from aiops.analytics.logtemplates import LogTemplater, mine_templates

STATEMENTS = {
    "login": "{ts} INFO user {user} logged in from {ip}",
    "http": "{ts} INFO GET /api/v1/orders/{n} returned {code} in {ms}ms",
    "db": "{ts} ERROR failed to connect to db-{k}.svc:5432: connection refused",
    "req": "{ts} DEBUG request id={hex} trace={uuid} done",
    "cache": "{ts} WARN cache miss key=\"session:{n}\" size={n2}",
}
EXPECTED = {
    "login": "INFO user <*> logged in from <*>",
    "http": "INFO GET <*> returned <*> in <*>",
    "db": "ERROR failed to connect to db-<*>.svc:<*>: connection refused",
    "req": "DEBUG request id=<*> trace=<*> done",
    "cache": "WARN cache miss key=<*> size=<*>",
}


def synthetic_log(n: int, seed: int = 7) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    names, lines = [], []
    for i in range(n):
        name = rng.choice(sorted(STATEMENTS))
        lines.append(STATEMENTS[name].format(
            ts=f"2023-01-29T08:{i // 60 % 60:02d}:{i % 60:02d}.{rng.randrange(1000):03d}Z",
            user=rng.choice(["alice", "bob", "carol", "dave", "erin"]),
            ip=f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}",
            n=rng.randrange(10**6), n2=rng.randrange(4096), code=rng.choice([200, 201, 404, 500]),
            ms=rng.randrange(900), k=rng.randrange(9), hex=f"{rng.getrandbits(48):012x}",
            uuid="4bf92f35-77b3-4da6-a3ce-%012x" % rng.getrandbits(48),
        ))
        names.append(name)
    return names, lines


def test_five_statements_give_exactly_five_templates_with_wildcards() -> None:
    names, lines = synthetic_log(2000)
    ids, texts = mine_templates(lines)
    assert len(set(ids)) == 5
    by_statement = {}
    for name, tid, text in zip(names, ids, texts):
        by_statement.setdefault(name, set()).add((tid, text))
    assert {name: next(iter(pairs))[1] for name, pairs in by_statement.items()} == EXPECTED
    assert all(len(pairs) == 1 for pairs in by_statement.values())


def test_ids_are_stable_across_runs_and_input_order() -> None:
    _, lines = synthetic_log(500)
    first, _ = mine_templates(lines)
    again, _ = mine_templates(lines)
    assert first == again
    shuffled = lines[:]
    random.Random(1).shuffle(shuffled)
    ids_shuffled, texts_shuffled = mine_templates(shuffled)
    assert {template_id_of(t) for t in texts_shuffled} == set(first)
    assert set(ids_shuffled) == set(first)


def test_variable_part_first_seen_as_constant_is_merged_for_earlier_lines_too() -> None:
    lines = ["user alice logged in", "user alice logged in", "user bob logged in", "disk full"]
    ids, texts = mine_templates(lines)
    assert texts[:3] == ["user <*> logged in"] * 3       # the first lines report the final template
    assert ids[0] == ids[1] == ids[2] != ids[3]
    assert texts[3] == "disk full"


def test_variable_first_word_still_merges() -> None:
    ids, texts = mine_templates(["alice logged in", "bob logged in", "carol logged in"])
    assert len(set(ids)) == 1 and texts[0] == "<*> logged in"


def test_level_is_part_of_the_statement_and_timestamps_are_not() -> None:
    lines = [
        "2023-01-29T08:43:04Z INFO payment accepted for order 17",
        "2023-01-29T09:01:00Z INFO payment accepted for order 18",
        "2023-01-29T09:02:00Z ERROR payment accepted for order 19",
    ]
    ids, _ = mine_templates(lines)
    assert ids[0] == ids[1] != ids[2]


def test_logfmt_header_and_level_work_like_a_plain_header() -> None:
    # `time=` and `level=` are logfmt's header: two different statements that share only
    # them and a masked value stay apart, the level keeps its word, and one statement merges
    lines = [
        'time="2024-08-01T22:28:32.116Z" level=warning msg="slow request: took 304ms"',
        'time="2024-08-01T21:59:13.390Z" level=info msg="ShipOrder handled in 8.3ms"',
        'time="2024-08-01T22:28:37.514Z" level=warning msg="slow request: took 478ms"',
        'time="2024-08-01T22:29:37.514Z" level=error msg="slow request: took 478ms"',
    ]
    ids, templates = mine_templates(lines)
    assert ids[0] == ids[2] and len({ids[0], ids[1], ids[3]}) == 3
    assert templates[0] == "WARN slow request: took <*>"


def test_lines_sharing_only_masked_values_are_not_merged() -> None:
    ids, _ = mine_templates(["alpha 1", "beta 2", "alpha 3"])
    assert ids[0] == ids[2] != ids[1]


def test_syslog_lines_of_different_months_share_a_template() -> None:
    lines = [
        "Jun 30 22:16:32 combo sshd(pam_unix)[19439]: session opened for user test by (uid=509)",
        "Jul  1 04:05:17 combo su(pam_unix)[20298]: session opened for user cyrus by (uid=0)",
        "Jun 30 22:16:32 combo sshd(pam_unix)[19434]: session closed for user test",
        "Jul  1 04:11:36 combo su(pam_unix)[21530]: session closed for user news",
    ]
    ids, texts = mine_templates(lines)
    assert ids[0] == ids[1] != ids[2] == ids[3]
    assert texts[2] == "session closed for user <*>"


def test_hdfs_statements_are_told_apart() -> None:
    lines = [
        "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating",
        "081109 203807 222 INFO dfs.DataNode$PacketResponder: PacketResponder 0 for block blk_-6952295868487656571 terminating",
        "081109 204655 556 INFO dfs.DataNode$PacketResponder: Received block blk_3587508140051953248 of size 67108864 from /10.251.42.84",
        "081109 204722 567 INFO dfs.DataNode$PacketResponder: Received block blk_5402003568334525940 of size 67108864 from /10.251.214.112",
        "081109 205931 13 INFO dfs.DataBlockScanner: Verification succeeded for blk_-4980916519894289629",
        "081109 213436 13 INFO dfs.DataBlockScanner: Verification succeeded for blk_-2827716238972737794",
        "081109 214043 2561 WARN dfs.DataNode$DataXceiver: 10.251.30.85:50010:Got exception while serving blk_-2918118818249673980 to /10.251.90.64:",
        "081109 214402 2677 WARN dfs.DataNode$DataXceiver: 10.251.126.255:50010:Got exception while serving blk_8376667364205250596 to /10.251.91.159:",
    ]
    ids, _ = mine_templates(lines)
    assert [ids.index(x) for x in ids] == [0, 0, 2, 2, 4, 4, 6, 6]


def test_blank_lines_get_the_empty_template() -> None:
    ids, texts = mine_templates(["a b c", "", "   ", "a b c"])
    assert texts[1] == texts[2] == "" and ids[1] == ids[2] != ids[0]


def test_templates_summary_counts_every_line_once() -> None:
    names, lines = synthetic_log(300)
    templater = LogTemplater(lines)
    for line in lines:
        templater.add(line)
    summary = templater.miner.templates()
    assert sum(t.count for t in summary) == 300
    assert [t.count for t in summary] == sorted((t.count for t in summary), reverse=True)
    assert {t.template for t in summary} == set(EXPECTED.values())
    first = {t.template: t.first_line for t in summary}
    assert first[EXPECTED[names[0]]] == 1
