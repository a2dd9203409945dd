"""`aiops eval --compare v2 v3`: the same suite with each prompt version forced, side by side.

Each version runs the whole suite with `[prompts] version` pinned to it and the canary off.
Only the LLM reasoner has prompts. The better version is the one with the higher top-1
accuracy, then top-3, then fewer tokens per case, then less time per case; the report also
counts the cases one version got right at top-1 and the other did not, since on a small
suite one case is a large share.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiops.config import Settings
from aiops.errors import BadInputError
from aiops.evaluation.runner import EvalReport, run_eval


@dataclass
class Comparison:
    versions: list[str]
    reports: dict[str, EvalReport]
    better: str | None             # None: a tie on every measure
    reason: str
    only_right: dict[str, list[str]]   # version -> cases it got right at top-1 and the other did not

    def as_dict(self) -> dict[str, Any]:
        return {"versions": self.versions, "better": self.better, "reason": self.reason,
                "only_right_top1": self.only_right,
                "reports": {v: r.as_dict() for v, r in self.reports.items()}}


def settings_for(settings: Settings, version: str) -> Settings:
    forced = copy.deepcopy(settings)
    forced.prompts.version = version
    forced.prompts.canary = dict(forced.prompts.canary) | {"percent": 0.0}
    forced.gateway.cache_enabled = False        # a cached reply would hide the version's cost and latency
    return forced


def check_can_compare(settings: Settings, versions: list[str], has_gateway: bool) -> None:
    from aiops.agent.prompt_rollout import prompt_store

    if len(versions) != 2 or versions[0] == versions[1]:
        raise BadInputError(f"--compare needs two different prompt versions, got {' '.join(versions)}")
    for v in versions:
        if not (v[:1] == "v" and v[1:].isdigit()):
            raise BadInputError(f"--compare {v}: not a prompt version (use e.g. v2 v3)")
    if settings.diagnose.reasoner == "offline" or (not settings.models.planner and not has_gateway):
        raise BadInputError("--compare needs the LLM reasoner (the offline reasoner has no prompts): "
                            "set models.planner, e.g. --model openai/gpt-4o-mini")
    store = prompt_store(settings)
    for v in versions:
        if not any(v in store.versions(n) for n in store.names()):
            known = "; ".join(f"{n}: {', '.join(store.versions(n))}" for n in store.names())
            raise BadInputError(f"--compare {v}: no prompt has a {v}.md file ({known})")


def _key(report: EvalReport) -> tuple[float, ...]:
    s = report.stats()
    return (s["top1"], s["top3"], -s["tokens_per_case"], -s["mean_seconds"])


_MEASURES = ("top-1 accuracy", "top-3 accuracy", "tokens per case", "seconds per case")


def decide(versions: list[str], reports: dict[str, EvalReport]) -> tuple[str | None, str]:
    a, b = versions
    ka, kb = _key(reports[a]), _key(reports[b])
    for i, name in enumerate(_MEASURES):
        if i < 3 and abs(ka[i] - kb[i]) < 1e-9:
            continue
        if i == 3 and abs(ka[i] - kb[i]) < 0.05 * max(abs(ka[i]), abs(kb[i]), 1e-9):
            break                  # within 5 %: timing noise, not a difference
        win, lose = (a, b) if ka[i] > kb[i] else (b, a)
        sw, sl = reports[win].stats(), reports[lose].stats()
        detail = {0: f"{sw['top1']:.0%} vs {sl['top1']:.0%}", 1: f"{sw['top3']:.0%} vs {sl['top3']:.0%}",
                  2: f"{sw['tokens_per_case']:.0f} vs {sl['tokens_per_case']:.0f}",
                  3: f"{sw['mean_seconds']:.2f} s vs {sl['mean_seconds']:.2f} s"}[i]
        prefix = "" if i == 0 else "same accuracy above; "
        return win, f"{prefix}{name}: {detail}"
    return None, "no difference in accuracy, tokens or time"


def compare_versions(corpus: Path | list[Path], settings: Settings, versions: list[str], **options: Any) -> Comparison:
    """Run the suite once per version; `options` go to the loop (gateway= in tests)."""
    check_can_compare(settings, versions, options.get("gateway") is not None)
    reports: dict[str, EvalReport] = {}
    for v in versions:
        forced = settings_for(settings, v)
        forced.diagnose.reasoner = "llm"
        reports[v] = EvalReport(list(run_eval(corpus, forced, **options)))
    right = {v: {c.name for c in r.cases if c.hit(1)} for v, r in reports.items()}
    a, b = versions
    only = {a: sorted(right[a] - right[b]), b: sorted(right[b] - right[a])}
    better, reason = decide(versions, reports)
    return Comparison(list(versions), reports, better, reason, only)
