"""How often each diagnosis verdict comes out on simulated incidents and clean releases, and
the top candidate's score behind it (the `healthy` floor is aiops.agent.coverage.QUIET_BELOW).

Usage: python bench/bench_verdict.py [--seed N] [--incidents N] [--realistic N] [--releases N] [--work DIR]

Simulates the corpora first (into --work, default a temp dir): classic incidents, realistic
incidents and clean releases (no regression). An incident called `healthy` is a miss the
operator would notice; a clean release called `healthy` is right. The trivial baseline —
always `root_cause`, the behaviour before verdicts — calls no clean release healthy and no
incident healthy.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from collections import Counter
from pathlib import Path


def _diagnose(bundle: Path, settings) -> tuple[str, float]:  # noqa: ANN001
    from aiops.agent.events import Answer
    from aiops.agent.session import Session

    for event in Session(settings).diagnose_bundle(bundle):
        if isinstance(event, Answer):
            ranked = event.followup.state.rank()
            return event.diagnosis.verdict, (ranked[0].score if ranked else 0.0)
    raise RuntimeError(f"{bundle}: no answer")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--incidents", type=int, default=20)
    ap.add_argument("--realistic", type=int, default=10)
    ap.add_argument("--releases", type=int, default=12)
    ap.add_argument("--work", type=Path, default=None)
    args = ap.parse_args()

    from aiops.agent.coverage import QUIET_BELOW
    from aiops.config import load_settings
    from aiops.simulator.bundle import generate_corpus
    from aiops.simulator.realistic import generate_realistic_corpus
    from aiops.simulator.release import generate_release_corpus

    work = args.work or Path(tempfile.mkdtemp(prefix="aiops-verdict-"))
    settings = load_settings()
    sets = {
        "classic incidents": sorted(generate_corpus(work / "classic", args.incidents, args.seed, force=True)),
        "realistic incidents": sorted(generate_realistic_corpus(work / "realistic", args.realistic, args.seed,
                                                                force=True)),
        "clean releases": generate_release_corpus(work / "releases", args.releases, 0, args.seed, force=True),
    }
    print(f"healthy when the top score < {QUIET_BELOW} (data read); corpora in {work}")
    for name, bundles in sets.items():
        results = [_diagnose(Path(b), settings) for b in bundles]
        verdicts = Counter(v for v, _ in results)
        scores = [s for _, s in results]
        print(f"{name:20} n={len(results):3}  " + "  ".join(f"{v} {verdicts[v]}" for v in
                                                          ("root_cause", "healthy", "insufficient_evidence"))
              + f"  top score median {statistics.median(scores):.2f} min {min(scores):.2f}"
              + f"  (baseline always root_cause: root_cause {len(results)})")


if __name__ == "__main__":
    main()
