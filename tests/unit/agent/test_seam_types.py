"""The closed vocabularies at the seams are what the code produces: every fault the ranker
names is a FaultKind (and has a remediation line), every reasoner fills the protocol."""

from __future__ import annotations

from typing import get_args

from aiops.agent.answer import REMEDIATION
from aiops.agent.reasoners.base import Decision, Reasoner
from aiops.agent.reasoners.offline import OfflineReasoner
from aiops.analytics.signals import FAULT_OF_CLASS
from aiops.analytics.weighing import _LOG_FAULTS
from aiops.domain import FaultKind
from aiops.tooling import default_registry

FAULTS = set(get_args(FaultKind))


def test_every_fault_the_ranker_can_name_is_a_fault_kind(state):
    assert set(FAULT_OF_CLASS.values()) | {fault for _, fault in _LOG_FAULTS} <= FAULTS
    assert set(REMEDIATION) <= FAULTS
    state.findings.extend(_demo_findings(state))
    assert {c.fault for c in state.rank()} <= FAULTS


def test_the_offline_reasoner_fills_the_reasoner_protocol(settings, state):
    reasoner: Reasoner = OfflineReasoner(default_registry(settings), [])
    assert (reasoner.label, reasoner.gateway, reasoner.prompt_versions) == ("offline", None, {})
    assert reasoner.usage.llm_calls == 0
    verdict = reasoner.reflect(state, 1, must_answer=True)
    assert verdict.decision in get_args(Decision)


def _demo_findings(state):
    from aiops.tooling.scans import SCANS

    ctx = state.context()
    return [f for _, _, _, scan in SCANS for f in scan(ctx, {}).findings]
