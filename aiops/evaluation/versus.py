"""A model against the offline reasoner on the same corpus: `aiops eval --reasoner llm`.

Every case is diagnosed twice, offline and with the configured model, so a model's value is
measured where it has to earn it: accuracy, wall time, model calls, tokens and cost per case,
and how often the offline reasoner had to take over from the model (a failed call, an answer
that did not fit the schema twice, a budget).

    for pair in run_versus(corpora, settings):   # in corpus order
        pair.offline, pair.llm                   # aiops.evaluation.runner.CaseResult
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from aiops.config import Settings
from aiops.evaluation.runner import CaseResult, EvalReport, evaluate_case, find_cases
from aiops.evaluation.truth import read_truth

TOOK_OVER = "took over"      # in a reasoner label: the offline reasoner finished a failed model's run


@dataclass(frozen=True)
class PairedCase:
    offline: CaseResult
    llm: CaseResult

    @property
    def name(self) -> str:
        return self.offline.name

    @property
    def took_over(self) -> bool:
        return TOOK_OVER in self.llm.reasoner


def _with_reasoner(settings: Settings, reasoner: str) -> Settings:
    out = copy.deepcopy(settings)
    out.diagnose.reasoner = reasoner
    return out


def run_versus(corpus: Path | list[Path], settings: Settings, **options: Any) -> Iterator[PairedCase]:
    """Each case diagnosed offline and by the model (`options` configure the model's
    Session: gateway=, ...); the model's settings are `settings` with reasoner = llm."""
    from aiops.agent.session import Session

    corpora = [corpus] if isinstance(corpus, (str, Path)) else list(corpus)
    bundles = [b for c in corpora for b in find_cases(Path(c))]
    offline = _with_reasoner(settings, "offline")
    model = _with_reasoner(settings, "llm")
    offline_session, model_session = Session(offline), Session(model, **options)
    for bundle in bundles:
        truth = read_truth(bundle)
        assert truth is not None
        yield PairedCase(evaluate_case(bundle, truth, offline, offline_session),
                         evaluate_case(bundle, truth, model, model_session))


def versus_dict(pairs: list[PairedCase]) -> dict[str, Any]:
    """Both reports' figures, and one row a case with both results."""
    offline, llm = EvalReport([p.offline for p in pairs]), EvalReport([p.llm for p in pairs])

    def side(c: CaseResult) -> dict[str, Any]:
        return {"rank": c.rank, "seconds": round(c.seconds, 3), "llm_calls": c.llm_calls, "tokens": c.tokens,
                "cost_usd": round(c.cost_usd, 6), "reasoner": c.reasoner, "error": c.error}

    return {"offline": offline.stats(), "llm": llm.stats(),
            "llm_took_over": sum(p.took_over for p in pairs),
            "cases": [{"name": p.name, "kind": p.offline.kind, "truth": list(p.offline.truth),
                       "offline": side(p.offline), "llm": side(p.llm)} for p in pairs]}
