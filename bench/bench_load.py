"""Bundle loading speed: rows/s for 10^6 logs.csv lines, 10^6 metric rows and more.

    /work/venv/bin/python bench/bench_load.py [--rows 1000000] [--plain-rows 200000]

Generates a synthetic bundle in a temporary directory (with DuckDB's COPY, so generation
is not timed with the load), then times `load_bundle` for each file on its own and for
the whole bundle, and a metric_grid / log_count_grid query over the result.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import duckdb

from aiops.telemetry.bundle import load_bundle

T0 = 1_675_000_000

INCIDENT = f"""title = "bench"
[window]
start = {T0}
end = {T0 + 86_400}
"""


def generate(root: Path, rows: int, plain_rows: int) -> dict[str, Path]:
    con = duckdb.connect()
    dirs = {}
    for name in ("logs_csv", "logs_jsonl", "metrics_csv", "metrics_parquet", "plain_log", "spans_csv"):
        d = root / name
        d.mkdir()
        (d / "incident.toml").write_text(INCIDENT)
        dirs[name] = d
    logs = f"""SELECT ({T0} + i * 0.05)::VARCHAR AS timestamp, 'svc-' || (i % 20) AS service,
                      'svc-' || (i % 20) || '-7d4f9c8b6-x2k9z' AS pod,
                      CASE WHEN i % 50 = 0 THEN 'ERROR' WHEN i % 7 = 0 THEN 'warn' ELSE 'INFO' END AS level,
                      'GET /api/v1/items/' || (i % 997) || ' took ' || (i % 300) || 'ms user=' || (i % 777) AS message,
                      md5(CAST(i // 10 AS VARCHAR)) AS trace_id
               FROM range({rows}) t(i)"""
    con.execute(f"COPY ({logs}) TO '{dirs['logs_csv'] / 'logs.csv'}' (HEADER)")
    con.execute(f"COPY ({logs}) TO '{dirs['logs_jsonl'] / 'logs.jsonl'}' (FORMAT json)")
    metrics = f"""SELECT to_json(to_timestamp({T0} + (i // 400) * 15)) ->> '$' AS timestamp,
                         'metric_' || (i % 20) || CASE WHEN i % 20 = 0 THEN '_total' ELSE '' END AS metric,
                         CASE WHEN i % 20 = 0 THEN (i // 400)::VARCHAR ELSE round(random(), 4)::VARCHAR END AS value,
                         'svc-' || ((i // 20) % 20) || '-7d4f9c8b6-x2k9z' AS pod, 'shop' AS namespace,
                         '10.0.0.' || (i % 400 // 20) AS instance
                  FROM range({rows}) t(i)"""
    con.execute(f"COPY ({metrics}) TO '{dirs['metrics_csv'] / 'metrics.csv'}' (HEADER)")
    con.execute(f"COPY ({metrics}) TO '{dirs['metrics_parquet'] / 'metrics.parquet'}' (FORMAT parquet)")
    (dirs["plain_log"] / "logs").mkdir()
    con.execute(f"""COPY (SELECT strftime(to_timestamp({T0} + i * 0.05), '%Y-%m-%d %H:%M:%S.%g') || ' '
                                 || CASE WHEN i % 50 = 0 THEN 'ERROR' ELSE 'INFO' END
                                 || ' worker-' || (i % 8) || ' processed order ' || i AS line
                          FROM range({plain_rows}) t(i))
                    TO '{dirs['plain_log'] / 'logs' / 'checkout.log'}' (HEADER false, QUOTE '', DELIMITER '\t')""")
    con.execute(f"""COPY (SELECT md5(CAST(i // 8 AS VARCHAR)) AS trace_id, 's' || i AS span_id,
                                 CASE WHEN i % 8 = 0 THEN '' ELSE 's' || (i - 1) END AS parent_span_id,
                                 'svc-' || (i % 20) AS service, 'op' || (i % 8) AS operation,
                                 ({T0} * 1000000000::HUGEINT + i * 1000000)::VARCHAR AS start,
                                 (100 + i % 5000) AS duration_us, CASE WHEN i % 100 = 0 THEN 'ERROR' ELSE 'OK' END AS status,
                                 CASE WHEN i % 100 = 0 THEN 500 ELSE 200 END AS http_status
                          FROM range({rows}) t(i)) TO '{dirs['spans_csv'] / 'spans.csv'}' (HEADER)""")
    con.close()
    return dirs


def timed_load(path: Path) -> tuple[float, float, int]:
    """(wall s, CPU s of all threads, rows). CPU time shows the cost on a busy machine."""
    t, c = time.perf_counter(), time.process_time()
    loaded = load_bundle(path)
    elapsed, cpu = time.perf_counter() - t, time.process_time() - c
    rows = sum(n for _, _, n in loaded.files)
    loaded.store.close()
    return elapsed, cpu, rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--plain-rows", type=int, default=200_000)
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        dirs = generate(Path(tmp), args.rows, args.plain_rows)
        print(f"generated in {time.perf_counter() - t:.1f}s")
        for name, path in dirs.items():
            elapsed, cpu, rows = timed_load(path)
            size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6
            print(f"{name:<16} {rows:>9} rows  {size:7.1f} MB  {elapsed:6.2f} s wall  {rows / elapsed:>10,.0f} rows/s"
                  f"  ({cpu:6.2f} CPU s, {rows / cpu:>10,.0f} rows/CPU-s)")
        loaded = load_bundle(dirs["metrics_csv"])
        store = loaded.store
        t = time.perf_counter()
        grid = store.metric_grid(T0, T0 + 3600, 60.0)
        t_grid = time.perf_counter() - t
        t = time.perf_counter()
        rgrid = store.metric_grid(T0, T0 + 3600, 60.0, counter_rates=True)
        t_rate = time.perf_counter() - t
        print(f"metric_grid      {grid.values.shape} in {t_grid:.3f} s; counter_rates {rgrid.values.shape} "
              f"in {t_rate:.3f} s ({int(rgrid.is_rate.sum())} rate series)")
        store.close()
        loaded = load_bundle(dirs["logs_csv"])
        t = time.perf_counter()
        lgrid = loaded.store.log_count_grid(T0, T0 + 86_400, 60.0)
        t_lgrid = time.perf_counter() - t
        t = time.perf_counter()
        recs = loaded.store.log_records(T0, T0 + 3600)
        t_recs = time.perf_counter() - t
        print(f"log_count_grid   {lgrid.counts.shape} in {t_lgrid:.3f} s; log_records {len(recs['ts'])} rows "
              f"in {t_recs:.3f} s")
        loaded.store.close()


if __name__ == "__main__":
    main()
