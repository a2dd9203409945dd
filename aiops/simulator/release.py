"""Simulated releases: a deploy at a chosen time, clean or carrying a regression, as a bundle.

    sim = simulate_release("regression", seed=3)                 # in memory
    generate_release_bundle("clean", seed=3, out_dir="out/rel")  # a bundle
    generate_release_corpus("out/releases", clean=50, regressions=20, seed=1)

A release bundle holds the hour and a quarter before the deploy and half an hour after it
(15 s scrapes), plus the same hours of `history_days` previous days, the way a Prometheus,
Loki and Tempo export of those windows would look. The previous days share the release
day's pods and ordinary noise (same CronJob, same always-noisy service) but draw their own
traffic, spikes and restarts. The release itself is a rolling deploy of one application
service (a `deploy` event naming the new version, new pods, warm-up); a regression release
also changes that service from the deploy on (see `release_changes`).

Only `truth.toml` says whether a release is clean; the corpus index names neither the kind
nor the regression.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from aiops.errors import BadInputError
from aiops.simulator import naming
from aiops.simulator.bundle import _export_options
from aiops.simulator.contention import apply_contention
from aiops.simulator.faults import rolling_deploy
from aiops.simulator.logs import LogRecord, build_logs
from aiops.simulator.metrics import Series, build_series
from aiops.simulator.release_changes import (
    REGRESSION_KINDS, apply_regression, new_version, persistent_noise, pick_released_service, transient_noise,
    warm_up,
)
from aiops.simulator.signals import compute_signals
from aiops.simulator.topologies import TOPOLOGY_NAMES, get_topology
from aiops.simulator.traces import Span, build_traces
from aiops.simulator.traffic import entry_rates, nominal_load, simulate_traffic
from aiops.simulator.world import Clock, World, build_world
from aiops.simulator.writer import (
    ExportOptions, prepare_out_dir, write_atomically, write_events, write_logs, write_metrics, write_spans, write_toml,
)
from aiops.timeutil import to_rfc3339

RELEASE_KINDS = ("clean", "regression")
PRE_S = 75 * 60.0        # data before the deploy: a 1 h baseline and a margin
POST_S = 30 * 60.0       # data after the deploy
STEP_S = 15.0
DAY_S = 86400.0


@dataclass(frozen=True)
class ReleasePlan:
    kind: str                # clean | regression
    regression: str          # one of REGRESSION_KINDS, "" when clean
    service: str             # the released service
    version: str
    previous_version: str
    deployed_at: float       # unix seconds of the deploy event
    topology: str
    seed: int
    history_days: int


@dataclass
class Segment:
    world: World
    series: list[Series]
    logs: list[LogRecord]
    spans: list[Span]


@dataclass
class SimulatedRelease:
    plan: ReleasePlan
    segments: list[Segment]              # oldest first; the last one is the release day
    change: str                          # what the regression did ("" when clean)
    noise: list[str] = field(default_factory=list)
    export: ExportOptions = field(default_factory=ExportOptions)

    @property
    def release_day(self) -> Segment:
        return self.segments[-1]

    def incident(self) -> dict:
        p, clock = self.plan, self.release_day.world.clock
        return {"title": f"Release {p.version} of {p.service}",
                "symptom": f"post-release check of {p.service} {p.previous_version} -> {p.version}",
                "window": {"start": to_rfc3339(clock.start), "end": to_rfc3339(clock.end)}}

    def truth(self) -> dict:
        p = self.plan
        release = {"kind": p.kind, "regression": p.regression, "service": p.service, "version": p.version,
                   "deployed_at": to_rfc3339(round(p.deployed_at, 3)), "change": self.change}
        causes = [{"service": p.service, "kind": p.regression}] if p.kind == "regression" else []
        return {"release": release, "root_cause": causes, "noise": self.noise}


def _validate(kind: str, regression: str | None, topology: str, history_days: int) -> None:
    if kind not in RELEASE_KINDS:
        raise BadInputError(f"--release {kind!r}: choose one of {', '.join(RELEASE_KINDS)}")
    if regression is not None and regression not in REGRESSION_KINDS:
        raise BadInputError(f"--regression {regression!r}: choose one of {', '.join(REGRESSION_KINDS)}")
    if regression is not None and kind == "clean":
        raise BadInputError("--regression only goes with --release regression")
    if topology not in TOPOLOGY_NAMES:
        raise BadInputError(f"--topology {topology!r}: choose one of {', '.join(TOPOLOGY_NAMES)}")
    if not 0 <= history_days <= 7:
        raise BadInputError(f"--history-days {history_days}: choose 0 to 7")


def simulate_release(kind: str, seed: int, topology: str = "webshop", regression: str | None = None,
                     history_days: int = 1) -> SimulatedRelease:
    """Simulate a release (in memory). `regression` defaults to a seeded choice for kind "regression"."""
    _validate(kind, regression, topology, history_days)
    topo = get_topology(topology)
    rng = naming.stream(seed, "release:plan")
    day = 1704067200 + DAY_S * int(rng.integers(0, 330))
    deploy_step = int(PRE_S / STEP_S)
    start = day + 60 * int(rng.integers(0, 24 * 60)) - PRE_S
    n = int((PRE_S + POST_S) / STEP_S)
    if kind == "regression" and regression is None:
        regression = REGRESSION_KINDS[int(rng.integers(0, len(REGRESSION_KINDS)))]
    probe = build_world(topo, Clock(start, STEP_S, n), seed)
    service = pick_released_service(probe, rng)
    version = new_version(probe, service, rng)
    lead = float(rng.uniform(5, 40))           # the deploy event comes a little before the new pods serve

    segments, noise, change, deployed_at = [], [], "", 0.0
    for back in range(history_days, -1, -1):
        clock = Clock(start - back * DAY_S, STEP_S, n)
        world = build_world(topo, clock, seed)        # same pods and versions every day
        if back:
            world.seed = zlib.crc32(f"{seed}:day-{back}".encode()) & 0x7FFFFFFF   # the day's own noise
        rates = entry_rates(world)
        load = nominal_load(world, rates)
        day_noise = persistent_noise(world, service, naming.stream(seed, "release:persistent"))
        day_noise += transient_noise(world, service, naming.stream(world.seed, "release:transient"))
        if not back:
            noise = day_noise
            deploy_rng = naming.stream(seed, "release:deploy")
            deployed_at = clock.start + STEP_S * deploy_step - lead
            image = f"registry.example.com/{topo.namespace}/{service}:{version}"
            rolling_deploy(world, service, deploy_step, deployed_at, version, image, deploy_rng)
            warm_up(world, service, deploy_step, load, deploy_rng)
            if kind == "regression":
                change = apply_regression(world, regression, service, deploy_step, load,
                                          naming.stream(seed, "release:regression"))
        apply_contention(world, load)
        traffic = simulate_traffic(world, rates)
        signals = compute_signals(world, traffic)
        series = build_series(world, signals)
        spans = build_traces(world, traffic)
        segments.append(Segment(world, series, build_logs(world, traffic, signals, spans), spans))
    plan = ReleasePlan(kind, regression or "", service, version, probe.services[service].version, deployed_at,
                       topology, seed, history_days)
    return SimulatedRelease(plan, segments, change, noise, _export_options(seed, True))


def write_release(sim: SimulatedRelease, out_dir: Path, force: bool = False, compress: bool = False) -> Path:
    """Write `sim` as one bundle (every day's data in the same files), atomically."""
    opts = sim.export if not compress else ExportOptions(**{**sim.export.__dict__, "compress": True})
    world = sim.release_day.world
    ns = world.topology.namespace

    def fill(tmp: Path) -> None:
        inc = sim.incident()
        window = inc.pop("window")
        write_toml(tmp / "incident.toml", inc, {"window": window})
        series = [s for seg in sim.segments for s in seg.series]
        write_metrics(tmp / "metrics.csv", series, ns, opts, naming.stream(world.seed, "export:metrics"),
                      instance=world.topology.metric_style == "cadvisor")
        json_services = {s for s, st in world.services.items() if st.json_logs}
        write_logs(tmp, [r for seg in sim.segments for r in seg.logs], json_services, opts)
        write_spans(tmp, [sp for seg in sim.segments for sp in seg.spans], opts)
        write_events(tmp, [e for seg in sim.segments for e in seg.world.events], ns, opts)
        truth = sim.truth()
        write_toml(tmp / "truth.toml", {"noise": truth["noise"]}, {"release": truth["release"]},
                   {"root_cause": truth["root_cause"]})

    return write_atomically(Path(out_dir), force, fill)


def generate_release_bundle(kind: str, seed: int, out_dir: Path | str, topology: str = "webshop",
                            regression: str | None = None, history_days: int = 1, force: bool = False,
                            compress: bool = False) -> Path:
    """Simulate a release and write it as a bundle; returns the bundle path."""
    prepare_out_dir(Path(out_dir), force)
    sim = simulate_release(kind, seed, topology, regression, history_days)
    return write_release(sim, Path(out_dir), force=force, compress=compress)


def release_corpus_plan(clean: int, regressions: int, seed: int) -> list[tuple[str, str | None, str, int]]:
    """(kind, regression, topology, case seed) per case, shuffled so case names say nothing."""
    cases: list[tuple[str, str | None, str, int]] = []
    for i in range(clean):
        cases.append(("clean", None, TOPOLOGY_NAMES[i % len(TOPOLOGY_NAMES)], _case_seed(seed, f"clean:{i}")))
    for i in range(regressions):
        kind = REGRESSION_KINDS[i % len(REGRESSION_KINDS)]
        topology = TOPOLOGY_NAMES[(i // len(REGRESSION_KINDS) + i) % len(TOPOLOGY_NAMES)]
        cases.append(("regression", kind, topology, _case_seed(seed, f"regression:{i}")))
    order = naming.stream(seed, "release:corpus").permutation(len(cases))
    return [cases[int(i)] for i in order]


def _case_seed(seed: int, key: str) -> int:
    return zlib.crc32(f"{seed}:{key}".encode()) & 0x7FFFFFFF


def generate_release_corpus(out_dir: Path | str, clean: int, regressions: int, seed: int, history_days: int = 1,
                            force: bool = False, compress: bool = False, progress=None) -> list[Path]:
    """`clean + regressions` release bundles under out_dir/release-NNN and an index.jsonl that
    holds what a pipeline knows (release tag, deploy time, topology, seed) and nothing more."""
    if clean < 0 or regressions < 0 or clean + regressions < 1:
        raise BadInputError(f"--clean {clean} --regressions {regressions}: need at least one release")
    out = Path(out_dir)
    prepare_out_dir(out, force)
    plan = release_corpus_plan(clean, regressions, seed)

    def fill(tmp: Path) -> None:
        index = []
        for i, (kind, regression, topology, case_seed) in enumerate(plan):
            name = f"release-{i + 1:03d}"
            sim = simulate_release(kind, case_seed, topology, regression, history_days)
            write_release(sim, tmp / name, compress=compress)
            index.append({"case": name, "topology": topology, "seed": case_seed, "release": sim.plan.version,
                          "deployed_at": to_rfc3339(round(sim.plan.deployed_at, 3))})
            if progress:
                progress(i + 1, len(plan), name)
        (tmp / "index.jsonl").write_text("".join(json.dumps(r) + "\n" for r in index), encoding="utf-8")

    write_atomically(out, force, fill)
    return [out / f"release-{i + 1:03d}" for i in range(len(plan))]
