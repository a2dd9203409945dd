"""One realistic case end to end, and seeded corpora of them.

    simulate_realistic("cpu_contention", seed=7)                  # in memory
    generate_realistic_corpus("out/real", cases=60, seed=101)      # case-NNN bundles + index.jsonl

The order matters: the fault and the noise set conditions, the entry rates take bursts and
surges, CPU contention turns load into latency, then neighbours burn CPU (so the burner
itself is not slowed), then the traffic model draws requests and every export follows.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aiops.errors import BadInputError
from aiops.simulator import naming
from aiops.simulator.contention import apply_contention
from aiops.simulator.faults import FaultPlan
from aiops.simulator.logs import LogRecord, build_logs
from aiops.simulator.realistic.export import export_options, write_metric_rows
from aiops.simulator.realistic.faults import REALISTIC_FAULTS, REALISTIC_KINDS, FaultContext, direct_entry
from aiops.simulator.realistic.metrics import BUCKETS_S, Sampled, cloudwatch_series, k8s_series, shift_latency
from aiops.simulator.realistic.noise import add_herrings, add_noise, shape_rates
from aiops.simulator.realistic.systems import RAW_SYSTEMS, aws_display_names, name_style, rename_raw
from aiops.simulator.realistic.timeline import STYLES, CasePlan, draw_plan
from aiops.simulator.scenarios import SEVERITIES
from aiops.simulator.signals import compute_signals
from aiops.simulator.topology import build_topology
from aiops.simulator.traces import Span, build_traces
from aiops.simulator.traffic import entry_rates, nominal_load, simulate_traffic
from aiops.simulator.world import Clock, World, build_world
from aiops.simulator.writer import ExportOptions, prepare_out_dir, write_atomically, write_corpus, write_events, \
    write_logs, write_spans, write_toml
from aiops.timeutil import to_rfc3339

_NEEDS_SPANS_OR_LOGS = ("code_exception", "return_value", "misconfiguration")
_LATENCY_ONLY = ("cpu_contention", "network_delay")
_SEVERITIES = {"system-a-like": ("mild", "moderate", "moderate", "severe", "severe"),
               "system-b-like": ("mild", "moderate", "moderate", "severe", "severe"),
               "petshop-like": ("mild", "mild", "moderate", "moderate", "severe")}   # performance issues


@dataclass
class RealisticIncident:
    world: World
    plan: CasePlan
    fault: FaultPlan
    metrics: list[Sampled]
    logs: list[LogRecord]
    spans: list[Span]
    incident: dict
    truth: dict
    tags: list[str]
    herrings: list[str]
    export: ExportOptions


def simulate_realistic(kind: str, seed: int, style: str | None = None, severity: str | None = None
                       ) -> RealisticIncident:
    """Simulate one realistic case of fault `kind` (style and severity drawn from the seed unless given)."""
    if kind not in REALISTIC_FAULTS:
        raise BadInputError(f"unknown realistic fault kind {kind!r}; choose one of: {', '.join(REALISTIC_KINDS)}")
    rng = naming.stream(seed, "realistic:case")
    style = style or str(STYLES[int(rng.integers(0, len(STYLES)))])
    if style not in STYLES:
        raise BadInputError(f"unknown style {style!r}; choose one of: {', '.join(STYLES)}")
    if severity is not None and severity not in SEVERITIES:
        raise BadInputError(f"--severity {severity!r}: choose one of {', '.join(SEVERITIES)}")
    fault = REALISTIC_FAULTS[kind]
    raw = RAW_SYSTEMS[style]()
    if style == "petshop-like":
        display, naming_label = aws_display_names(raw, rng), "cloud"
    else:
        mapping, naming_label = name_style(raw, rng)
        raw = rename_raw(raw, mapping)
        display = {n: n for n in raw["services"]}
    topo = build_topology(raw)
    candidates = fault.targets(topo)
    if kind == "overload" and rng.random() < 0.35:
        target = topo.entry_service
    else:
        target = str(candidates[int(rng.integers(0, len(candidates)))])
    if kind == "overload" and target != topo.entry_service:
        raw["entries"][direct_entry(raw, target)] = 0.0
        topo = build_topology(raw)
    # Without spans or logs these would leave no trace of the cause itself: a store's latency
    # shows only in its callers' client spans, a code fault only in spans and logs.
    needs = "spans" if kind in _LATENCY_ONLY and topo.services[target].is_store else (
        "spans_or_logs" if kind in _NEEDS_SPANS_OR_LOGS else "")
    plan = draw_plan(style, seed, needs)
    start = np.floor(plan.start / plan.step) * plan.step
    clock = Clock(float(start), plan.step, int(np.ceil((plan.alert_ts + plan.post_s - start) / plan.step)) + 1)
    world = build_world(topo, clock, seed)
    rates = entry_rates(world)
    shape_rates(world, rates, naming.stream(seed, "realistic:rates"))
    spec = topo.services[target]
    whole = kind in ("overload", "misconfiguration", "code_exception", "return_value")
    slots = tuple(range(spec.replicas)) if whole or spec.replicas == 1 or rng.random() < 0.5 else (
        int(rng.integers(0, spec.replicas)),)
    severities = _SEVERITIES[style]
    fplan = FaultPlan(kind, target, slots, max(1, clock.index(plan.onset_ts)),
                      severity or str(severities[int(rng.integers(0, len(severities)))]), float(rng.random()))
    ctx = FaultContext(rates)
    fault.apply(world, fplan, ctx, naming.stream(seed, "realistic:fault"))
    load = nominal_load(world, rates)
    add_noise(world, fplan, load, naming.stream(seed, "realistic:noise"))
    avoid = {target, ctx.notes.get("neighbour", "")}
    herrings = add_herrings(world, fplan, naming.stream(seed, "realistic:herrings"), ctx.after_contention, avoid)
    apply_contention(world, load)
    for burn in ctx.after_contention:
        burn()
    traffic = simulate_traffic(world, rates, plan.samples_per_step, BUCKETS_S)
    signals = compute_signals(world, traffic)
    if style == "petshop-like":
        metrics = cloudwatch_series(world, traffic, plan, display)
        herrings += _unrelated_latency_shift(metrics, world, fplan, display, naming.stream(seed, "realistic:shift"))
    else:
        metrics = k8s_series(world, signals, traffic, plan)
    spans = build_traces(world, traffic, plan.span_target, plan.spans, client_spans=True) if plan.spans else []
    logs = build_logs(world, traffic, signals, spans, plan.log_target, plan.logs) if plan.logs else []
    incident = _incident(world, fplan, fault.symptom, ctx, plan, display, naming.stream(seed, "realistic:alert"))
    scrapes_before = int((plan.onset_ts - clock.start) // plan.scrape)
    tags = ["realistic", style, "+".join(plan.modalities)] + (["histograms-only"] if plan.histograms_only else []) + (
        ["short-baseline"] if scrapes_before <= 2 else []) + (
        ["wide-window"] if plan.widen[0] > 0 else [])
    cause = {"service": display[target], "kind": kind, "onset": to_rfc3339(round(plan.onset_ts)),
             "severity": fplan.severity, "style": style, "alert_lag_s": round(plan.lag_s, 1),
             "metrics_before_alert_s": round(plan.pre_s, 1), "naming": naming_label,
             "metric_vocabulary": f"{plan.resource_vocab}/{plan.latency_vocab}"}
    cause.update({k: display.get(v, v) for k, v in ctx.notes.items()})
    truth = {"root_cause": [cause]}
    return RealisticIncident(world, plan, fplan, metrics, logs, spans, incident, truth, tags, herrings,
                             export_options(seed, plan))


def _unrelated_latency_shift(metrics: list[Sampled], world: World, fplan: FaultPlan, display: dict[str, str],
                             rng: np.random.Generator) -> list[str]:
    """Half the time, a node off the fault's path reports higher latency from around the onset."""
    topo = world.topology
    on_path = {fplan.service, topo.entry_service, *topo.callers_of(fplan.service)}
    innocent = sorted(display[s] for s in topo.apps() if s not in on_path)
    if not innocent or rng.random() >= 0.5:
        return []
    node = str(rng.choice(innocent))
    factor = rng.uniform(1.4, 2.5)
    when = world.clock.start + world.clock.step * (fplan.onset_step + int(rng.integers(-3, 3)))
    if not shift_latency(metrics, node, when, factor):
        return []
    return [f"unrelated_latency_shift: {node} latency x{factor:.1f} from {to_rfc3339(round(when))} (harmless)"]


