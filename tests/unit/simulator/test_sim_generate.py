"""Generating bundles and corpora: determinism, atomic writes, bad input, the CLI, the demo."""

from __future__ import annotations

import collections
import re
import shlex
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from aiops.errors import BadInputError
from aiops.simulator import FAULT_KINDS, SCENARIOS, TOPOLOGY_NAMES, generate_bundle, generate_corpus
from aiops.simulator import bundle as bundle_module
from aiops.simulator.bundle import _export_options, corpus_plan
from aiops.simulator.topologies import get_topology

REPO = Path(__file__).resolve().parents[3]


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_and_other_seed_other_data(tmp_path, rd):
    a = generate_bundle("packet_loss", 5, tmp_path / "a", topology="trainticket", compress=True)
    b = generate_bundle("packet_loss", 5, tmp_path / "b", topology="trainticket", compress=True)
    c = generate_bundle("packet_loss", 6, tmp_path / "c", topology="trainticket", compress=True)
    assert _files(a) == _files(b)
    assert _files(a)["metrics.csv.gz"] != _files(c)["metrics.csv.gz"]
    assert all(name.endswith(".gz") or name.endswith(".toml") for name in _files(a))
    assert len(rd.read_metrics(a)) > 20_000          # gzip files read back as plain CSV


def test_unknown_scenario_is_bad_input_and_writes_nothing(tmp_path):
    with pytest.raises(BadInputError, match="unknown scenario 'nope'"):
        generate_bundle("nope", 1, tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_existing_output_is_kept_unless_forced(tmp_path):
    out = tmp_path / "b"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(BadInputError, match="not empty"):
        generate_bundle("crash_loop", 1, out)
    assert (out / "keep.txt").read_text() == "mine"
    generate_bundle("crash_loop", 1, out, force=True)
    assert not (out / "keep.txt").exists() and (out / "incident.toml").exists()


def test_a_failed_write_leaves_nothing_half_written(tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(bundle_module, "write_spans", boom)
    with pytest.raises(RuntimeError):
        generate_bundle("disk_full", 2, tmp_path / "out", full_signals=True)
    assert list(tmp_path.iterdir()) == []


def test_corpus_plan_spreads_cases_over_every_kind_and_both_topologies():
    plan = corpus_plan(60, seed=1)
    kinds = collections.Counter(k for k, _, _ in plan)
    assert set(kinds) == set(FAULT_KINDS) and set(kinds.values()) == {6}
    topos = collections.Counter(t for _, t, _ in plan)
    assert set(topos) == set(TOPOLOGY_NAMES) and set(topos.values()) == {30}
    assert all({t for k2, t, _ in plan if k2 == k} == set(TOPOLOGY_NAMES) for k in FAULT_KINDS)
    assert len({s for _, _, s in plan}) == 60
    assert corpus_plan(60, seed=1) == plan and corpus_plan(60, seed=2) != plan


def test_generate_corpus_writes_one_neutral_case_dir_per_case(tmp_path, rd):
    paths = generate_corpus(tmp_path / "corpus", cases=2, seed=3, compress=True)
    assert [p.name for p in paths] == ["case-001", "case-002"]
    kinds = [rd.truth_of(p)["kind"] for p in paths]
    assert kinds == list(FAULT_KINDS)[:2]
    index = rd.read_jsonl(tmp_path / "corpus" / "index.jsonl")
    assert [r["case"] for r in index] == ["case-001", "case-002"]
    assert not any(k in (tmp_path / "corpus" / "index.jsonl").read_text() for k in FAULT_KINDS)


def test_exports_are_as_messy_as_real_ones():
    opts = [_export_options(seed, full=False) for seed in range(400)]
    assert 0.1 < sum(not o.spans for o in opts) / 400 < 0.3
    assert any(not o.logs for o in opts) and any(not o.metrics for o in opts)
    assert all(o.logs or o.metrics for o in opts)
    assert {o.logs_format for o in opts} == {"csv", "jsonl", "files"}
    assert any(not o.metrics_service for o in opts) and any(o.metrics_time == "rfc3339" for o in opts)
    full = [_export_options(seed, full=True) for seed in range(50)]
    assert all(o.metrics and o.logs and o.spans and o.events for o in full)


def test_json_wrapped_container_lines_unwrap_to_the_application_line(fault_bundles, rd):
    wrapped = plain = 0
    for bundle in fault_bundles.values():
        path = rd.data_file(bundle, "logs.csv") or rd.data_file(bundle, "logs.jsonl")
        if path is None:
            continue
        rows = rd.read_csv(path) if "csv" in path.name else rd.read_jsonl(path)
        for r in rows[:3000]:
            if r["message"].startswith('{"log":'):
                wrapped += 1
                assert not rd.unwrap(r["message"]).startswith('{"log":')
            else:
                plain += 1
    assert wrapped > 100 and plain > 100


def test_topologies_are_data_with_enough_services():
    shop, tt = get_topology("webshop"), get_topology("trainticket")
    assert len(shop.apps()) >= 12 and {"postgres", "redis", "kafka"} <= set(shop.stores())
    ts_services = [s for s in tt.apps() if re.fullmatch(r"ts-[a-z0-9-]+-service", s)]
    assert 20 <= len(tt.services) <= 40 and len(ts_services) >= 20
    assert shop.metric_style != tt.metric_style
    assert not set(shop.services) & set(tt.services)


def _cli() -> typer.Typer:
    from aiops.cli.simulate import simulate_command

    app = typer.Typer()
    app.command()(simulate_command)
    return app


def test_cli_lists_scenarios_and_writes_a_bundle(tmp_path):
    runner = CliRunner()
    listed = runner.invoke(_cli(), ["--list"])
    assert listed.exit_code == 0
    assert [line.split()[0] for line in listed.stdout.splitlines()] == list(SCENARIOS)
    out = tmp_path / "b"
    res = runner.invoke(_cli(), ["--scenario", "memory_leak", "--seed", "4", "--out", str(out),
                                 "--topology", "trainticket"])
    assert res.exit_code == 0, res.output
    assert res.stdout.strip() == str(out) and (out / "truth.toml").exists()
    bad = runner.invoke(_cli(), ["--scenario", "nope", "--out", str(tmp_path / "c")])
    assert isinstance(bad.exception, BadInputError) and "nope" in str(bad.exception)
    both = runner.invoke(_cli(), ["--scenario", "crash_loop", "--out", str(tmp_path / "d"), "--corpus",
                                  str(tmp_path / "e")])
    assert isinstance(both.exception, BadInputError)


def test_demo_bundle_is_small_and_reproducible_from_its_readme(tmp_path, rd):
    demo = REPO / "demo" / "checkout-incident"
    assert sum(p.stat().st_size for p in demo.iterdir()) < 3_000_000
    readme = (REPO / "demo" / "README.md").read_text()
    cmd = shlex.split(re.search(r"^aiops simulate .*$", readme, re.M).group(0))
    args = dict(zip(cmd[2::2], cmd[3::2]))
    again = generate_bundle(args["--scenario"], int(args["--seed"]), tmp_path / "demo", compress="--compress" in cmd)
    assert _files(again) == _files(demo)
    truth = rd.truth_of(demo)
    inc = rd.read_toml(demo / "incident.toml")
    assert inc["alert"]["service"] == "frontend" and truth["service"] != "frontend"
    errors = collections.Counter(r["service"] for r in rd.read_logs(demo) if r["level"] == "error")
    assert errors.most_common(1)[0][0] != truth["service"]
