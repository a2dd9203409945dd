"""Limits on huge inputs: peak RSS and wall time of `aiops logs templates`, `aiops bundle
validate` and `aiops diagnose` on a 2 GB log file, a bundle with 10^5 metric series and a
10^6-span OTLP trace file (docs/security.md, "Limits").

    python bench/bench_limits.py [--workdir DIR] [--log-gb 2] [--series 100000] [--spans 1000000]
                                 [--only logs,series,spans] [--keep]

Inputs are generated on the fly (streaming, no sparse files) in a temporary directory,
unless --workdir names one (then they are reused when present). Each command runs in its
own process; its peak RSS is that process's ru_maxrss, read by a wrapper process.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WINDOW_START = 1731959220          # 2024-11-18T19:47:00Z
WINDOW_S = 1800
INCIDENT = ('title = "Limits: a huge incident"\nstarted_at = "2024-11-18T20:07:25Z"\n'
            '[window]\nstart = "2024-11-18T19:47:00Z"\nend = "2024-11-18T20:17:00Z"\n')
_WRAPPER = ("import json, resource, subprocess, sys, time; t = time.perf_counter(); "
            "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True); "
            "print(json.dumps({'rc': p.returncode, 'wall_s': time.perf_counter() - t, "
            "'peak_rss_mb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, "
            "'stderr': p.stderr[-2000:]}))")

_BODIES = [
    "GET /api/v1/orders/{n} 200 {ms}ms user={u}",
    "POST /api/v1/cart/{n}/items 201 {ms}ms",
    "connection to db-{d}.shop.svc:5432 established in {ms}ms",
    "HikariPool-1 - Connection is not available, request timed out after {ms}ms.",
    "cache miss for key product:{n} (ttl {d}s)",
    "level=info msg=\"served request\" path=/healthz duration={ms}ms",
    "ERROR failed to call inventory:8080: deadline exceeded after {ms}ms (attempt {d})",
    "WARN slow query on orders: {ms} ms SELECT * FROM orders WHERE id = {n}",
    "user {u} logged in from 10.0.{d}.{d2}",
    "job {n} finished: {d} items processed, {d2} skipped",
]


def write_log(path: Path, target_bytes: int, seed: int = 7) -> int:
    """A plain log, timestamp first, about `target_bytes` long (written, never sparse)."""
    rng = random.Random(seed)
    lines_per_chunk = 50_000
    estimate = max(1, target_bytes // 110)
    step = WINDOW_S / estimate
    written = lines = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        while written < target_bytes:
            chunk = []
            for _ in range(lines_per_chunk):
                ts = WINDOW_START + lines * step
                body = rng.choice(_BODIES).format(n=rng.randrange(10 ** 6), ms=rng.randrange(2000),
                                                  u=f"u{rng.randrange(5000)}", d=rng.randrange(256),
                                                  d2=rng.randrange(256))
                sec = int(ts)
                chunk.append(f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(sec))}.{int((ts - sec) * 1e6):06d}Z "
                             f"{'ERROR' if body.startswith(('ERROR', 'Hikari')) else 'INFO'} {body}\n")
                lines += 1
            text = "".join(chunk)
            fh.write(text)
            written += len(text)
    return lines


def write_series_bundle(root: Path, series: int, points: int = 60) -> int:
    """A bundle whose metrics.csv holds `series` series x `points` samples."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "incident.toml").write_text(INCIDENT)
    rng = random.Random(11)
    services, pods, metrics = 200, 5, max(1, series // 1000)
    step = WINDOW_S / points
    rows = 0
    with open(root / "metrics.csv", "w", encoding="utf-8") as fh:
        fh.write("timestamp,metric,value,service,pod,namespace\n")
        for s in range(services):
            for p in range(pods):
                pod = f"svc{s:03d}-7d4f9c8b6-p{p}"
                for m in range(metrics):
                    base = rng.random() * 100
                    fh.write("".join(f"{WINDOW_START + i * step:.0f},metric_{m:03d}_ratio,"
                                     f"{base + rng.random():.3f},svc{s:03d},{pod},shop\n" for i in range(points)))
                    rows += points
    return rows


def write_span_bundle(root: Path, spans: int, per_document: int = 1000) -> int:
    """A bundle with traces/otel.jsonl: `spans` OTLP spans, one document per line."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "incident.toml").write_text(INCIDENT)
    (root / "traces").mkdir(exist_ok=True)
    rng = random.Random(13)
    services = [f"svc{i:02d}" for i in range(30)]
    written = 0
    with open(root / "traces" / "otel.jsonl", "w", encoding="utf-8") as fh:
        while written < spans:
            n = min(per_document, spans - written)
            by_service: dict[str, list] = {}
            for i in range(n):
                k = written + i
                trace = f"{k // 8:032x}"
                parent = "" if k % 8 == 0 else f"{k - 1:016x}"
                start = int((WINDOW_START + WINDOW_S * k / spans) * 1e9)
                svc = services[(k % 8 + k // 800) % len(services)]
                by_service.setdefault(svc, []).append({
                    "traceId": trace, "spanId": f"{k:016x}", "parentSpanId": parent, "name": f"GET /op{k % 17}",
                    "kind": 2, "startTimeUnixNano": str(start),
                    "endTimeUnixNano": str(start + int(rng.expovariate(1 / 20e6))),
                    "status": {"code": 2 if rng.random() < 0.01 else 1},
                    "attributes": [{"key": "http.status_code", "value": {"intValue": "200"}}]})
            doc = {"resourceSpans": [{"resource": {"attributes": [
                {"key": "service.name", "value": {"stringValue": svc}}]},
                "scopeSpans": [{"scope": {"name": "bench"}, "spans": items}]} for svc, items in by_service.items()]}
            fh.write(json.dumps(doc, separators=(",", ":")) + "\n")
            written += n
    return written


def measure(args: list[str], env: dict[str, str]) -> dict:
    out = subprocess.run([sys.executable, "-c", _WRAPPER, *args], capture_output=True, text=True, env=env)
    return json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workdir")
    ap.add_argument("--log-gb", type=float, default=2.0)
    ap.add_argument("--series", type=int, default=100_000)
    ap.add_argument("--spans", type=int, default=1_000_000)
    ap.add_argument("--only", default="logs,series,spans")
    ap.add_argument("--keep", action="store_true", help="keep the generated inputs (with --workdir they are kept)")
    opts = ap.parse_args()
    work = Path(opts.workdir) if opts.workdir else Path(tempfile.mkdtemp(prefix="aiops-limits-"))
    work.mkdir(parents=True, exist_ok=True)
    aiops = [sys.executable, "-m", "aiops"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIOPS_")}
    env.update(XDG_DATA_HOME=str(work / "data"), LITELLM_LOCAL_MODEL_COST_MAP="True")
    results = []

    def run(label: str, what: str, args: list[str]) -> None:
        r = measure(aiops + args, env)
        results.append((label, what, r))
        note = "" if r["rc"] == 0 else f"  exit {r['rc']}: {r['stderr'].strip().splitlines()[-1][:160]}"
        warn = [line for line in r["stderr"].splitlines() if "limits." in line]
        print(f"{label:<26} {what:<44} peak RSS {r['peak_rss_mb']:8.0f} MB  wall {r['wall_s']:7.1f} s{note}", flush=True)
        for line in warn[:2]:
            print(f"{'':<26} {line.strip()[:150]}")

    only = set(opts.only.split(","))
    if "logs" in only:
        log_bundle = work / "log-bundle"
        log = log_bundle / "logs" / "app.log"
        if not log.exists():
            t = time.perf_counter()
            lines = write_log(log, int(opts.log_gb * 1024 ** 3))
            (log_bundle / "incident.toml").write_text(INCIDENT)
            print(f"generated {log} ({log.stat().st_size / 1024 ** 3:.2f} GB, {lines:,} lines) in "
                  f"{time.perf_counter() - t:.0f} s", flush=True)
        size = f"{log.stat().st_size / 1024 ** 3:.1f} GB log"
        run(size, "aiops logs templates --format csv", ["logs", "templates", "--input", str(log), "--format", "csv",
                                                        "--output", os.devnull])
        run(size, "aiops bundle validate (logs/app.log)", ["bundle", "validate", str(log_bundle), "--format", "json"])
        run(size, "aiops diagnose --format json", ["diagnose", "--bundle", str(log_bundle), "--format", "json", "-q"])
    if "series" in only:
        series_bundle = work / "series-bundle"
        if not (series_bundle / "metrics.csv").exists():
            t = time.perf_counter()
            rows = write_series_bundle(series_bundle, opts.series)
            print(f"generated {series_bundle}/metrics.csv ({rows:,} rows) in {time.perf_counter() - t:.0f} s", flush=True)
        label = f"{opts.series:,} series"
        run(label, "aiops bundle validate", ["bundle", "validate", str(series_bundle), "--format", "json"])
        run(label, "aiops diagnose --format json", ["diagnose", "--bundle", str(series_bundle), "--format", "json", "-q"])
    if "spans" in only:
        span_bundle = work / "span-bundle"
        if not (span_bundle / "traces" / "otel.jsonl").exists():
            t = time.perf_counter()
            n = write_span_bundle(span_bundle, opts.spans)
            size = (span_bundle / "traces" / "otel.jsonl").stat().st_size / 1024 ** 2
            print(f"generated {span_bundle}/traces/otel.jsonl ({n:,} spans, {size:.0f} MB) in "
                  f"{time.perf_counter() - t:.0f} s", flush=True)
        label = f"{opts.spans:,} spans (OTLP)"
        run(label, "aiops bundle validate", ["bundle", "validate", str(span_bundle), "--format", "json"])
        run(label, "aiops diagnose --format json", ["diagnose", "--bundle", str(span_bundle), "--format", "json", "-q"])
    if not opts.workdir and not opts.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
