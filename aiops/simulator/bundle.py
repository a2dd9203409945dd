"""Simulating one incident end to end and writing it as a bundle; seeded corpora of them."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aiops.errors import BadInputError
from aiops.simulator import naming
from aiops.simulator.contention import apply_contention
from aiops.simulator.faults import FAULT_KINDS, FaultPlan
from aiops.simulator.herrings import add_red_herrings
from aiops.simulator.logs import LogRecord, build_logs
from aiops.simulator.metrics import Series, build_series
from aiops.simulator.scenarios import get_scenario, plan_fault
from aiops.simulator.signals import PodSignals, compute_signals
from aiops.simulator.topologies import TOPOLOGY_NAMES, get_topology
from aiops.simulator.traces import Span, build_traces
from aiops.simulator.traffic import entry_rates, nominal_load, simulate_traffic
from aiops.simulator.world import Clock, World, build_world
from aiops.simulator.writer import (
    ExportOptions,
    prepare_out_dir,
    write_atomically,
    write_corpus,
    write_events,
    write_logs,
    write_metrics,
    write_spans,
    write_toml,
)
from aiops.timeutil import to_rfc3339

DEFAULT_DURATION_S = 1800.0
DEFAULT_STEP_S = 15.0


@dataclass
class SimulatedIncident:
    world: World
    plan: FaultPlan
    series: list[Series]
    logs: list[LogRecord]
    spans: list[Span]
    signals: dict[str, PodSignals]
    incident: dict
    truth: dict
    herrings: list[str]
    export: ExportOptions


def _clock(seed: int, duration_s: float, step_s: float) -> Clock:
    rng = naming.stream(seed, "clock")
    day = 1704067200 + 86400 * int(rng.integers(0, 330))          # 2024-01-01 + up to 330 days
    start = day + 60 * int(rng.integers(0, 24 * 60))
    return Clock(float(start), float(step_s), int(round(duration_s / step_s)))


def simulate(scenario: str, seed: int, topology: str = "webshop", duration_s: float = DEFAULT_DURATION_S,
             step_s: float = DEFAULT_STEP_S, full_signals: bool = False, target: str | None = None,
             severity: str | None = None) -> SimulatedIncident:
    """Run the whole simulation in memory (no files)."""
    spec = get_scenario(scenario)
    if topology not in TOPOLOGY_NAMES:
        raise BadInputError(f"unknown topology {topology!r}; choose one of: {', '.join(TOPOLOGY_NAMES)}")
    if duration_s < 300 or step_s <= 0 or duration_s / step_s > 2000:
        raise BadInputError(f"duration {duration_s}s / step {step_s}s: need >= 300 s and <= 2000 steps")
    topo = get_topology(topology)
    clock = _clock(seed, duration_s, step_s)
    world = build_world(topo, clock, seed)
    rates = entry_rates(world)
    load = nominal_load(world, rates)
    plan = plan_fault(spec, topo, seed, clock.n, target, severity)
    FAULT_KINDS[plan.kind].apply(world, plan, load, naming.stream(seed, "fault"))
    herrings = add_red_herrings(world, plan, naming.stream(seed, "herrings"))
    apply_contention(world, load)
    traffic = simulate_traffic(world, rates)
    signals = compute_signals(world, traffic)
    series = build_series(world, signals)
    spans = build_traces(world, traffic)
    logs = build_logs(world, traffic, signals, spans)
    incident = _incident(world, plan, signals, naming.stream(seed, "alert"))
    onset_ts = clock.start + clock.step * plan.onset_step
    cause = {"service": plan.service, "kind": plan.kind}
    st = world.services[plan.service]
    if len(plan.slots) == 1 and st.k > 1:
        cause["pod"] = st.slots[plan.slots[0]].name_at(plan.onset_step)
    cause.update({"onset": to_rfc3339(onset_ts), "severity": plan.severity, "scenario": scenario,
                  "topology": topology})
    truth = {"root_cause": [cause]}
    export = _export_options(seed, full_signals or spec.full_signals)
    return SimulatedIncident(world, plan, series, logs, spans, signals, incident, truth, herrings, export)


def _export_options(seed: int, full: bool) -> ExportOptions:
    rng = naming.stream(seed, "export")
    r = rng.random(6)
    no_spans, no_logs, no_metrics, no_events = (not full and r[0] < 0.2, not full and r[1] < 0.08,
                                                not full and 0.08 <= r[1] < 0.13, not full and r[2] < 0.1)
    return ExportOptions(
        metrics=not no_metrics, logs=not no_logs, spans=not no_spans, events=not no_events,
        metrics_time="rfc3339" if r[3] < 0.2 else "unix", metrics_service=r[4] >= 0.2,
        missing_rate=float(rng.choice([0.002, 0.01, 0.03])), nan_marker=str(rng.choice(["", "NaN"])),
        logs_format=str(rng.choice(["csv", "jsonl", "files"], p=[0.45, 0.3, 0.25])),
        logs_time=str(rng.choice(["rfc3339", "unix_ns", "unix_s"], p=[0.6, 0.25, 0.15])),
        logs_service=r[5] >= 0.15, logs_level=rng.random() >= 0.2,
        spans_format=str(rng.choice(["csv", "jsonl"], p=[0.6, 0.4])), spans_end=rng.random() < 0.2)


def _aggregate(sig: PodSignals) -> tuple[np.ndarray, np.ndarray]:
    """Service-level error ratio and rps-weighted p99 (T,), as an alerting rule would compute them."""
    rps = sig.rps.sum(axis=0)
    err = np.where(rps > 0, sig.err_rps.sum(axis=0) / np.maximum(rps, 1e-9), 0.0)
    w = np.where(np.isfinite(sig.p99), sig.rps, 0.0)
    tot = w.sum(axis=0)
    p99 = np.where(tot > 0, np.nansum(np.nan_to_num(sig.p99) * w, axis=0) / np.maximum(tot, 1e-9), np.nan)
    return err, p99


def _alert_service(world: World, plan: FaultPlan, rng: np.random.Generator) -> str:
    topo = world.topology
    if rng.random() < 0.85:
        return topo.entry_service
    callers = [c for c in topo.callers_of(plan.service) if c not in (plan.service, topo.entry_service)]
    return str(rng.choice(callers)) if callers else topo.entry_service


def _incident(world: World, plan: FaultPlan, signals: dict[str, PodSignals], rng: np.random.Generator) -> dict:
    clock = world.clock
    service = _alert_service(world, plan, rng)
    err, p99 = _aggregate(signals[service])
    base = slice(0, plan.onset_step)
    base_err = float(np.nanmedian(err[base]))
    base_p99 = float(np.nanmedian(p99[base]))
    err_hit = err > max(0.01, 4 * base_err)
    lat_hit = p99 > max(2.5 * base_p99, base_p99 + 0.2)
    hold = 2
    fired = None
    for t in range(plan.onset_step, clock.n - hold + 1):
        for name, hit in (("error", err_hit), ("latency", lat_hit)):
            if hit[t:t + hold].all():
                fired = (t, name)
                break
        if fired:
            break
    ns = world.topology.namespace
    labels = {"namespace": ns, "service": service, "severity": "page"}
    if fired is None:
        t = min(plan.onset_step + int(rng.integers(4, 12)), clock.n - 1)
        title = f"Users report errors and slowness on {service}"
        symptom = "reported by users; no alert threshold crossed"
        alert = {"alertname": "UserReport", **labels, "severity": "ticket"}
    elif fired[1] == "error":
        t = fired[0]
        peak = float(np.nanmax(err[t:]))
        title = f"{service}: 5xx error ratio above 1%"
        symptom = f"error ratio up to {peak:.1%} (baseline {base_err:.2%})"
        alert = {"alertname": "HighErrorRate", **labels}
    else:
        t = fired[0]
        peak = float(np.nanmax(p99[t:]))
        title = f"{service}: p99 latency above SLO"
        symptom = f"p99 latency up to {peak * 1000:.0f} ms (baseline {base_p99 * 1000:.0f} ms)"
        alert = {"alertname": "HighLatency", **labels}
    started = clock.start + clock.step * t + float(rng.uniform(0, clock.step))
    return {"title": title, "started_at": to_rfc3339(round(started)), "symptom": symptom,
            "window": {"start": to_rfc3339(clock.start), "end": to_rfc3339(clock.end)}, "alert": alert}


def write_incident(sim: SimulatedIncident, out_dir: Path, compress: bool = False, force: bool = False) -> Path:
    """Write `sim` as a bundle into `out_dir` (atomically)."""
    opts = sim.export
    if compress:
        opts = ExportOptions(**{**opts.__dict__, "compress": True})
    ns = sim.world.topology.namespace

    def fill(tmp: Path) -> None:
        inc = dict(sim.incident)
        window, alert = inc.pop("window"), inc.pop("alert")
        write_toml(tmp / "incident.toml", inc, {"window": window, "alert": alert})
        if opts.metrics:
            write_metrics(tmp / "metrics.csv", sim.series, ns, opts, naming.stream(sim.world.seed, "export:metrics"),
                          instance=sim.world.topology.metric_style == "cadvisor")
        if opts.logs:
            json_services = {s for s, st in sim.world.services.items() if st.json_logs}
            write_logs(tmp, sim.logs, json_services, opts)
        if opts.spans and sim.spans:
            write_spans(tmp, sim.spans, opts)
        if opts.events:
            write_events(tmp, sim.world.events, ns, opts)
        write_toml(tmp / "truth.toml", {"red_herrings": sim.herrings}, {}, sim.truth)

    return write_atomically(Path(out_dir), force, fill)


def generate_bundle(scenario: str, seed: int, out_dir: Path | str, topology: str = "webshop",
                    compress: bool = False, force: bool = False, full_signals: bool = False,
                    target: str | None = None, severity: str | None = None) -> Path:
    """Simulate `scenario` with `seed` on `topology` and write the bundle to `out_dir`; returns the path.

    `target` and `severity` override the seeded choices; `full_signals` keeps every signal
    (by default some bundles, like real exports, lack traces, logs or events).
    """
    prepare_out_dir(Path(out_dir), force)
    sim = simulate(scenario, seed, topology, full_signals=full_signals, target=target, severity=severity)
    return write_incident(sim, Path(out_dir), compress=compress, force=force)


def corpus_plan(cases: int, seed: int) -> list[tuple[str, str, int]]:
    """(fault kind, topology, case seed) per case: kinds round-robin, topologies alternating per round."""
    kinds = list(FAULT_KINDS)
    plan = []
    for i in range(cases):
        kind = kinds[i % len(kinds)]
        topology = TOPOLOGY_NAMES[(i // len(kinds) + i) % len(TOPOLOGY_NAMES)]
        case_seed = zlib.crc32(f"{seed}:{i}".encode()) & 0x7FFFFFFF
        plan.append((kind, topology, case_seed))
    return plan


def generate_corpus(out_dir: Path | str, cases: int, seed: int, compress: bool = False, force: bool = False,
                    progress=None) -> list[Path]:
    """A seeded evaluation corpus: `cases` bundles under out_dir/case-NNN, spread over kinds and topologies."""

    def write_case(row: tuple, where: Path) -> dict:
        kind, topology, case_seed = row
        write_incident(simulate(kind, case_seed, topology), where, compress=compress)
        return {"topology": topology, "seed": case_seed}

    return write_corpus(out_dir, cases, force, lambda: corpus_plan(cases, seed), write_case, progress)
