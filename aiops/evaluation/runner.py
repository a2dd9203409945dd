"""Run the diagnosis over a suite of evaluation bundles and score it.

A suite is one or more directories of bundles that hold a truth.toml; each case carries the
tags of its truth.toml. Scores: top-1/3/5 accuracy, seconds, tokens and cost per case,
grouped by fault kind, by tag and by the prompt versions the run used.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from aiops.config import Settings
from aiops.errors import AiopsError, BadInputError, one_line
from aiops.evaluation.baselines import BASELINES, baseline_scores
from aiops.evaluation.truth import Truth, read_truth

if TYPE_CHECKING:
    from aiops.agent.session import Session

UNTAGGED = "(untagged)"
OFFLINE = "(no prompts: offline)"


def prompt_label(versions: dict[str, str]) -> str:
    """The prompt set a run used, named like [prompts] version names it: "v3" = each prompt's
    newest version <= v3, i.e. the highest version among them; OFFLINE when none."""
    if not versions:
        return OFFLINE
    return max(versions.values(), key=lambda v: int(v[1:]) if v[1:].isdigit() else -1)


@dataclass(frozen=True)
class CaseResult:
    name: str
    kind: str
    truth: tuple[str, ...]
    ranked: tuple[str, ...]
    rank: int | None            # 1-based rank of the first true service, None if absent
    seconds: float
    error: str = ""
    tags: tuple[str, ...] = ()
    prompts: str = OFFLINE
    llm_calls: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    reasoner: str = ""           # who answered: offline, llm:<model>, or offline having taken over
    # trivial ranking -> expected (top-1, top-3, top-5) hit on this case (aiops.evaluation.baselines)
    baselines: dict[str, tuple[float, float, float]] = field(default_factory=dict)

    def hit(self, k: int) -> bool:
        return self.rank is not None and self.rank <= k


def _stats(cases: list[CaseResult]) -> dict[str, Any]:
    n = len(cases)

    def acc(k: int) -> float:
        return sum(c.hit(k) for c in cases) / n if n else 0.0

    return {"cases": n, "top1": acc(1), "top3": acc(3), "top5": acc(5),
            "mean_seconds": sum(c.seconds for c in cases) / n if n else 0.0,
            "tokens_per_case": sum(c.tokens for c in cases) / n if n else 0.0,
            "cost_usd_per_case": sum(c.cost_usd for c in cases) / n if n else 0.0,
            "errors": sum(1 for c in cases if c.error),
            "baselines": baseline_stats(cases)}


def baseline_stats(cases: list[CaseResult]) -> dict[str, dict[str, float]]:
    """Mean expected top-1/3/5 of every trivial ranking over `cases` (cases without it count 0)."""
    n = len(cases)
    names = [b for b in BASELINES if any(b in c.baselines for c in cases)]
    return {b: {f"top{k}": sum(c.baselines.get(b, (0.0, 0.0, 0.0))[i] for c in cases) / n
                for i, k in enumerate((1, 3, 5))} for b in names} if n else {}


def best_baseline(stats: dict[str, Any], k: int = 1) -> tuple[str, float]:
    """The trivial ranking with the best top-k in `stats` (from _stats), and that figure."""
    base = stats.get("baselines") or {}
    if not base:
        return "", 0.0
    name = max(base, key=lambda b: (base[b][f"top{k}"], b))
    return name, base[name][f"top{k}"]


GROUPINGS: dict[str, Callable[[CaseResult], Iterable[str]]] = {
    "kind": lambda c: [c.kind],
    "tag": lambda c: c.tags or [UNTAGGED],
    "prompt": lambda c: [c.prompts],
}


@dataclass
class EvalReport:
    cases: list[CaseResult] = field(default_factory=list)

    def accuracy(self, k: int, kind: str | None = None) -> float:
        sel = [c for c in self.cases if kind is None or c.kind == kind]
        return sum(c.hit(k) for c in sel) / len(sel) if sel else 0.0

    def groups(self, by: str) -> dict[str, list[CaseResult]]:
        out: dict[str, list[CaseResult]] = defaultdict(list)
        for c in self.cases:
            for label in GROUPINGS[by](c):
                out[label].append(c)
        return dict(sorted(out.items()))

    def by_kind(self) -> dict[str, list[CaseResult]]:
        return self.groups("kind")

    def stats(self, cases: list[CaseResult] | None = None) -> dict[str, Any]:
        return _stats(self.cases if cases is None else cases)

    def as_dict(self) -> dict[str, Any]:
        return self.stats() | {
            f"by_{by}": {label: _stats(cases) for label, cases in self.groups(by).items()} for by in GROUPINGS
        } | {"results": [c.__dict__ | {"truth": list(c.truth), "ranked": list(c.ranked[:5]), "tags": list(c.tags)}
                         for c in self.cases]}


def find_cases(corpus: Path) -> list[Path]:
    """Bundle directories with a truth.toml below `corpus` (hidden directories skipped: a case
    being written lives in one until it is whole)."""
    corpus = Path(corpus)
    if not corpus.is_dir():
        raise BadInputError(f"{corpus}: corpus directory does not exist")
    cases = sorted({p.parent for p in corpus.rglob("truth.toml")
                    if not any(part.startswith(".") for part in p.parent.relative_to(corpus).parts)})
    if not cases:
        raise BadInputError(f"{corpus}: no bundle with a truth.toml below it")
    return cases


def evaluate_case(bundle: Path, truth: Truth, settings: Settings, session: Session | None = None,
                  **options: Any) -> CaseResult:
    """One diagnosis of `bundle` scored against `truth`, in `session` (else one made with
    `options`: gateway=, ...)."""
    from aiops.agent.events import Answer
    from aiops.agent.session import Session

    baselines = _baselines(bundle, truth, settings)
    t0 = time.perf_counter()
    ranked: tuple[str, ...] = ()
    error = ""
    diagnosis = None
    try:
        for event in (session or Session(settings, **options)).diagnose_bundle(bundle):
            if isinstance(event, Answer):
                diagnosis = event.diagnosis
                ranked = tuple(rc.service for rc in diagnosis.root_causes)
    except AiopsError as exc:
        error = one_line(exc)
    rank = next((i + 1 for i, s in enumerate(ranked) if s in truth.services), None)
    usage = diagnosis.usage if diagnosis is not None else None
    return CaseResult(bundle.name, truth.kind, truth.services, ranked, rank, time.perf_counter() - t0, error,
                      tags=truth.tags, prompts=prompt_label(dict(diagnosis.prompt_versions)) if diagnosis else OFFLINE,
                      llm_calls=usage.llm_calls if usage else 0,
                      tokens=usage.prompt_tokens + usage.completion_tokens if usage else 0,
                      cost_usd=float(usage.cost_usd) if usage else 0.0,
                      reasoner=diagnosis.reasoner if diagnosis is not None else "", baselines=baselines)


def _baselines(bundle: Path, truth: Truth, settings: Settings) -> dict[str, tuple[float, float, float]]:
    """Expected top-1/3/5 hits of the trivial rankings on this bundle ({} when it does not load:
    the diagnosis reports that error itself)."""
    from aiops.telemetry.bundle import load_bundle
    from aiops.telemetry.limits import BundleLimits

    try:
        loaded = load_bundle(bundle, limits=BundleLimits.from_settings(settings))
    except AiopsError:
        return {}
    try:
        scores = baseline_scores(loaded.store, loaded.incident)
    finally:
        loaded.store.close()
    return {b: tuple(scores.hit(b, truth.services, k) for k in (1, 3, 5)) for b in BASELINES}  # type: ignore[misc]


def run_eval(corpus: Path | list[Path], settings: Settings, **options: Any) -> Iterator[CaseResult]:
    """Every case of the suite (one directory or several), in order."""
    from aiops.agent.session import Session

    corpora = [corpus] if isinstance(corpus, (str, Path)) else list(corpus)
    bundles = [b for c in corpora for b in find_cases(Path(c))]
    session = Session(settings, **options)
    for bundle in bundles:
        truth = read_truth(bundle)
        assert truth is not None
        yield evaluate_case(bundle, truth, settings, session)
