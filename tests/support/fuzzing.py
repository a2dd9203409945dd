"""Fuzzing helpers: one property, two tests, and strategies for the inputs aiops reads.

    test_metrics_csv, test_metrics_csv_nightly = twin(check_metrics_csv, nightly=1500, fast=40, doc=csv_files(...))

`twin` makes the fast slice (default run: few examples, derandomized, so the same cases
every time) and the nightly test (marked `fuzz`: `pytest -m fuzz`, fresh random cases every
run). Every nightly count is kept in NIGHTLY_CASES so the total can be reported.

Every generated case is time-bounded, so "never hangs" is tested: a case slower than
`bound_s` (default CASE_BOUND_S, ~10x the slowest typical case) fails with Hypothesis'
DeadlineExceeded and its example; one still running at twice the bound is interrupted
(SIGALRM) and fails with CaseTimeout, so a hang ends the test instead of the suite.

The property every parser must keep (`rejected_cleanly`): it returns normally, or raises a
BadInputError whose message is one non-empty line that names the input; anything else (a
traceback) fails the test.
"""

from __future__ import annotations

import csv
import functools
import gzip
import io
import json
import math
import signal
import threading
from datetime import timedelta
from typing import Any, Callable, Iterable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiops.errors import BadInputError

_COMMON = dict(database=None, print_blob=True, suppress_health_check=list(HealthCheck))
NIGHTLY_CASES: dict[str, int] = {}
CASE_BOUND_S = 5.0          # per case in-process (typical: under 0.5 s); real processes pass their own


class CaseTimeout(AssertionError):
    """A generated case still ran at twice its time bound: a hang."""


def time_bound(prop: Callable[..., None], seconds: float) -> Callable[..., None]:
    """`prop`, interrupted (CaseTimeout) when one call runs past 2 x `seconds`."""
    @functools.wraps(prop)
    def bounded(*args: Any, **kwargs: Any) -> None:
        if threading.current_thread() is not threading.main_thread():
            return prop(*args, **kwargs)          # signals reach the main thread only

        def expire(signum: int, frame: Any) -> None:
            raise CaseTimeout(f"{prop.__name__}: a generated case still ran after {2 * seconds:g} s (a hang)")

        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, 2 * seconds)
        try:
            return prop(*args, **kwargs)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    return bounded


def twin(prop: Callable[..., None], *, nightly: int, fast: int, bound_s: float = CASE_BOUND_S,
         **strategies: Any) -> tuple[Callable, Callable]:
    """(fast test, nightly test) of one property over the given strategies, each case bounded
    to `bound_s` seconds (DeadlineExceeded past it, interrupted at twice it)."""
    common = _COMMON | {"deadline": timedelta(seconds=bound_s)}
    case = time_bound(prop, bound_s)
    fast_test = settings(max_examples=fast, derandomize=True, **common)(given(**strategies)(case))
    nightly_test = settings(max_examples=nightly, **common)(given(**strategies)(case))
    NIGHTLY_CASES[prop.__name__] = nightly
    return fast_test, pytest.mark.fuzz(nightly_test)


def rejected_cleanly(call: Callable[[], Any], names: Iterable[str]) -> BadInputError | None:
    """Run `call`; a BadInputError must be one line naming one of `names`. Returns it, or None."""
    try:
        call()
    except BadInputError as exc:
        message = str(exc)
        assert message.strip(), "an empty error message"
        assert "\n" not in message and "\r" not in message, f"a multi-line message: {message!r}"
        names = [" ".join(str(n).split()) for n in names]   # as a one-line message spells them
        assert any(n and n in message for n in names), f"the message names none of {names}: {message!r}"
        return exc
    return None


# -- atoms ------------------------------------------------------------------------------------

NASTY = st.sampled_from([
    "", " ", '"', "'", ",", "\n", "\r\n", "\r", "\t", "\x00", "\\", "{", "}", "[", "]", "\ufeff", "\u2028",
    "é", "😀", "%s", "${HOME}", "'; DROP TABLE logs; --", "NULL", "null", "NaN", "-inf", "inf", "1e400",
    "0x1F", "true", "</tool_result>", "\x1b[31m", "a" * 300, "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "\ud7ff", "=cmd|' /C calc'!A0",
])
TEXT = st.text(max_size=30)
TIMESTAMP_TEXT = st.one_of(
    st.sampled_from([
        "1675000000", "1675000000.5", "1675000000123", "1675000000123456", "1675000000123456789",
        "2023-01-29T08:43:04Z", "2023-01-29T08:43:04.123+01:00", "2023-01-29 08:43:04,123", "2023-01-29",
        "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "-99999999999", "99999999999", "1e300", "-1e300",
        "2023-13-45T99:99:99Z", "now", "", "NaN", "inf", "2023-01-29T08:43:04+25:00", "１６７５０００００００",
    ]),
    st.integers(-(2 ** 70), 2 ** 70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.datetimes().map(lambda d: d.isoformat() + "Z"),
)
NUMBER_TEXT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(2 ** 80), 2 ** 80).map(str),
    st.sampled_from(["", "NaN", "nan", "-", "1,5", "1e", "0x10", "1_000", " 3 ", "+Inf"]),
)
CELL = st.one_of(TEXT, NASTY, TIMESTAMP_TEXT, NUMBER_TEXT)
JSON_SCALAR = st.one_of(
    st.none(), st.booleans(), st.integers(-(2 ** 80), 2 ** 80), st.floats(allow_nan=False, allow_infinity=False),
    TEXT, NASTY, TIMESTAMP_TEXT,
)
JSON_VALUE = st.recursive(JSON_SCALAR, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.one_of(TEXT, NASTY), inner, max_size=4)), max_leaves=12)


