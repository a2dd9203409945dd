"""Evidence that agrees with its own label, over a simulator corpus: a suspect named after a
resource running out (CPU saturation, a memory leak, a full disk, an exhausted pool) is backed
by that resource's strongest series moving the way pressure moves it (usage up, free space
down), and every fault name comes from the shared vocabulary (the domain's fault kinds and
the playbooks'), never from the simulator's scenario names."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest

from aiops.agent.events import Answer
from aiops.agent.session import diagnose
from aiops.analytics.signals import signal_class
from aiops.analytics.units import pressure_sign
from aiops.config import load_settings
from aiops.domain import FaultKind
from aiops.simulator import FAULT_KINDS
from aiops.simulator.bundle import generate_corpus

PLAYBOOKS = Path(__file__).resolve().parents[3] / "playbooks"
FAULT_CLASS = {"cpu_saturation": "cpu", "memory_leak": "memory", "disk_pressure": "disk", "disk_full": "disk",
               "resource_exhaustion": "pool", "connection_pool_exhaustion": "pool"}
_SIGN = re.compile(r"\(([+-])\d+ %")


def _direction(summary: str) -> int:
    m = _SIGN.search(summary)
    if m:
        return 1 if m.group(1) == "+" else -1
    return 1 if " up " in summary or "(up," in summary else -1 if " down " in summary or "(down," in summary else 0


def _vocabulary() -> set[str]:
    names = set(typing.get_args(FaultKind))
    for p in PLAYBOOKS.glob("*.yaml"):
        m = re.search(r"^fault:\s*(\S+)", p.read_text(), re.M)
        if m:
            names.add(m.group(1))
    return names


@pytest.fixture(scope="module")
def answers(tmp_path_factory) -> list[Answer]:
    corpus = tmp_path_factory.mktemp("corpus")
    generate_corpus(corpus, len(FAULT_KINDS), seed=44)
    settings = load_settings(None, env={})
    out = []
    for case in sorted(p for p in corpus.iterdir() if p.is_dir()):
        out.append(list(diagnose(case, settings))[-1])
    return out


def test_fault_names_come_from_the_shared_vocabulary(answers) -> None:
    words = _vocabulary()
    assert {"latency_injection", "packet_loss"}.isdisjoint(words)      # scenario names of the simulator
    for answer in answers:
        assert isinstance(answer, Answer)
        for rc in answer.diagnosis.root_causes:
            assert rc.fault in words, (rc.service, rc.fault)


def test_a_resource_fault_is_backed_by_its_resource_moving_the_way_pressure_moves_it(answers) -> None:
    checked = 0
    for answer in answers:
        for rc in answer.diagnosis.root_causes:
            cls = FAULT_CLASS.get(rc.fault)
            lines = [e for e in rc.evidence if e.kind == "metric" and cls
                     and signal_class(e.summary.split()[0]) == cls]
            if not lines:
                continue
            metric = lines[0].summary.split()[0]
            assert _direction(lines[0].summary) * pressure_sign(metric) == 1, (rc.service, rc.fault, lines[0].summary)
            checked += 1
    assert checked >= 3        # the corpus has CPU, memory, disk and pool faults
