"""The p-values the trace checks rest on: calibrated under no change, small under a real one."""

from __future__ import annotations

import numpy as np
import pytest

from aiops.analytics.stattests import exceedance


def test_a_threshold_read_from_five_requests_is_no_certainty() -> None:
    """Five requests before, 148 after from the same distribution: about half the after values
    may well exceed the before's 95th percentile, which five values hardly pin down. A binomial
    tail with the threshold taken as exact called that p 1e-25."""
    rng = np.random.default_rng(7)
    before = np.array([2.0, 2.4, 2.7, 3.0, 3.1])
    after = np.r_[rng.uniform(1.5, 3.1, 78), rng.uniform(3.1, 9.0, 70)]
    assert exceedance(after, before) > 0.01


def test_under_no_change_small_p_values_are_rare_whatever_the_sample_sizes() -> None:
    rng = np.random.default_rng(11)
    for n_before, n_after in ((5, 150), (30, 30), (200, 1000)):
        ps = np.array([exceedance(rng.lognormal(size=n_after), rng.lognormal(size=n_before)) for _ in range(400)])
        assert (ps < 0.01).mean() <= 0.02, (n_before, n_after)


def test_a_share_of_requests_that_became_very_slow_is_found() -> None:
    rng = np.random.default_rng(3)
    before = rng.lognormal(size=300)
    after = np.r_[rng.lognormal(size=900), 20.0 + rng.lognormal(size=100)]
    assert exceedance(after, before) < 1e-3
    assert exceedance(after[:0], before) == 1.0


def test_binomial_upper_is_the_binomial_tail() -> None:
    from scipy.stats import binom

    from aiops.analytics.stattests import binomial_upper

    for k, n, p in ((0, 5, 0.3), (2, 4, 0.028), (7, 10, 0.02), (10, 10, 0.5), (3, 40, 0.1)):
        assert binomial_upper(k, n, p) == pytest.approx(float(binom.sf(k - 1, n, p)), rel=1e-9)
