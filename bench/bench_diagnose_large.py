"""Wall, user and system time of `aiops diagnose` on one large 15-minute bundle.

Goal: CLI p50 <= 3 s (interpreter start included, offline reasoner) on a 15-minute bundle
of 47 services, ~60k spans and ~50k log lines. The simulator's train-ticket topology has
35 services and samples a few thousand spans and log lines, so the bench widens and
thickens one simulated incident deterministically before writing it:

* 12 services (never the fault's target) get twins named `<service>-copy`: their metric
  series are cloned under the new name, and every other copy of the traces and log lines
  (below) uses the twin's name, so the twins appear in the call graph and the logs too;
* the traces are copied until ~60k spans (each copy has its own trace and span ids, and
  the log lines of a copy point at its spans); the log lines are copied until ~50k, each
  copy with other request ids and other milliseconds in its text, so that nearly every
  line is distinct as in real logs (template mining must not see 12 copies of one line);
* a few error lines (--stack-traces, default 10) carry a Java stack trace, as real
  services log them: 2-7 kB records beside ~200-byte ones (the longest line of a window
  must not decide what the analysis costs).

The bundle is validated (`aiops bundle validate`), then `aiops diagnose --bundle B
--format json --reasoner offline` runs N times in fresh interpreters; the bench prints wall
p50/min/max and the user and system CPU seconds each run cost (getrusage of the children),
then the time each tool step took in one in-process run.

Each run gets the temp dir's own data directory (history, incident memory, knowledge base)
and a bytecode cache, as after `pip install`; one warm-up run is not counted.

Usage: python bench/bench_diagnose_large.py [--runs 5] [--seed 7] [--keep DIR] [--source DIR]
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import math
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

SERVICES = 47
SPANS = 60_000
LOG_LINES = 50_000
DURATION_S = 900


def _skip(why: str) -> None:
    print(f"skipped: {why}")
    sys.exit(0)


try:
    from aiops.agent.events import Answer, ToolResultEvent
    from aiops.agent.session import diagnose
    from aiops.config import load_settings
    from aiops.simulator.bundle import simulate, write_incident
    from aiops.simulator.writer import ExportOptions
except ImportError as exc:   # run with the venv's python (bash tests/run.sh creates it)
    _skip(f"aiops is not importable here ({exc}); run with .venv/bin/python")


def _new_id(value: str, copy: int) -> str:
    """The id of `value` in copy number `copy`: distinct across copies, empty stays empty."""
    return f"{copy:04x}{value[4:]}" if value else value


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_FRACTION = re.compile(r"(\d{2}:\d{2}:\d{2}[.,])(\d{3,6})")


def _varied(message: str, copy: int) -> str:
    """`message` as a different request would have written it: other request ids, other
    milliseconds (real log lines are nearly all distinct; a copied line must be too)."""
    if copy == 0:
        return message
    message = _UUID.sub(lambda m: str(uuid.UUID(hashlib.md5(f"{m.group(0)}/{copy}".encode()).hexdigest())), message)
    return _FRACTION.sub(lambda m: m.group(1) + "".join(str((int(d) + copy) % 10) for d in m.group(2)), message)


def _renamed(name: str, twins: dict[str, str]) -> str:
    for old, new in twins.items():
        if name == old or name.startswith(old + "-"):
            return new + name[len(old):]
    return name


def _stack_trace(rng, frames: int) -> str:
    """A Java stack trace as a logger appends it to the error line (one record, many lines)."""
    names = ["service", "controller", "repository", "client", "filter", "handler", "mapper", "config"]
    lines = [f"\tat com.example.{names[int(rng.integers(len(names)))]}.Impl{int(rng.integers(100))}."
             f"call{int(rng.integers(50))}(Impl.java:{int(rng.integers(20, 900))})" for _ in range(frames)]
    return "\n" + "\n".join(lines)


def thicken(sim, seed: int, stack_traces: int = 0):
    """`sim` with 47 services' worth of metrics, ~60k spans and ~50k log lines (see the docstring)."""
    import numpy as np

    services = sorted(sim.world.services)
    rng = np.random.default_rng(seed)
    pool = [s for s in services if s != sim.plan.service]
    picks = sorted(rng.choice(len(pool), size=max(0, SERVICES - len(services)), replace=False).tolist())
    twins = {pool[i]: f"{pool[i]}-copy" for i in picks}

    series = list(sim.series)
    for s in sim.series:
        if s.service in twins:
            series.append(dataclasses.replace(s, service=twins[s.service], pod=_renamed(s.pod, twins),
                                              instance=_renamed(s.instance, twins)))

    span_copies = max(1, math.ceil(SPANS / max(len(sim.spans), 1)))
    spans = []
    for c in range(span_copies):
        names = twins if c % 2 else {}
        spans.extend(dataclasses.replace(
            sp, trace_id=_new_id(sp.trace_id, c), span_id=_new_id(sp.span_id, c),
            parent_span_id=_new_id(sp.parent_span_id, c), service=_renamed(sp.service, names),
            pod=_renamed(sp.pod, names), peer=_renamed(sp.peer, names)) for sp in sim.spans)
    spans = spans[:SPANS] if len(spans) > SPANS * 1.05 else spans
    spans.sort(key=lambda s: (s.start, s.trace_id))

    log_copies = max(1, math.ceil(LOG_LINES / max(len(sim.logs), 1)))
    logs = []
    for c in range(log_copies):
        names = twins if c % 2 else {}
        logs.extend(dataclasses.replace(
            rec, service=_renamed(rec.service, names), pod=_renamed(rec.pod, names), message=_varied(rec.message, c),
            trace_id=_new_id(rec.trace_id, c % span_copies) if c < span_copies else "",
            span_id=_new_id(rec.span_id, c % span_copies) if c < span_copies else "") for rec in sim.logs)
    errors = [i for i, rec in enumerate(logs) if rec.level.lower() == "error"]
    for i in sorted(rng.choice(len(errors), size=min(stack_traces, len(errors)), replace=False).tolist()):
        logs[errors[i]] = dataclasses.replace(
            logs[errors[i]], message=logs[errors[i]].message + _stack_trace(rng, int(rng.integers(40, 120))))
    logs.sort(key=lambda r: (r.ts, r.service, r.pod))
    export = ExportOptions(logs_format="csv", spans_format="csv")
    return dataclasses.replace(sim, series=series, spans=spans, logs=logs, export=export)


