"""The fuzzers' time bound itself: a property that hangs on a generated case ends the test with
CaseTimeout at about twice the bound, and one merely slower than its bound fails with
Hypothesis' DeadlineExceeded — so "never hangs" is something the fuzzers check."""

from __future__ import annotations

import time

import pytest
from fuzzing import CaseTimeout, twin
from hypothesis import strategies as st
from hypothesis.errors import DeadlineExceeded


def hangs_on_seven(n: int) -> None:
    if n == 7:
        time.sleep(3600)


def slow_on_seven(n: int) -> None:
    if n == 7:
        time.sleep(0.4)        # past the bound (0.25 s; x1.25 while generating), short of a hang (0.5 s)


def test_a_hanging_case_is_interrupted_at_twice_the_bound():
    test, _ = twin(hangs_on_seven, nightly=1, fast=20, bound_s=0.25, n=st.sampled_from([1, 7]))
    t0 = time.monotonic()
    with pytest.raises(CaseTimeout, match="hangs_on_seven: a generated case still ran after 0.5 s"):
        test()
    assert time.monotonic() - t0 < 30


def test_a_case_slower_than_its_bound_fails():
    test, _ = twin(slow_on_seven, nightly=1, fast=20, bound_s=0.25, n=st.sampled_from([1, 7]))
    with pytest.raises(DeadlineExceeded):
        test()
