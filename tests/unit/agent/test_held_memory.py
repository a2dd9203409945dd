"""Memory that stepped up and held its new level (a cache warming up, a bigger working set) is
tagged `held` by the metrics scan and weighs HELD_FACTOR in the ranking; memory that kept
climbing after the onset (a leak) or fell back (a killed container) is not."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import pytest

from aiops.analytics.ranking import HELD_FACTOR
from aiops.domain import Finding

from .metric_scans import scan, tag_factor, write_bundle

T0 = 1_700_000_040
STEP = 60
N = 40
MOVE = 28
ALERT = T0 + (MOVE + 1) * STEP


def memory(root: Path, shape: str, n: int = N) -> list[Finding]:
    rng = np.random.default_rng(7)
    rows = []
    for j in range(n):
        t = T0 + j * STEP
        after = max(0, j - MOVE + 1)
        extra = {"step": 300.0 if after else 0.0,
                 "climb": 60.0 * after,
                 "killed": 300.0 if 0 < after < 6 else 0.0}[shape]
        rows.append(f"{t},container_memory_working_set_bytes,{(400.0 + extra + rng.normal(0, 4)) * 1e6:.0f},cache")
    root = write_bundle(root, rows, title="cache memory", started_at=ALERT, start=T0, end=T0 + n * STEP)
    return [f for f in scan(root)[0] if f.service == "cache" and "memory" in f.tags]


def test_a_step_that_held_is_tagged_held(tmp_path):
    step, climb, killed = (memory(tmp_path / s, s) for s in ("step", "climb", "killed"))
    assert step and climb and killed, "each memory series moved up at the onset"
    assert all("held" in f.tags for f in step)
    assert not any("held" in f.tags for f in climb + killed)


def test_two_samples_after_the_onset_tell_a_step_that_held_from_a_climb(tmp_path):
    """Data often ends a minute or two after the alert: the halves after the onset may hold one
    sample each. The later one adds nothing to a step that held, a whole step more to a climb."""
    step, climb = (memory(tmp_path / s, s, n=MOVE + 2) for s in ("step", "climb"))
    assert step and climb, "each memory series moved up at the onset"
    assert all("held" in f.tags for f in step)
    assert not any("held" in f.tags for f in climb)


def test_held_memory_weighs_less():
    rise = Finding(kind="metric", service="cache", signal="container_memory_working_set_bytes", score=0.6,
                   summary="memory +75 %", onset=float(ALERT), direction=1, magnitude=1.75, tags=("memory",))
    assert tag_factor(rise, "held", float(ALERT)) == pytest.approx(HELD_FACTOR)
