"""Time to pull an incident window out of a real Prometheus (prints figures; not a test).

    .venv/bin/python bench/bench_live_prometheus.py [--metrics 100] [--series 100] [--step 15]

Writes a synthetic 30-minute window (`--metrics` metric names x `--series` series each,
`--fanout` series per pod (e.g. one per HTTP path and code), half counters, half gauges,
one sample every `--step` s) as OpenMetrics, loads it with
`promtool tsdb create-blocks-from openmetrics`, starts Debian's `prometheus` on a free
loopback port, then times:

- the source's fetch (server-side aggregation per service/pod, `max_series` budget),
- the same with a budget that covers every series,
- the naive pull of every raw series (`query_range {__name__=~".+"}`) for comparison,
- loading the fetched batch into the store.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))

import live_servers  # noqa: E402

T0 = 1_700_000_000.0
WINDOW_S = 1800.0


def write_openmetrics(path: Path, n_metrics: int, n_series: int, step: float, fanout: int) -> int:
    points = int(WINDOW_S // step) + 1
    samples = 0
    with open(path, "w", encoding="utf-8") as fh:
        for m in range(n_metrics):
            counter = m % 2 == 0
            name = f"bench_{'requests' if counter else 'usage'}_{m}" + ("_total" if counter else "")
            fh.write(f"# TYPE {name} unknown\n")
            for s in range(n_series):
                p = s // fanout
                labels = (f'namespace="bench",service="svc{p % 20}",pod="svc{p % 20}-{p:04d}",'
                          f'instance="10.0.{p // 250}.{p % 250}:9100",path="/api/{s % fanout}"')
                value = 0.0
                lines = []
                for i in range(points):
                    value = value + (1 + (s % 7)) * step if counter else 100 + (i * 7 + s) % 13
                    lines.append(f"{name}{{{labels}}} {value:.1f} {T0 + i * step:.3f}\n")
                fh.writelines(lines)
                samples += points
        fh.write("# EOF\n")
    return samples


def timed(label: str, fn):
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    return dt, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--metrics", type=int, default=100)
    ap.add_argument("--series", type=int, default=100, help="series per metric")
    ap.add_argument("--fanout", type=int, default=10, help="series per pod")
    ap.add_argument("--step", type=float, default=15.0)
    args = ap.parse_args()
    missing = live_servers.missing_binaries("prometheus", "promtool")
    if missing:
        sys.exit(f"needs {', '.join(missing)} (apt-get install prometheus)")

    from aiops.domain import TimeWindow
    from aiops.telemetry.live.ingest import load_batch
    from aiops.telemetry.live.registry import build_source
    from aiops.telemetry.store import TelemetryStore

    with tempfile.TemporaryDirectory(prefix="aiops-bench-") as tmp:
        work = Path(tmp)
        n_series = args.metrics * args.series
        dt, samples = timed("write", lambda: write_openmetrics(work / "bench.om", args.metrics, args.series, args.step,
                                                                  args.fanout))
        print(f"synthetic window: {args.metrics} metrics x {args.series} series = {n_series} series "
              f"({args.fanout} per pod), {samples} samples ({dt:.1f} s to write)")
        dt, _ = timed("promtool", lambda: live_servers.create_blocks(work / "bench.om", work / "data"))
        print(f"promtool create-blocks-from openmetrics: {dt:.1f} s")
        server = live_servers.start_prometheus(work, work / "data")
        try:
            window = TimeWindow(T0, T0 + WINDOW_S)
            for budget in (500, 5000, n_series + 1):
                src = build_source("prometheus", "bench", {"url": server.url, "max_series": budget, "timeout_s": 60.0,
                                                           "max_metrics": args.metrics + 1})
                dt, result = timed("fetch", lambda: src.fetch(window))
                got = result.batch.metrics
                points = sum(len(s["values"]) for s in got)
                print(f"fetch, max_series={budget:>6}: {dt:6.2f} s, {len(result.queries):4d} queries, "
                      f"{len(got):6d} series ({points} points) back; problems: {result.problems or 'none'}")
                with TelemetryStore() as store:
                    dl, rows = timed("load", lambda: load_batch(store, result.batch, "bench"))
                print(f"  load into the store: {dl:6.2f} s ({rows.get('metrics', 0)} rows)")
                src.close()
            raw = build_source("prometheus", "raw", {"url": server.url, "timeout_s": 120.0})
            dt, series = timed("raw", lambda: raw.query_range('{__name__=~"bench_.+"}', T0, T0 + WINDOW_S,
                                                              args.step))
            print(f"naive raw pull of every series: {dt:6.2f} s, {len(series)} series "
                  f"({sum(len(s['values']) for s in series)} points)")
            raw.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