_TITLES = {
    "latency": ["{svc}: p99 latency above SLO", "High latency on {svc}", "[FIRING:1] HighRequestLatency ({svc})",
                "{svc} latency (Average) anomalous"],
    "errors": ["{svc}: error ratio above 1%", "Elevated 5xx responses on {svc}", "[FIRING:1] HighErrorRate ({svc})",
               "{svc} availability (Average) anomalous"],
}


def _incident(world: World, fplan: FaultPlan, symptom: str, ctx: FaultContext, plan: CasePlan,
              display: dict[str, str], rng: np.random.Generator) -> dict:
    """The alert names the symptom (usually the entry, sometimes a caller whose SLO broke)."""
    topo = world.topology
    service = topo.entry_service
    if fplan.service != service and rng.random() < 0.25:
        callers = [c for c in topo.callers_of(fplan.service) if c not in (fplan.service, service)]
        service = str(rng.choice(callers)) if callers else service
    if ctx.notes.get("variant") == "queueing":
        symptom = "latency"
    titles = _TITLES[symptom]
    title = titles[3] if plan.style == "petshop-like" else titles[int(rng.integers(0, 3))]
    name = display[service]
    alert = {"alertname": "HighLatency" if symptom == "latency" else "HighErrorRate", "service": name,
             "severity": str(rng.choice(["page", "critical", "warning"])),
             "kpi": "latency_p99" if symptom == "latency" else "error_ratio"}
    first, last = world.clock.start, world.clock.end
    return {"title": title.format(svc=name), "started_at": to_rfc3339(round(plan.alert_ts)),
            "window": {"start": to_rfc3339(round(first - plan.widen[0])),
                       "end": to_rfc3339(round(last + 2 + plan.widen[1]))},
            "alert": alert}


