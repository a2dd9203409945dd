"""What the gateway adds to each model call, measured with a scripted model (no network).

Prints: redaction throughput, per-call overhead (miss, cache hit, with quota checks),
ledger append latency (fsync'd) and fold rate. Run: python bench/gateway_overhead.py
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

from aiops.gateway import FakeModel, Gateway, InternalKeyStore, Ledger, LedgerRow, Quotas, Redactor


def _timeit(fn, n: int) -> float:
    times = []
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    log = "\n".join(
        f"2023-01-29T08:43:{i % 60:02d}Z level=error svc=checkout pod=checkout-7d9f8c6b5-x2x9z msg=\"upstream timeout\" "
        f"trace=4bf92f3577b34da6a3ce929d0e0e{i:04d} latency_ms={i % 900}"
        for i in range(1000)
    ) + "\nAuthorization: Bearer abc123.def456-ghi789_jkl password=hunter2 AKIAIOSFODNN7EXAMPLE\n"
    redactor = Redactor(pii=True)
    t = time.perf_counter()
    for i in range(5):
        Redactor(pii=True).redact(log + str(i))
    per = (time.perf_counter() - t) / 5
    print(f"redaction (secrets + PII): {len(log) / 1024:.0f} KiB log in {per * 1000:.1f} ms = {len(log) / per / 2**20:.1f} MiB/s")
    redactor.redact(log)
    t = time.perf_counter()
    redactor.redact(log)
    print(f"redaction of a message seen before (memoised): {(time.perf_counter() - t) * 1e6:.0f} us")
    clean = log.rsplit("\n", 2)[0]
    t = time.perf_counter()
    Redactor().redact(clean)
    per = time.perf_counter() - t
    print(f"redaction (secrets only) of a log with no secret-like words: {len(clean) / per / 2**20:.1f} MiB/s")

    with tempfile.TemporaryDirectory() as d:
        fake = FakeModel(default="the checkout pods are CPU-throttled")
        g = Gateway.scripted(fake, d)
        base = [{"role": "system", "content": "You are an SRE."}, {"role": "user", "content": log[:4000]}]
        miss = _timeit(lambda i: g.complete("planner", base + [{"role": "user", "content": f"q{i}"}]), 100)
        hit = _timeit(lambda i: g.complete("planner", base + [{"role": "user", "content": f"q{i}"}]), 100)
        print(f"per call, cache miss (redact + ledger row + cache write): {miss * 1000:.2f} ms")
        print(f"per call, cache hit (no provider call): {hit * 1000:.2f} ms")

        store = InternalKeyStore(Path(d) / "keys.json")
        record, _ = store.create("bench", Quotas(tokens_per_day=10**9, requests_per_min=10**6))
        gk = Gateway.scripted(FakeModel(default="ok"), Path(d) / "keyed", key=record)
        for i in range(300):
            gk.ledger.record(LedgerRow(alias="planner", model="m", outcome="ok", key_id=record.key_id, prompt_tokens=10))
        gk.ledger.fold()
        quota = _timeit(lambda i: gk.complete("planner", [{"role": "user", "content": f"k{i}"}]), 30)
        print(f"per call with an internal key's day + minute quotas checked: {quota * 1000:.2f} ms")

        ledger = Ledger(Path(d) / "ledger2.duckdb")
        append = _timeit(lambda i: ledger.record(LedgerRow(alias="a", model="m", outcome="ok")), 300)
        print(f"ledger append (fsync'd write-ahead line): {append * 1000:.2f} ms")
        t = time.perf_counter()
        ledger.fold()
        print(f"ledger fold of 300 rows into DuckDB: {(time.perf_counter() - t) * 1000:.0f} ms")
        print(json.dumps({"calls_recorded": len(g.ledger.rows())}))


if __name__ == "__main__":
    main()
