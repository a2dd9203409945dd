"""A CPU move is news by its size where the change test measured it, not only by its certainty:
+15 % of a near-idle container's CPU is beyond doubt on a steady series and slows nothing down;
a hog's 5x rise and a leak's collector bursts (CPU up in a fifth of the samples, medians
unchanged) keep their score."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from aiops.domain import Finding

from .metric_scans import scan, write_bundle

T0 = 1_700_000_040
STEP = 60
N = 40
MOVE = 28
ALERT = T0 + (MOVE + 1) * STEP


def cpu(root: Path, shape: str) -> float:
    rng = np.random.default_rng(11)
    rows = []
    for j in range(N):
        after = j >= MOVE
        level = {"slight": 0.0257 * (1.15 if after else 1.0),
                 "hog": 0.0257 * (5.0 if after else 1.0),
                 "bursts": 0.0257 * (4.0 if after and j % 5 == 0 else 1.0)}[shape]
        rows.append(f"{T0 + j * STEP},cpu_usage_cores,{level * (1 + rng.normal(0, 0.001)):.6f},svc")
    root = write_bundle(root, rows, title="svc cpu", started_at=ALERT, start=T0, end=T0 + N * STEP)
    found: list[Finding] = [f for f in scan(root)[0] if f.service == "svc" and "cpu" in f.tags]
    return max((f.score for f in found), default=0.0)


def test_a_slight_cpu_move_scores_by_its_size_and_a_hog_or_bursts_do_not_lose(tmp_path):
    slight, hog, bursts = (cpu(tmp_path / s, s) for s in ("slight", "hog", "bursts"))
    assert hog > 0.5 and bursts > 0.3
    assert 0.0 < slight < 0.1 * hog        # about 0.2 by its certainty alone
