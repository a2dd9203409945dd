"""Diagnosis accuracy on real and realistic incidents, beside the trivial rankings.

    python bench/bench_real_data.py [--petshop DIR] [--realistic-seeds 202,203]
                                    [--heldout-seed N] [--sim-seed 3] [--cases 60] [--json]

One configuration for every corpus (the defaults, offline reasoner). Corpora:

- PetShop `train` (real AWS incidents, built with ../shared/datasets/petshop_bundles.py;
  default $AIOPS_PETSHOP_TRAIN or /work/data/petshop-train; skipped with a message when
  absent);
- `realistic` simulator corpora (`aiops simulate --profile realistic`), one per seed: the
  development seeds, and with --heldout-seed one seed that was never used while developing;
- the classic simulator corpus (regression: must not drop).

Each row prints top-1/top-3 of the agent, every trivial ranking of the same cases (random,
largest metric shift, largest span-latency shift, most error logs; aiops.evaluation.baselines)
and the best of them; realistic corpora also per shape (tag). Generated corpora are cached
under --work (default $TMPDIR/aiops-bench-corpora), keyed by profile, seed, size and a digest of the simulator source.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from aiops.config import load_settings
from aiops.evaluation.runner import EvalReport, best_baseline, run_eval

GOALS = {"petshop-train": (0.40, 0.60)}     # the bar for PetShop train (top-1, top-3)
HELDOUT_TOP1 = 0.85


def _simulator_version() -> str:
    """A digest of the simulator's source: a cached corpus from other simulator code is not reused."""
    import hashlib

    import aiops.simulator as sim

    digest = hashlib.sha256()
    for path in sorted(Path(sim.__file__).parent.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def _corpus(work: Path, profile: str, seed: int, cases: int) -> Path:
    from aiops.simulator.bundle import generate_corpus

    out = work / f"{profile}-seed{seed}-{cases}-{_simulator_version()}"
    done = work / f"{out.name}.complete"
    if not done.is_file():
        print(f"generating {out} ...", file=sys.stderr)
        if profile == "realistic":
            from aiops.simulator.realistic import generate_realistic_corpus

            generate_realistic_corpus(out, cases, seed, force=True)
        else:
            generate_corpus(out, cases, seed, force=True)
        done.write_text("")
    return out


def _evaluate(name: str, corpus: Path) -> dict:
    t0 = time.perf_counter()
    report = EvalReport(list(run_eval(corpus, load_settings(None, env={}))))
    errors = [c for c in report.cases if c.error]
    row = _row(name, report.stats())
    row["seconds"] = round(time.perf_counter() - t0, 1)
    row["errors"] = len(errors)
    row["by_tag"] = {tag: _row(tag, report.stats(cases)) for tag, cases in report.groups("tag").items()
                     if tag.endswith("-like")}
    return row


def _row(name: str, s: dict) -> dict:
    b1, t1 = best_baseline(s, 1)
    b3, t3 = best_baseline(s, 3)
    return {"corpus": name, "cases": s["cases"], "top1": s["top1"], "top3": s["top3"],
            "baselines": {k: (v["top1"], v["top3"]) for k, v in s["baselines"].items()},
            "best_trivial": {"top1": (b1, t1), "top3": (b3, t3)}}


def _print(rows: list[dict]) -> None:
    names = [b for r in rows for b in r["baselines"]]
    names = list(dict.fromkeys(names))
    head = f"{'corpus':<24}{'cases':>6}{'top-1':>7}{'top-3':>7}" + "".join(f"{n[:12]:>14}" for n in names)
    print(head + "   best trivial (1 / 3)")
    print("-" * (len(head) + 24))

    def line(r: dict, indent: str = "") -> None:
        cells = "".join(f"{'%.0f / %.0f' % (100 * r['baselines'][n][0], 100 * r['baselines'][n][1]) if n in r['baselines'] else '-':>14}"
                        for n in names)
        (b1, t1), (b3, t3) = r["best_trivial"]["top1"], r["best_trivial"]["top3"]
        beats = r["top1"] >= t1 and r["top3"] >= t3
        print(f"{indent + r['corpus']:<24}{r['cases']:>6}{r['top1']:>7.0%}{r['top3']:>7.0%}{cells}"
              f"   {t1:.0%} / {t3:.0%} ({b1 or '-'}){'' if beats else '  < trivial'}")

    for r in rows:
        line(r)
        for t in r.get("by_tag", {}).values():
            line(t, "  ")
    print("\n(baseline cells: top-1 / top-3 in %; random is the expected value of a uniform ranking)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--petshop", type=Path,
                    default=Path(os.environ.get("AIOPS_PETSHOP_TRAIN", "/work/data/petshop-train")))
    ap.add_argument("--realistic-seeds", default="202,203")
    ap.add_argument("--heldout-seed", type=int, default=None)
    ap.add_argument("--sim-seed", type=int, default=3)
    ap.add_argument("--cases", type=int, default=60)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "aiops-bench-corpora")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)

    plan: list[tuple[str, Path]] = []
    if args.petshop.is_dir():
        plan.append(("petshop-train", args.petshop))
    else:
        print(f"skipped PetShop train: {args.petshop} is not a directory (build it with "
              "../shared/datasets/petshop_bundles.py, or pass --petshop)", file=sys.stderr)
    for seed in [int(s) for s in args.realistic_seeds.split(",") if s.strip()]:
        plan.append((f"realistic-{seed} (dev)", _corpus(args.work, "realistic", seed, args.cases)))
    if args.heldout_seed is not None:
        plan.append((f"realistic-{args.heldout_seed} (new)", _corpus(args.work, "realistic", args.heldout_seed, args.cases)))
    plan.append((f"classic-{args.sim_seed}", _corpus(args.work, "classic", args.sim_seed, args.cases)))

    rows = []
    for name, corpus in plan:
        print(f"evaluating {name} ({corpus}) ...", file=sys.stderr)
        rows.append(_evaluate(name, corpus))
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        _print(rows)
    failed = [r["corpus"] for r in rows if r["top1"] < r["best_trivial"]["top1"][1] or r["top3"] < r["best_trivial"]["top3"][1]]
    for r in rows:
        goal = GOALS.get(r["corpus"])
        if goal and (r["top1"] < goal[0] or r["top3"] < goal[1]):
            failed.append(f"{r['corpus']} below top-1 {goal[0]:.0%} / top-3 {goal[1]:.0%}")
        if r["corpus"].endswith("(new)") and r["top1"] < HELDOUT_TOP1:
            failed.append(f"{r['corpus']} below top-1 {HELDOUT_TOP1:.0%}")
    if failed:
        print("not met: " + "; ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
