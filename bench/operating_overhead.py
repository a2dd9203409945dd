"""What operating the agent costs a diagnosis: tracing, the run history, a JSONL trace file.

Runs the demo diagnosis in one process (store loaded once) several times each way and
prints medians, plus the cost of one history append, one fold and one `runs list`.

Usage: python bench/operating_overhead.py [repeats]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    from aiops.agent.session import investigate as run_investigation
    from aiops.agent.trace_export import tracing_setup
    from aiops.config import load_settings
    from aiops.history import RunHistory, recorded
    from aiops.resources import demo_bundle
    from aiops.telemetry.bundle import load_bundle

    tmp = Path(tempfile.mkdtemp(prefix="aiops-bench-ops-"))
    settings = load_settings(env={})
    settings.general.data_dir = str(tmp / "data")
    demo = load_bundle(demo_bundle())
    history = RunHistory(tmp / "data" / "runs.duckdb")

    def plain() -> None:
        list(run_investigation(demo.incident, demo.store, settings))

    def untraced() -> None:
        from opentelemetry.trace import NoOpTracerProvider

        list(run_investigation(demo.incident, demo.store, settings, tracer_provider=NoOpTracerProvider()))

    def with_history() -> None:
        list(recorded(run_investigation(demo.incident, demo.store, settings), history, bundle=demo_bundle()))

    def with_history_and_jsonl() -> None:
        setup = tracing_setup(settings, str(tmp / "trace.jsonl"))
        list(recorded(run_investigation(demo.incident, demo.store, settings, tracer_provider=setup.provider),
                      history, bundle=demo_bundle()))
        setup.shutdown()

    variants = (("diagnosis, no spans at all", untraced), ("diagnosis (trace ids only)", plain),
                ("+ run history", with_history), ("+ run history + JSONL trace file", with_history_and_jsonl))
    for _, fn in variants:                      # warm caches (knowledge base, imports)
        fn()
    times: dict[str, list[float]] = {name: [] for name, _ in variants}
    for i in range(repeats):                    # interleaved, rotating order: drift hits every variant alike
        for name, fn in variants[i % 4:] + variants[:i % 4]:
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    results = {name: statistics.median(t) for name, t in times.items()}
    base = results["diagnosis, no spans at all"]
    for name, t in results.items():
        print(f"{name:36s} median {t * 1000:7.1f} ms  ({(t - base) * 1000:+6.1f} ms)")

    spans = sum(1 for _ in open(tmp / "trace.jsonl")) / (repeats + 1)
    print(f"spans per run: {spans:.0f}")
    row = history.runs(limit=1)
    t0 = time.perf_counter()
    for _ in range(20):
        history.write("runs", dict(row[0], run_id="bench", status="running"))
    print(f"history append (fsync): {(time.perf_counter() - t0) / 20 * 1000:.2f} ms")
    size = history.wal_path.stat().st_size
    t0 = time.perf_counter()
    history.fold()
    print(f"fold of {size / 1024:.0f} KiB journal: {(time.perf_counter() - t0) * 1000:.1f} ms")
    t0 = time.perf_counter()
    n = len(history.runs())
    print(f"runs list ({n} runs): {(time.perf_counter() - t0) * 1000:.1f} ms")
    demo.store.close()


if __name__ == "__main__":
    main()
