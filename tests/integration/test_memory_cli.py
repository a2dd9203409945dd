"""The incident memory end to end through the command line: a diagnosis and a verdict are
remembered, the next similar incident cites the confirmed cause, `aiops runs similar` lists it."""

from __future__ import annotations

import json

import pytest
from inprocess_cli import run_aiops


@pytest.fixture(scope="module")
def two_pool_leaks(tmp_path_factory):
    from aiops.simulator import generate_bundle

    root = tmp_path_factory.mktemp("memory")
    # the same fault on the same service, twice (another seed: other traffic, other pods, other times)
    return [generate_bundle("connection_pool_exhaustion", seed, root / f"b{seed}", target="cart") for seed in (3, 4)]


def test_a_repeat_cites_the_first_ones_confirmed_cause(two_pool_leaks, tmp_path):
    env = {"AIOPS_GENERAL_DATA_DIR": str(tmp_path / "data")}
    first, second = two_pool_leaks
    one = run_aiops("diagnose", "--bundle", first, "--format", "json", env=env)
    assert one.exit_code == 0, one.stderr
    d1 = json.loads(one.stdout)
    assert not [n for n in d1["notes"] if n.startswith("incident memory")], "nothing to recall yet"
    top = d1["root_causes"][0]
    judged = run_aiops("feedback", d1["run_id"], "--verdict", "correct", env=env)
    assert judged.exit_code == 0, judged.stderr

    two = run_aiops("diagnose", "--bundle", second, "--format", "json", env=env)
    assert two.exit_code == 0, two.stderr
    d2 = json.loads(two.stdout)
    cited = [n for n in d2["notes"] if n.startswith("incident memory: seen once before")]
    assert cited and f"run {d1['run_id']}" in cited[0]
    assert f"once confirmed: {top['fault'].replace('_', ' ')} on {top['service']}" in cited[0]

    similar = run_aiops("runs", "similar", d2["run_id"], "--json", env=env)
    assert similar.exit_code == 0, similar.stderr
    listed = json.loads(similar.stdout)["similar"]
    assert [r["run_id"] for r in listed] == [d1["run_id"]]
    assert listed[0]["confirmed"] == {"service": top["service"], "fault": top["fault"]}
    text = run_aiops("runs", "similar", d2["run_id"], env=env)
    assert f"confirmed: {top['fault'].replace('_', ' ')} on {top['service']}" in text.stdout

    off = run_aiops("runs", "similar", "nosuchrun", env=env)
    assert off.exit_code == 2 and "not in the incident memory" in off.stderr
