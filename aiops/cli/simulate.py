"""`aiops simulate`: write realistic incident bundles (demo, fixtures, evaluation corpora).

    aiops simulate --list
    aiops simulate --scenario memory_leak --seed 7 --out out/leak [--topology trainticket] [--compress]
    aiops simulate --corpus out/corpus --cases 60 --seed 1 [--compress]
    aiops simulate --profile realistic --corpus out/real --cases 60 --seed 101
    aiops simulate --profile realistic --scenario cpu_contention --seed 7 --out out/one
    aiops simulate --release clean|regression --seed 3 --out out/rel [--regression latency] [--history-days 1]
    aiops simulate --releases out/releases --clean 50 --regressions 20 --seed 1

Bundle paths go to standard output (one a line); progress goes to standard error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from aiops.errors import BadInputError


def simulate_command(
    scenario: Optional[str] = typer.Option(None, "--scenario", "-s", help="Scenario to simulate (see --list)."),
    seed: int = typer.Option(0, "--seed", help="Seed: the same seed writes the same bytes."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Directory for one bundle."),
    corpus: Optional[Path] = typer.Option(None, "--corpus",
                                          help="Directory for a corpus (one case-NNN bundle per case)."),
    cases: int = typer.Option(60, "--cases",
                              help="Number of corpus cases, spread evenly over fault kinds and topologies."),
    topology: str = typer.Option("webshop", "--topology", "-t", help="webshop or trainticket (single bundles)."),
    target: Optional[str] = typer.Option(None, "--target", help="Service to hit instead of the scenario's choice."),
    severity: Optional[str] = typer.Option(None, "--severity",
                                           help="mild, moderate or severe instead of the seeded choice."),
    compress: bool = typer.Option(False, "--compress", help="Write data files gzip-compressed (metrics.csv.gz, ...)."),
    all_signals: bool = typer.Option(False, "--all-signals",
                                     help="Never leave a signal out (by default some bundles, like real exports, "
                                          "miss traces or logs)."),
    force: bool = typer.Option(False, "--force", help="Replace a non-empty --out/--corpus directory."),
    list_scenarios: bool = typer.Option(False, "--list", help="List scenarios with a one-line description and exit."),
    profile: str = typer.Option("classic", "--profile",
                                help="classic (the regression corpora) or realistic (shaped like public "
                                     "fault-injection data, only harder: minute scrapes, short pre-alert data, "
                                     "late alerts, missing modalities, one-modality faults)."),
    release: Optional[str] = typer.Option(None, "--release", help="Simulate a release instead of an incident: clean "
                                                                  "or regression (with --out)."),
    regression: Optional[str] = typer.Option(None, "--regression", help="The regression a release brings: latency, "
                                                                        "errors, crash_loop, error_log or cpu "
                                                                        "(default: seeded)."),
    history_days: int = typer.Option(1, "--history-days", help="Releases: previous days whose same hours the bundle "
                                                               "also holds (0-7)."),
    releases: Optional[Path] = typer.Option(None, "--releases", help="Directory for many releases "
                                                                     "(release-NNN bundles and index.jsonl)."),
    clean: int = typer.Option(0, "--clean", help="With --releases: number of clean releases."),
    regressions: int = typer.Option(0, "--regressions", help="With --releases: number of releases with a regression."),
) -> None:
    """Simulate incidents (or releases) on a microservice topology and write them as bundles."""
    from aiops import simulator

    if profile not in ("classic", "realistic"):
        raise BadInputError(f"--profile {profile!r}: choose classic or realistic")
    if profile == "realistic":
        _realistic(scenario, seed, out, corpus, cases, compress, force, list_scenarios, severity,
                   extras={"--release": release, "--releases": releases, "--regression": regression,
                           "--target": target, "--all-signals": all_signals or None})
        return
    if release is not None or releases is not None:
        _releases(release, regression, history_days, releases, clean, regressions, seed, out, topology, compress,
                  force, scenario, corpus)
        return
    if regression is not None:
        raise BadInputError("--regression goes with --release regression")
    if list_scenarios:
        width = max(len(n) for n in simulator.SCENARIOS)
        for name in simulator.SCENARIOS:
            typer.echo(f"{name:<{width}}  {simulator.SCENARIO_SPECS[name].description}")
        return
    if topology not in simulator.TOPOLOGY_NAMES:
        raise BadInputError(f"--topology {topology!r}: choose one of {', '.join(simulator.TOPOLOGY_NAMES)}")
    if (out is None) == (corpus is None):
        raise BadInputError("give exactly one of --out DIR (with --scenario) or --corpus DIR (or --list)")
    if corpus is not None:
        if scenario is not None or target is not None or severity is not None:
            raise BadInputError("--corpus covers every fault kind: drop --scenario/--target/--severity")

        def progress(done: int, total: int, name: str) -> None:
            typer.echo(f"[{done}/{total}] {name}", err=True)

        for path in simulator.generate_corpus(corpus, cases, seed, compress=compress, force=force, progress=progress):
            typer.echo(str(path))
        return
    if scenario is None:
        raise BadInputError("--out needs --scenario NAME (see aiops simulate --list)")
    if scenario not in simulator.SCENARIOS:
        raise BadInputError(f"--scenario {scenario!r}: unknown; choose one of {', '.join(simulator.SCENARIOS)}")
    assert out is not None
    path = simulator.generate_bundle(scenario, seed, out, topology=topology, compress=compress, force=force,
                                     full_signals=all_signals, target=target, severity=severity)
    typer.echo(str(path))


def _realistic(scenario: str | None, seed: int, out: Path | None, corpus: Path | None, cases: int, compress: bool,
               force: bool, list_scenarios: bool, severity: str | None, extras: dict) -> None:
    from aiops.simulator.realistic import REALISTIC_FAULTS, generate_realistic_bundle, generate_realistic_corpus

    given = [flag for flag, value in extras.items() if value is not None]
    if given:
        raise BadInputError(f"{given[0]} does not go with --profile realistic")
    if list_scenarios:
        width = max(len(n) for n in REALISTIC_FAULTS)
        for name, fault in REALISTIC_FAULTS.items():
            typer.echo(f"{name:<{width}}  {fault.description}")
        return
    if (out is None) == (corpus is None):
        raise BadInputError("give exactly one of --out DIR (with --scenario) or --corpus DIR (or --list)")
    if corpus is not None:
        if scenario is not None or severity is not None:
            raise BadInputError("--corpus covers every fault kind: drop --scenario/--severity")

        def progress(done: int, total: int, name: str) -> None:
            typer.echo(f"[{done}/{total}] {name}", err=True)

        for path in generate_realistic_corpus(corpus, cases, seed, compress=compress, force=force, progress=progress):
            typer.echo(str(path))
        return
    if scenario is None or scenario not in REALISTIC_FAULTS:
        raise BadInputError(f"--scenario {scenario!r}: with --profile realistic choose one of "
                            f"{', '.join(REALISTIC_FAULTS)}")
    assert out is not None
    typer.echo(str(generate_realistic_bundle(scenario, seed, out, severity=severity, compress=compress, force=force)))


def _releases(release: str | None, regression: str | None, history_days: int, releases: Path | None, clean: int,
              regressions: int, seed: int, out: Path | None, topology: str, compress: bool, force: bool,
              scenario: str | None, corpus: Path | None) -> None:
    from aiops.simulator.release import generate_release_bundle, generate_release_corpus

    if scenario is not None or corpus is not None:
        raise BadInputError("--release/--releases simulate releases: drop --scenario/--corpus")
    if releases is not None:
        if release is not None or out is not None or regression is not None:
            raise BadInputError("--releases DIR writes many releases: drop --release/--out/--regression "
                                "(use --clean N --regressions M)")

        def progress(done: int, total: int, name: str) -> None:
            typer.echo(f"[{done}/{total}] {name}", err=True)

        for path in generate_release_corpus(releases, clean, regressions, seed, history_days=history_days,
                                            force=force, compress=compress, progress=progress):
            typer.echo(str(path))
        return
    if out is None:
        raise BadInputError("--release needs --out DIR")
    typer.echo(str(generate_release_bundle(release, seed, out, topology=topology, regression=regression,
                                           history_days=history_days, force=force, compress=compress)))