def write_realistic(sim: RealisticIncident, out_dir: Path, compress: bool = False, force: bool = False) -> Path:
    """Write `sim` as a bundle into `out_dir` (atomically)."""
    opts = ExportOptions(**{**sim.export.__dict__, "compress": compress})
    ns = sim.world.topology.namespace

    def fill(tmp: Path) -> None:
        inc = dict(sim.incident)
        window, alert = inc.pop("window"), inc.pop("alert")
        write_toml(tmp / "incident.toml", inc, {"window": window, "alert": alert})
        write_metric_rows(tmp / "metrics.csv", sim.metrics, ns, sim.plan, sim.world.seed, compress)
        if opts.logs and sim.logs:
            json_services = {s for s, st in sim.world.services.items() if st.json_logs}
            write_logs(tmp, sim.logs, json_services, opts)
        if opts.spans and sim.spans:
            write_spans(tmp, sim.spans, opts)
        if opts.events and sim.world.events:
            write_events(tmp, sim.world.events, ns, opts)
        write_toml(tmp / "truth.toml", {"red_herrings": sim.herrings, "tags": sim.tags}, {}, sim.truth)

    return write_atomically(Path(out_dir), force, fill)


def generate_realistic_bundle(kind: str, seed: int, out_dir: Path | str, style: str | None = None,
                              severity: str | None = None, compress: bool = False, force: bool = False) -> Path:
    prepare_out_dir(Path(out_dir), force)
    return write_realistic(simulate_realistic(kind, seed, style, severity), Path(out_dir), compress, force)


def realistic_corpus_plan(cases: int, seed: int) -> list[tuple[str, str, int]]:
    """(fault kind, style, case seed) per case: kinds round-robin, styles rotating across rounds."""
    out = []
    for i in range(cases):
        kind = REALISTIC_KINDS[i % len(REALISTIC_KINDS)]
        style = STYLES[(i % len(REALISTIC_KINDS) + i // len(REALISTIC_KINDS)) % len(STYLES)]
        out.append((kind, style, zlib.crc32(f"realistic:{seed}:{i}".encode()) & 0x7FFFFFFF))
    return out


def generate_realistic_corpus(out_dir: Path | str, cases: int, seed: int, compress: bool = False,
                              force: bool = False, progress=None) -> list[Path]:
    """A seeded realistic corpus: `cases` bundles under out_dir/case-NNN and an index.jsonl."""

    def write_case(row: tuple, where: Path) -> dict:
        kind, style, case_seed = row
        write_realistic(simulate_realistic(kind, case_seed, style), where, compress=compress)
        return {"kind": kind, "style": style, "seed": case_seed}

    return write_corpus(out_dir, cases, force, lambda: realistic_corpus_plan(cases, seed), write_case, progress)