def _validate(python: str, bundle: Path, env: dict) -> dict:
    import json

    out = subprocess.run([python, "-m", "aiops", "bundle", "validate", str(bundle), "--format", "json"],
                         capture_output=True, text=True, env=env, cwd=bundle.parent)
    if out.returncode != 0:
        print(f"error: aiops bundle validate {bundle} exited {out.returncode}: {out.stderr.strip()[-400:]}")
        sys.exit(1)
    return json.loads(out.stdout)


def _cli_runs(python: str, bundle: Path, runs: int, env: dict) -> list[tuple[float, float, float]]:
    """(wall, user, sys) seconds of each `aiops diagnose` run (from the bundle's parent
    directory: `python -m` puts the working directory first on sys.path, and a checkout's
    `aiops/` there would shadow the one measured)."""
    cwd = bundle.parent
    cmd = [python, "-m", "aiops", "diagnose", "--bundle", str(bundle), "--format", "json",
           "--reasoner", "offline", "--quiet"]
    figures = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            print(f"error: aiops diagnose exited {done.returncode}: {done.stderr.strip()[-400:]}")
            sys.exit(1)
        figures.append((wall, after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime))
    return figures


def _steps_in_process(bundle: Path) -> tuple[float, list[tuple[str, float]]]:
    settings = load_settings(None, {"diagnose.reasoner": "offline"}, env={})
    steps, t0 = [], time.perf_counter()
    for event in diagnose(bundle, settings):
        if isinstance(event, ToolResultEvent):
            steps.append((f"round {event.round}: {event.step.tool}", event.duration_s))
        elif isinstance(event, Answer) and not event.diagnosis.root_causes:
            print("note: the in-process run answered without root causes")
    return time.perf_counter() - t0, steps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="CLI runs (fresh interpreters)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--scenario", default="latency_injection")
    ap.add_argument("--step", type=float, default=15.0, help="metric sampling step in seconds (e.g. 15 or 60)")
    ap.add_argument("--stack-traces", type=int, default=10,
                    help="error lines that carry a Java stack trace (40-120 frames, 2-7 kB), as real services log")
    ap.add_argument("--keep", type=Path, help="write the bundle here and keep it (else a temp dir)")
    ap.add_argument("--no-steps", action="store_true", help="skip the in-process per-step timing")
    ap.add_argument("--source", type=Path, help="run the aiops package under this directory instead (e.g. "
                    "`git archive <commit> | tar -x -C DIR`), with this venv: before/after figures")
    args = ap.parse_args()
    if args.source is not None and not (args.source / "aiops" / "__init__.py").is_file():
        print(f"error: --source {args.source}: no aiops package there")
        sys.exit(2)
    python = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        # As after `pip install`: bytecode cached (in the temp dir, not the source tree), even
        # where PYTHONDONTWRITEBYTECODE is set; one warm-up run fills the cache.
        # Its own data directory (run history, incident memory, knowledge base), so that other
        # processes sharing ~/.local/share/aiops do not rebuild or fold it during the runs.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env.update(LITELLM_LOCAL_MODEL_COST_MAP="True", PYTHONPYCACHEPREFIX=str(Path(tmp) / "pycache"),
                   XDG_DATA_HOME=str(Path(tmp) / "data"))
        if args.source is not None:
            env["PYTHONPATH"] = str(args.source.resolve())
        bundle = args.keep or Path(tmp) / "large"
        t0 = time.perf_counter()
        sim = thicken(simulate(args.scenario, args.seed, "trainticket", duration_s=DURATION_S, step_s=args.step,
                               full_signals=True), args.seed, args.stack_traces)
        write_incident(sim, bundle, force=True)
        built = time.perf_counter() - t0
        info = _validate(python, bundle, env)
        rows = info.get("counts") or {}
        n_services = len(info.get("services") or ())
        mb = sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file()) / 1e6
        print(f"bundle: {args.scenario} seed {args.seed}, {DURATION_S // 60} min of data at {args.step:g}-s steps, "
              f"{n_services} services, rows {rows}, {mb:.1f} MB on disk (built in {built:.1f} s)")
        _cli_runs(python, bundle, 1, env)     # warm-up: bytecode cache, knowledge base, page cache
        load = os.getloadavg()
        figures = _cli_runs(python, bundle, args.runs, env)
        walls, users, syss = zip(*figures)
        print(f"load average before the runs: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
              f"after: {os.getloadavg()[0]:.2f}; {os.cpu_count()} CPUs")
        print(f"aiops diagnose CLI x{args.runs} (fresh interpreter, offline reasoner): wall p50 "
              f"{statistics.median(walls):.2f} s, min {min(walls):.2f} s, max {max(walls):.2f} s (goal <= 3 s)")
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        source = f"; aiops from {args.source}" if args.source else ""
        print(f"  peak resident memory of a run: {peak:.0f} MB{source}")
        print(f"  CPU per run: user p50 {statistics.median(users):.2f} s, sys p50 {statistics.median(syss):.2f} s "
              f"(user {' '.join(f'{u:.2f}' for u in users)}; sys {' '.join(f'{s:.2f}' for s in syss)})")
        if not args.no_steps and args.source is None:
            total, steps = _steps_in_process(bundle)
            print(f"in-process diagnose (no interpreter start, imports warm): {total:.2f} s; tool steps:")
            for name, seconds in steps:
                print(f"  {seconds:6.2f} s  {name}")


if __name__ == "__main__":
    main()
