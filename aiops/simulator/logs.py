"""Log records per pod: request lines, housekeeping, own errors, downstream failures, warnings.

Counts follow the traffic model (errors are logged as they happen, rate-limited the way
busy services are), texts come from `log_templates` / `error_texts`, and some lines carry
the trace and span ids of sampled traces. Timestamps carry the service's clock skew.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aiops.simulator import naming
from aiops.simulator.error_texts import downstream_error, own_error
from aiops.simulator.log_templates import background_line, format_line, nginx_access, request_line
from aiops.simulator.signals import PodSignals
from aiops.simulator.traces import Span
from aiops.simulator.traffic import Traffic
from aiops.simulator.world import World

TARGET_INFO_LINES = 2200
_ERROR_CAP = 12      # error lines per pod and scrape step (loggers get rate-limited, exports truncated)


@dataclass(frozen=True)
class LogRecord:
    ts: float
    service: str
    pod: str
    level: str
    message: str
    trace_id: str = ""
    span_id: str = ""


def build_logs(world: World, traffic: Traffic, signals: dict[str, PodSignals], spans: list[Span],
               target_lines: int = TARGET_INFO_LINES, window: tuple[float, float] | None = None) -> list[LogRecord]:
    """Log records of every pod; about `target_lines` request lines, only inside `window` if given."""
    rng = naming.BufferedRng(naming.stream(world.seed, "logs"))
    clock, topo = world.clock, world.topology
    out: list[LogRecord] = []
    app_slots = sum(st.k for st in world.services.values() if st.spec.kind in ("web", "app"))
    if window is None:
        inside, lo, hi = None, clock.start - 10, clock.end + 10
        budget = target_lines / max(app_slots * clock.n, 1)
    else:
        t0 = clock.times()
        inside, (lo, hi) = (t0 + clock.step > window[0]) & (t0 < window[1]), window
        budget = target_lines / max(app_slots * int(inside.sum()), 1)
    ops = _operations(world)
    optional = {(p, c.service) for (p, _), calls in topo.calls.items() for c in calls if c.optional}
    call_op: dict[tuple[str, str], str] = {}
    for (p, _), calls in sorted(topo.calls.items()):
        for c in calls:
            call_op.setdefault((p, c.service), c.operation)
    for name, st in world.services.items():
        if st.spec.kind == "batch":
            continue
        rt, sig = st.spec.runtime, signals[name]
        mean_rps = float(np.mean(sig.rps)) + 1e-9
        base_p99 = np.nanmedian(sig.p99[:, : max(clock.n // 3, 1)]) if np.isfinite(sig.p99).any() else np.nan
        edges = [(callee, e) for (caller, callee), e in traffic.edges.items() if caller == name]
        web = 2.0 if st.spec.kind == "web" else 1.0
        for j, slot in enumerate(st.slots):
            up = slot.up
            # How many lines of each kind every step gets, drawn for all steps at once.
            if st.spec.is_store:
                n_info = np.zeros(clock.n, dtype=int)
                n_bg = rng.poisson(0.15, clock.n) * up
                lat = sig.store_latency[j]
                slow = rt in ("postgres", "mysql")
                n_slow = rng.poisson(np.where(slow & (lat > 0.05), np.minimum(6, lat * 20), 0.0)) * up
            else:
                n_info = rng.poisson(budget * np.minimum(sig.rps[j] / mean_rps, 3.0) * web) * up
                n_bg = rng.poisson(0.25, clock.n) * up
                n_slow = np.zeros(clock.n, dtype=int)
            n_own = np.minimum(rng.poisson(traffic.own_errors[name][j] * clock.step), _ERROR_CAP) * up
            if not st.logs_own_errors:
                n_own = n_own * 0
            n_down = [(callee, _downstream_counts(world, name, callee, e, j, rng) * up) for callee, e in edges]
            warn = _warning_steps(world, name, sig, j, base_p99) & up
            busy = (n_info + n_bg + n_slow + n_own + warn + sum(c.sum(axis=0) for _, c in n_down)) > 0
            if inside is not None:
                busy &= inside
            for t in np.flatnonzero(busy):
                pod = slot.name_at(t)
                t0 = clock.start + t * clock.step + st.clock_skew

                def emit(level: str, text: str, fields: dict | None = None, t0: float = t0, pod: str = pod,
                         name: str = name, rt: str = rt) -> None:
                    ts = t0 + float(rng.uniform(0, clock.step))
                    out.append(LogRecord(ts, name, pod, level, format_line(rt, name, pod, ts, level, text, rng,
                                                                           fields)))

                for _ in range(n_bg[t]):
                    emit(*background_line(rt, rng))
                for _ in range(n_slow[t]):
                    emit("info" if rt == "postgres" else "warning",
                         f"duration: {lat[t] * 1000 * rng.uniform(2, 8):.3f} ms  statement: "
                         f"{naming.pick(rng, ops.get(name, ['SELECT 1']))} WHERE id = {int(rng.integers(1, 99999))}")
                for _ in range(n_info[t]):
                    _request(out, world, name, pod, t0 + float(rng.uniform(0, clock.step)), sig, j, t, ops, rng)
                for _ in range(n_own[t]):
                    emit("error", own_error(rt, st.error_kind, name, str(naming.pick(rng, ops[name])), rng))
                for callee, counts in n_down:
                    optional_call = (name, callee) in optional
                    for cause, count in zip(_CAUSES, counts[:, t]):
                        for _ in range(count):
                            cst = world.services[callee]
                            text = downstream_error(rt, callee, cst.spec.runtime, cause,
                                                    call_op.get((name, callee), "call"), cst.spec.port, rng,
                                                    cst.error_kind)
                            emit("warning" if optional_call else "error", text)
                if warn[t]:
                    _warnings(emit, world, name, sig, j, t, base_p99, rng)
    for ts, name, j, level, text in world.special_logs:
        st = world.services[name]
        step = clock.index(ts)
        pod = st.slots[j].name_at(step)
        ts = ts + st.clock_skew
        out.append(LogRecord(ts, name, pod, level, format_line(st.spec.runtime, name, pod, ts, level, text, rng)))
    out.extend(_traced_lines(world, spans, rng))
    out.sort(key=lambda r: (r.ts, r.service))
    return [r for r in out if lo <= r.ts <= hi]


def _operations(world: World) -> dict[str, list[str]]:
    ops: dict[str, set[str]] = {s: set() for s in world.services}
    for (svc, op) in world.topology.calls:
        ops[svc].add(op)
    for calls in world.topology.calls.values():
        for c in calls:
            ops[c.service].add(c.operation)
    return {s: sorted(v) or ["handle"] for s, v in ops.items()}


def _request(out: list, world: World, name: str, pod: str, ts: float, sig: PodSignals, j: int, t: int,
             ops: dict, rng: np.random.Generator) -> None:
    st = world.services[name]
    p50 = sig.p50[j, t] if np.isfinite(sig.p50[j, t]) else st.spec.latency_ms / 1000
    ms = float(p50 * 1000 * np.exp(rng.normal(0, 0.5)))
    err_ratio = sig.err_rps[j, t] / sig.rps[j, t] if sig.rps[j, t] > 0 else 0.0
    status = 200 if rng.random() >= err_ratio else int(naming.pick(rng, (500, 502, 503, 504)))
    op = str(naming.pick(rng, ops[name]))
    level = "info" if status < 500 else "error"
    if st.spec.runtime == "nginx":
        client = f"10.244.{int(rng.integers(0, 4))}.{int(rng.integers(2, 250))}"
        out.append(LogRecord(ts, name, pod, "", nginx_access(client, ts, op, status, ms, rng)))
        return
    text, fields = request_line(st.spec.runtime, name, op, ms, status, rng)
    out.append(LogRecord(ts, name, pod, level if st.spec.runtime == "go" else "info",
                         format_line(st.spec.runtime, name, pod, ts, level if st.spec.runtime == "go" else "info",
                                     text, rng, fields)))


_CAUSES = ("timeout", "refused", "error")


def _downstream_counts(world: World, name: str, callee: str, e, j: int, rng: np.random.Generator) -> np.ndarray:
    """(3, T) lines a caller pod logs about failed calls to `callee`: timeouts, refused, errors."""
    step = world.clock.step
    timeouts, refused = e.timeouts[j] * step, e.refused[j] * step
    other = np.maximum(e.errors[j] * step - timeouts - refused, 0.0)
    if world.services[name].spec.runtime == "nginx":
        other = other * 0.0           # nginx logs upstream 5xx only in the access log
    return np.minimum(rng.poisson(np.stack([timeouts, refused, other])), _ERROR_CAP)


def _warning_steps(world: World, name: str, sig: PodSignals, j: int, base_p99: float) -> np.ndarray:
    """Steps where `_warnings` may have something to say (so quiet steps are skipped)."""
    st = world.services[name]
    p99 = np.nan_to_num(sig.p99[j])
    slow = (p99 > max(4 * base_p99, 0.25)) if np.isfinite(base_p99) and not st.spec.is_store else p99 < 0
    fill = st.mem_extra[j] / (st.spec.mem_mb * 1024 * 1024)
    leak = np.diff(st.pool_leak[j], prepend=st.pool_leak[j, 0]) > 0
    return slow | (fill > 0.6) | (sig.throttled[j] > 4) | leak | (st.disk_extra[j] > 0)


def _warnings(emit, world: World, name: str, sig: PodSignals, j: int, t: int, base_p99: float,
              rng: np.random.Generator) -> None:
    st = world.services[name]
    rt = st.spec.runtime
    p99 = sig.p99[j, t]
    if not st.spec.is_store and np.isfinite(p99) and np.isfinite(base_p99) and p99 > max(4 * base_p99, 0.25):
        for _ in range(rng.poisson(2.0)):
            ms = p99 * 1000 * rng.uniform(0.7, 1.2)
            if rt == "java":
                emit("warning", f"Slow request detected: {ms:.0f} ms exceeds threshold 150 ms")
            elif rt in ("go", "node", "dotnet", "python"):
                emit("warning", f"slow request: took {ms:.0f}ms")
    fill = st.mem_extra[j, t] / (st.spec.mem_mb * 1024 * 1024)
    if rt == "java" and fill > 0.6:
        heap = int(st.spec.mem_mb * 1.6)
        for _ in range(rng.poisson(1.5)):
            emit("warning", f"[gc] Pause Full (Allocation Failure) {heap}M->{int(heap * rng.uniform(0.92, 0.99))}M"
                            f"({heap}M) {rng.uniform(300, 2500):.3f}ms")
    if rt == "java" and st.spec.pool_size and sig.throttled[j, t] > 4 and rng.random() < 0.3:
        emit("warning", f"HikariPool-1 - Thread starvation or clock leap detected (housekeeper delta="
                        f"{int(rng.integers(40, 90))}s{int(rng.integers(0, 999))}ms).")
    if st.spec.pool_size and t > 0 and st.pool_leak[j, t] > st.pool_leak[j, t - 1]:
        for _ in range(min(int(st.pool_leak[j, t] - st.pool_leak[j, t - 1]), 3)):
            if rt == "java":
                emit("warning", f"Connection leak detection triggered for org.postgresql.jdbc.PgConnection@"
                                f"{naming.hex_id(rng, 4)} on thread http-nio-8080-exec-{int(rng.integers(1, 200))},"
                                " stack trace follows")
            elif rng.random() < 0.3:
                emit("warning", f"connection pool busy: in use {int(st.pool_leak[j, t])}/{st.spec.pool_size}")
    if rt == "postgres" and st.disk_extra[j, t] > 0 and sig.disk[j, t] >= 0.97 * sig.disk_cap:
        for _ in range(rng.poisson(1.0)):
            emit("error", f"PANIC:  could not write to file \"pg_wal/xlogtemp.{int(rng.integers(100, 999))}\": "
                          "No space left on device")


def _traced_lines(world: World, spans: list[Span], rng: np.random.Generator) -> list[LogRecord]:
    """Lines written while handling sampled requests: they carry trace and span ids."""
    out = []
    for sp in spans:
        st = world.services[sp.service]
        if sp.kind != "server" or st.spec.runtime == "nginx":
            continue
        if sp.own_error and st.logs_own_errors:
            level, text = "error", own_error(st.spec.runtime, st.error_kind, sp.service, sp.operation, rng)
        elif rng.random() < 0.12:
            level, text = "info", f"{sp.operation} handled in {sp.duration_s * 1000:.1f}ms"
        else:
            continue
        ts = sp.start + sp.duration_s
        out.append(LogRecord(ts, sp.service, sp.pod, level,
                             format_line(st.spec.runtime, sp.service, sp.pod, ts, level, text, rng),
                             sp.trace_id, sp.span_id))
    return out
