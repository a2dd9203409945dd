"""Gauges of the realistic profile average over the scrape interval: the first scrapes of an
export average over the steps there are, never a partial sum (which made every service's CPU
and network jump at the start of every case)."""

from __future__ import annotations

import numpy as np

from aiops.simulator.realistic.metrics import _window_mean


def test_a_steady_signal_is_steady_from_the_first_scrape() -> None:
    x = np.full((2, 12), 3.0)
    assert np.allclose(_window_mean(x, 6), 3.0)


def test_the_window_mean_is_the_mean_of_the_last_r_steps() -> None:
    x = np.arange(10.0)
    got = _window_mean(x, 3)
    assert got[0] == 0.0 and got[1] == 0.5 and np.allclose(got[2:], [(k - 1.0) for k in range(2, 10)])
