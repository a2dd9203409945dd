"""Run the diagnosis over a corpus of evaluation bundles and score top-k accuracy."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from aiops.config import Settings
from aiops.errors import AiopsError, BadInputError, one_line
from aiops.evaluation.truth import Truth, read_truth


@dataclass(frozen=True)
class CaseResult:
    name: str
    kind: str
    truth: tuple[str, ...]
    ranked: tuple[str, ...]
    rank: int | None            # 1-based rank of the first true service, None if absent
    seconds: float
    error: str = ""

    def hit(self, k: int) -> bool:
        return self.rank is not None and self.rank <= k


@dataclass
class EvalReport:
    cases: list[CaseResult] = field(default_factory=list)

    def accuracy(self, k: int, kind: str | None = None) -> float:
        sel = [c for c in self.cases if kind is None or c.kind == kind]
        return sum(c.hit(k) for c in sel) / len(sel) if sel else 0.0

    def by_kind(self) -> dict[str, list[CaseResult]]:
        groups: dict[str, list[CaseResult]] = defaultdict(list)
        for c in self.cases:
            groups[c.kind].append(c)
        return dict(sorted(groups.items()))

    def as_dict(self) -> dict:
        return {
            "cases": len(self.cases),
            "top1": self.accuracy(1), "top3": self.accuracy(3), "top5": self.accuracy(5),
            "mean_seconds": sum(c.seconds for c in self.cases) / len(self.cases) if self.cases else 0.0,
            "by_kind": {k: {"cases": len(v), "top1": self.accuracy(1, k), "top3": self.accuracy(3, k),
                            "top5": self.accuracy(5, k)} for k, v in self.by_kind().items()},
            "results": [c.__dict__ | {"truth": list(c.truth), "ranked": list(c.ranked[:5])} for c in self.cases],
        }


def find_cases(corpus: Path) -> list[Path]:
    corpus = Path(corpus)
    if not corpus.is_dir():
        raise BadInputError(f"{corpus}: corpus directory does not exist")
    cases = sorted({p.parent for p in corpus.rglob("truth.toml")})
    if not cases:
        raise BadInputError(f"{corpus}: no bundle with a truth.toml below it")
    return cases


def evaluate_case(bundle: Path, truth: Truth, settings: Settings) -> CaseResult:
    from aiops.agent.events import Answer
    from aiops.agent.pipeline import diagnose

    t0 = time.perf_counter()
    ranked: tuple[str, ...] = ()
    error = ""
    try:
        for event in diagnose(bundle, settings):
            if isinstance(event, Answer):
                ranked = tuple(rc.service for rc in event.diagnosis.root_causes)
    except AiopsError as exc:
        error = one_line(exc)
    rank = next((i + 1 for i, s in enumerate(ranked) if s in truth.services), None)
    return CaseResult(bundle.name, truth.kind, truth.services, ranked, rank, time.perf_counter() - t0, error)


def run_eval(corpus: Path, settings: Settings) -> Iterator[CaseResult]:
    for bundle in find_cases(corpus):
        truth = read_truth(bundle)
        assert truth is not None
        yield evaluate_case(bundle, truth, settings)
