"""Masking: each kind of variable token becomes <*>, constant words stay."""

from __future__ import annotations

import pytest

from aiops.analytics.logmasking import TokenMasker, mask_line


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("connected to 10.0.3.7 ok", "connected to <*> ok"),
        ("connected to 10.0.3.7:5432 ok", "connected to <*> ok"),
        ("listening on 2001:db8::8a2e:370:7334 now", "listening on <*> now"),
        ("listening on fe80::1%eth0 now", "listening on <*> now"),
        ("bound [::1]:8080", "bound [<*>]:<*>"),
        ("order 4bf92f35-77b3-4da6-a3ce-929d0e0e4736 paid", "order <*> paid"),
        ("commit a3f9c2d1e8b7 pushed", "commit <*> pushed"),
        ("pointer 0x7ffe12ab freed", "pointer <*> freed"),
        ("nic 00:1a:2b:3c:4d:5e up", "nic <*> up"),
        ("retry 3 of 5", "retry <*> of <*>"),
        ("ratio -0.25 and 1.5e3", "ratio <*> and <*>"),
        ("took 12ms", "took <*>"),
        ("took 1.5s then 1h30m", "took <*> then <*>"),
        ("took 250 ms", "took <*> <*>"),  # token by token: a unit after a value is part of it
        ("read 512 KiB, wrote 3 MB.", "read <*> <*>, wrote <*> <*>."),
        ("opened /var/log/app.log", "opened <*>"),
        ("opened ./conf/x.yaml", "opened <*>"),
        ("GET https://shop.example.com/a/b?x=1 done", "GET <*> done"),
        ("mail to ops@example.com sent", "mail to <*> sent"),
        ("id=42 from=10.0.0.1:80 at=0x1f", "id=<*> from=<*> at=<*>"),
        ("at Sat Jul  9 12:16:49 2005 done", "at <*> <*> <*> <*> <*> done"),  # a date's words go with it
        ('key="session:49756" hit', "key=<*> hit"),
        ("unknown user 'bob' rejected", "unknown user <*> rejected"),
        ('unknown user "bob" rejected', "unknown user <*> rejected"),
        ("at 2023-01-29T08:43:04.123Z started", "at <*> started"),
        ("at 08:43:04 started", "at <*> started"),
    ],
)
def test_variable_tokens_are_masked(line: str, expected: str) -> None:
    assert " ".join(TokenMasker()(line)) == expected


@pytest.mark.parametrize(
    "line",
    [
        "read/write N/A",                  # slashes inside words are not paths
        "can't open, don't retry",         # apostrophes are not quotes
        "Foo::bar called",                 # C++ scope is not IPv6
        "sha256 log4j v2",                 # words containing digits stay
        "payment service unavailable",
        "user=alice state=open",           # a word after `=` is left to the miner
    ],
)
def test_constant_text_is_kept(line: str) -> None:
    assert " ".join(TokenMasker()(line)) == line


def test_json_keys_and_multiword_values_stay_single_word_values_go() -> None:
    line = '{"level":"info","msg":"user logged in","user":"alice"}'
    assert mask_line(line) == '{"level":<*>,"msg":"user logged in","user":<*>}'


def test_leading_timestamp_header_is_masked_in_every_common_format() -> None:
    masker = TokenMasker()
    assert masker("2023-01-29T08:43:04Z ERROR boom")[0] == "<*>"
    assert masker("2023-01-29 08:43:04,123 ERROR boom")[:3] == ["<*>", "<*>", "ERROR"]
    assert masker("[29/Jan/2023:08:43:04 +0000] boom")[:2] == ["[<*>", "<*>]"]


def test_memo_gives_the_same_answer_as_the_first_pass() -> None:
    masker = TokenMasker(memo_size=2)
    first = [masker(f"req {i} from 10.0.0.{i % 3} ok") for i in range(10)]
    assert all(tokens == ["req", "<*>", "from", "<*>", "ok"] for tokens in first)