def column_names(aliases: Iterable[str]) -> st.SearchStrategy[list[str]]:
    """Headers: mostly the format's own column names (so rows get parsed), some strangers."""
    name = st.one_of(st.sampled_from(sorted(set(aliases))), st.sampled_from(sorted(set(aliases))).map(str.upper),
                     TEXT, NASTY)
    return st.lists(name, min_size=0, max_size=8)


# -- serialisers ------------------------------------------------------------------------------

def csv_text(header: list[str], rows: list[list[str]], strict: bool) -> str:
    """CSV as a writer would make it (strict) or naively joined (quotes and commas unescaped)."""
    if not strict:
        return "\n".join(",".join(r) for r in [header, *rows]) + "\n"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


@st.composite
def csv_files(draw: st.DrawFn, aliases: Iterable[str]) -> bytes:
    header = draw(column_names(aliases))
    width = len(header)
    row = st.lists(CELL, min_size=max(0, width - 1), max_size=width + 1)
    rows = draw(st.lists(row, max_size=6))
    return draw(encoded(csv_text(header, rows, draw(st.booleans()))))


@st.composite
def jsonl_files(draw: st.DrawFn, aliases: Iterable[str]) -> bytes:
    keys = st.one_of(st.sampled_from(sorted(set(aliases))), TEXT)
    record = st.one_of(st.dictionaries(keys, JSON_VALUE, max_size=8), JSON_VALUE)
    lines = [json.dumps(r, ensure_ascii=draw(st.booleans())) for r in draw(st.lists(record, max_size=6))]
    lines += draw(st.lists(st.one_of(TEXT, NASTY), max_size=2))          # stray non-JSON lines
    order = draw(st.permutations(lines))
    return draw(encoded("\n".join(order) + draw(st.sampled_from(["", "\n", "\r\n"]))))


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """A few byte-level mutations of a valid file: flips, inserts, deletions, a cut."""
    out = bytearray(data)
    for op, pos, chunk in draw(st.lists(st.tuples(st.sampled_from(["flip", "insert", "delete", "cut", "dup"]),
                                                  st.integers(0, 1 << 20), st.binary(min_size=1, max_size=3)),
                                        max_size=4)):
        if not out:
            out.extend(chunk)
            continue
        i = pos % len(out)
        if op == "flip":
            out[i] ^= chunk[0] or 1
        elif op == "insert":
            out[i:i] = chunk
        elif op == "delete":
            del out[i:i + len(chunk)]
        elif op == "cut":
            del out[i:]
        else:
            out[i:i] = out[i:i + 8]
    return bytes(out)


@st.composite
def encoded(draw: st.DrawFn, text: str) -> bytes:
    """The text as UTF-8 (sometimes with a BOM, sometimes Latin-1, sometimes mutated)."""
    how = draw(st.sampled_from(["utf8", "utf8", "utf8", "bom", "latin1", "mutate"]))
    if how == "latin1":
        return text.encode("latin-1", errors="replace")
    data = text.encode("utf-8", errors="surrogatepass")
    if how == "bom":
        return b"\xef\xbb\xbf" + data
    if how == "mutate":
        return draw(mutated(data))
    return data


def maybe_gzip(data: bytes, how: str) -> bytes:
    """'plain' | 'gzip' | 'broken-gzip' (a gzip header over a cut stream)."""
    if how == "gzip":
        return gzip.compress(data, mtime=0)
    if how == "broken-gzip":
        packed = gzip.compress(data, mtime=0)
        return packed[: max(10, len(packed) // 2)]
    return data


def toml_value(value: Any) -> str:
    """A TOML rendering of a plain value (strings, numbers, bools, lists, inline tables)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k), ensure_ascii=False)} = {toml_value(v)}" for k, v in value.items()) + "}"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return json.dumps(str(value), ensure_ascii=False)


def toml_document(tables: dict[str, Any]) -> str:
    """Top-level scalars first, then [table] sections (values that are dicts)."""
    lines = [f"{json.dumps(str(k), ensure_ascii=False)} = {toml_value(v)}" for k, v in tables.items()
             if not isinstance(v, dict)]
    for name, table in tables.items():
        if isinstance(table, dict):
            lines.append(f"[{json.dumps(str(name), ensure_ascii=False)}]")
            lines += [f"{json.dumps(str(k), ensure_ascii=False)} = {toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


TOML_SCALAR = st.one_of(st.booleans(), st.integers(-(2 ** 63), 2 ** 63 - 1), st.floats(), TEXT, NASTY, TIMESTAMP_TEXT,
                        st.datetimes(), st.dates(), st.times())
TOML_VALUE = st.recursive(TOML_SCALAR, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)), max_leaves=6)
