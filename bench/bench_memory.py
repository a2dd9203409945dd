"""The incident memory over a corpus where every fault kind recurs: does a later occurrence
cite the earlier one's confirmed cause, and does the memory ever turn a correct first place
into a wrong one?

Each case, in corpus order, is diagnosed twice with the offline reasoner: once without the
memory (the reference) and once with the memory as it stands after the cases before it.
After each case the operator's verdict is simulated from its truth.toml (this is evaluation
code): `correct` when the top cause is the true service, else `wrong` with the true service
and fault kind — exactly what `aiops feedback` records.

Prints top-1 with and without the memory, the flips in both directions, how often a repeat
of a fault kind cites the first occurrence's confirmed cause, and trivial baselines: the
alert's own service, and "the memory alone" (the most similar past incident's confirmed
service). Usage:

    python bench/bench_memory.py [--recurring 3 [--topology webshop] | --corpus DIR |
                                  --cases 30 --seed 1 --profile classic|realistic]
                                 [--max-boost 0.05] [--verbose]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from aiops.agent.events import Answer
from aiops.agent.session import Session
from aiops.config import load_settings
from aiops.evaluation.truth import read_truth
from aiops.memory.signature import signature_of
from aiops.memory.store import IncidentMemory


def diagnose(session: Session, bundle: Path):
    for event in session.diagnose_bundle(bundle):
        if isinstance(event, Answer):
            return event.diagnosis
    raise RuntimeError(f"{bundle}: no answer")


def recurring_corpus(root: Path, repeats: int, seed: int, topology: str) -> list[Path]:
    """Every fault kind `repeats` times on the same service (the first occurrence's target),
    interleaved: kind A, kind B, ..., then A again — as a system's incidents recur."""
    from aiops.evaluation.truth import read_truth
    from aiops.simulator import generate_bundle
    from aiops.simulator.faults import FAULT_KINDS

    targets: dict[str, str] = {}
    out = []
    for rep in range(repeats):
        for k, kind in enumerate(FAULT_KINDS):
            path = generate_bundle(kind, seed * 1000 + rep * 37 + k, root / f"case-{rep:02d}-{kind}", topology=topology,
                                   target=targets.get(kind))
            targets.setdefault(kind, read_truth(path).services[0])
            out.append(path)
    return out


def cases_of(args: argparse.Namespace, tmp: Path) -> list[Path]:
    if args.recurring:
        return recurring_corpus(tmp / "corpus", args.recurring, args.seed, args.topology)
    if args.corpus:
        root = Path(args.corpus)
    else:
        root = tmp / "corpus"
        cmd = [sys.executable, "-m", "aiops", "simulate", "--corpus", str(root), "--cases", str(args.cases),
               "--seed", str(args.seed)] + (["--profile", "realistic"] if args.profile == "realistic" else [])
        subprocess.run(cmd, check=True, capture_output=True)
    return sorted(p for p in root.iterdir() if p.is_dir() and (p / "truth.toml").is_file())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", help="existing corpus (case dirs with truth.toml)")
    ap.add_argument("--cases", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--profile", choices=("classic", "realistic"), default="classic")
    ap.add_argument("--recurring", type=int, default=0, metavar="N",
                    help="simulate every fault kind N times on one service instead (same topology)")
    ap.add_argument("--topology", default="webshop")
    ap.add_argument("--max-boost", type=float, default=None)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        env = {"AIOPS_GENERAL_DATA_DIR": str(tmp / "data"), "AIOPS_DIAGNOSE_REASONER": "offline"}
        if args.max_boost is not None:
            env["AIOPS_MEMORY_MAX_BOOST"] = str(args.max_boost)
        settings = load_settings(env=env)
        memory = IncidentMemory(tmp / "memory.jsonl")
        plain, remembering = Session(settings), Session(settings, memory=memory)
        cases = cases_of(args, tmp)
        first_confirmed: dict[str, str] = {}      # fault kind -> text of its first confirmed cause
        rows = []
        t0 = time.perf_counter()
        for case in cases:
            truth = read_truth(case)
            ref, mem = diagnose(plain, case), diagnose(remembering, case)
            top_ref = ref.root_causes[0].service if ref.root_causes else ""
            top_mem = mem.root_causes[0].service if mem.root_causes else ""
            text = " ".join(mem.notes) + " " + " ".join(e.summary for c in mem.root_causes for e in c.evidence)
            repeat = truth.kind in first_confirmed
            cites = repeat and f"confirmed: {first_confirmed[truth.kind]}" in text
            past = memory.incidents()[:-1]
            sig = signature_of(mem.incident, [])     # alert labels only: what an operator knows up front
            alike = memory.similar(sig, min_similarity=0.0, limit=1, pool=past) if past else []
            memory_alone = alike[0].past.confirmed.service if alike and alike[0].past.confirmed else ""
            rows.append({"case": case.name, "kind": truth.kind, "truth": truth.services, "ref": top_ref,
                         "mem": top_mem, "repeat": repeat, "cites": cites,
                         "alert": mem.incident.alert.get("service", ""), "memory_alone": memory_alone,
                         "lifted": any("incident memory lifted" in n for n in mem.notes)})
            correct = top_mem in truth.services
            if correct:
                memory.verdict(mem.run_id, "correct")
            else:
                memory.verdict(mem.run_id, "wrong", root_cause=truth.services[0], kind=truth.kind)
            first_confirmed.setdefault(truth.kind, memory.get(mem.run_id).confirmed.text())
            if args.verbose:
                r = rows[-1]
                print(f"{r['case']} {r['kind']:<28} truth {','.join(r['truth']):<14} ref {r['ref']:<14} "
                      f"mem {r['mem']:<14} {'cites' if r['cites'] else '-':<5} {'LIFTED' if r['lifted'] else ''}")
        n = len(rows)
        top1 = lambda key: sum(r[key] in r["truth"] for r in rows)  # noqa: E731
        worse = [r["case"] for r in rows if r["ref"] in r["truth"] and r["mem"] not in r["truth"]]
        better = [r["case"] for r in rows if r["ref"] not in r["truth"] and r["mem"] in r["truth"]]
        repeats = [r for r in rows if r["repeat"]]
        kinds = defaultdict(int)
        for r in rows:
            kinds[r["kind"]] += 1
        what = (f"--recurring {args.recurring} --topology {args.topology} --seed {args.seed}" if args.recurring else
                args.corpus or f"{args.profile} --cases {args.cases} --seed {args.seed}")
        print(f"corpus: {n} cases, {len(kinds)} fault kinds, each seen {min(kinds.values())}-{max(kinds.values())} "
              f"times ({what})")
        print(f"top-1 without memory: {top1('ref')}/{n} = {top1('ref') / n:.1%}")
        print(f"top-1 with memory:    {top1('mem')}/{n} = {top1('mem') / n:.1%}  "
              f"(max_boost {settings.memory.max_boost:g}; first place lifted by the memory in "
              f"{sum(r['lifted'] for r in rows)} cases)")
        print(f"correct first place turned wrong by the memory: {len(worse)}/{top1('ref')} {worse or ''}")
        print(f"wrong first place turned correct by the memory: {len(better)}/{n - top1('ref')} {better or ''}")
        print(f"repeats citing the first occurrence's confirmed cause: {sum(r['cites'] for r in repeats)}/{len(repeats)}")
        print(f"baselines: the alert's service {top1('alert')}/{n} = {top1('alert') / n:.1%}; the memory alone "
              f"(most similar past incident's confirmed service, by alert labels) {top1('memory_alone')}/{n} = "
              f"{top1('memory_alone') / n:.1%}")
        print(f"time: {time.perf_counter() - t0:.0f} s for {2 * n} diagnoses")
    return 0


if __name__ == "__main__":
    sys.exit(main())
