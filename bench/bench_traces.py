"""Throughput of trace analysis on synthetic spans (prints figures; not a test).

    python bench/bench_traces.py [--spans 1000000]

Topology per trace (10 spans): frontend -> checkout -> {cart, payment -> db-proxy,
shipping} with internal spans and parallel calls; unique 16-hex span ids, 32-hex trace ids.
After the onset `payment`'s own time grows 5x. Prints spans/s for building the span tree
(parents, self time, segments) and for the whole `analyse_traces`, plus the top findings.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

# (span, parent, service, offset ms from parent start, duration ms); one trace
SHAPE = [
    ("fe", None, "frontend", 0.0, 120.0),
    ("fe-render", "fe", "frontend", 100.0, 15.0),
    ("co", "fe", "checkout", 5.0, 90.0),
    ("co-validate", "co", "checkout", 1.0, 4.0),
    ("cart", "co", "cart", 6.0, 20.0),
    ("pay", "co", "payment", 6.0, 60.0),        # parallel with cart
    ("db", "pay", "db-proxy", 10.0, 30.0),
    ("ship", "co", "shipping", 70.0, 15.0),
    ("ship-quote", "ship", "shipping", 2.0, 8.0),
    ("cart-cache", "cart", "cart", 2.0, 5.0),
]
ONSET, END = 600.0, 1200.0


def make_spans(n_spans: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    k = len(SHAPE)
    n_traces = n_spans // k
    t0 = np.sort(rng.uniform(0.0, END, n_traces))
    jitter = rng.uniform(0.8, 1.2, (n_traces, k))
    offs = np.array([s[3] for s in SHAPE]) / 1e3
    durs = np.array([s[4] for s in SHAPE]) * 1e3 * jitter
    slow = t0 >= ONSET
    pay = [s[0] for s in SHAPE].index("pay")
    names = [s[0] for s in SHAPE]
    delay = np.where(slow, 4 * 30e3 * jitter[:, pay], 0.0)    # payment's own 30 ms becomes 150 ms
    for col in ("pay", "fe", "co"):                           # ... and its callers wait for it
        durs[:, names.index(col)] += delay
    offsets = np.tile(offs, (n_traces, 1))
    for col in ("ship", "fe-render"):                         # later sequential calls start later
        offsets[:, names.index(col)] += delay / 1e6
    parent_idx = [None if s[1] is None else names.index(s[1]) for s in SHAPE]
    starts = np.zeros((n_traces, k))
    for j, p in enumerate(parent_idx):
        starts[:, j] = t0 if p is None else starts[:, p] + offsets[:, j]
    ids = rng.integers(0, 2**63, size=(n_traces, k), dtype=np.int64)
    span_id = np.array([f"{x:016x}" for x in ids.ravel()], dtype=object)
    trace_id = np.repeat(np.array([f"{x:032x}" for x in rng.integers(0, 2**63, n_traces)], dtype=object), k)
    parent = np.empty((n_traces, k), dtype=object)
    sid = span_id.reshape(n_traces, k)
    for j, p in enumerate(parent_idx):
        parent[:, j] = "" if p is None else sid[:, p]
    return {
        "trace_id": trace_id, "span_id": span_id, "parent_span_id": parent.ravel(),
        "service": np.tile(np.array([s[2] for s in SHAPE], dtype=object), n_traces),
        "operation": np.tile(np.array([s[0] for s in SHAPE], dtype=object), n_traces),
        "start": starts.ravel(), "duration_us": durs.ravel(),
        "status": np.full(n_traces * k, "OK", dtype=object), "http_status": np.full(n_traces * k, 200.0),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spans", type=int, default=1_000_000)
    args = parser.parse_args()
    from aiops.analytics.spantree import Spans, build_span_tree
    from aiops.analytics.traces import analyse_traces

    t = time.perf_counter()
    columns = make_spans(args.spans)
    n = len(columns["start"])
    print(f"generated {n:,} spans in {time.perf_counter() - t:.1f} s")

    def timed(label: str, fn):  # noqa: ANN001, ANN202
        t, c = time.perf_counter(), time.process_time()
        result = fn()
        dt, dc = time.perf_counter() - t, time.process_time() - c
        print(f"{label:<28} {dt:6.2f} s wall {dc:6.2f} s CPU  {n / dt:12,.0f} spans/s wall  {n / dc:12,.0f} spans/s CPU")
        return result

    spans = timed("Spans.from_columns", lambda: Spans.from_columns(columns))
    timed("build_span_tree", lambda: build_span_tree(spans))
    result = timed("analyse_traces (all)", lambda: analyse_traces(spans, ONSET, END))
    for f in result.findings[:5]:
        print(f"  {f.score:.2f} {f.service:<10} {f.signal:<13} {','.join(f.tags):<10} {f.summary}")


if __name__ == "__main__":
    main()
