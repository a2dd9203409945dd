"""The trivial rankings every accuracy figure is printed beside (aiops.evaluation.baselines):
each computed per case on bundles whose answer is known by construction, shown by
`aiops eval` (JSON `baselines`, a baseline table and a "best trivial top-1/3" column), and
`--min-top1` failing a run whose top-1 is below the best of them."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from inprocess_cli import run_aiops

from aiops.domain import Incident, TimeWindow
from aiops.evaluation.baselines import BaselineScores, baseline_scores, expected_hit
from aiops.telemetry.bundle import load_bundle

T0 = 1_700_000_000
ONSET = T0 + 1200
END = T0 + 1800
SERVICES = ("api", "cart", "db", "web")
CALM = (0.29, 0.30, 0.31, 0.30)


def write_case(root: Path, *, jump: str = "", counter: str = "", slow: str = "", steady_errors: str = "",
               new_errors: str = "", truth: str = "") -> Path:
    """Four services with calm cpu_usage_ratio every 15 s and info logs every 10 s. `jump`'s
    CPU rises by 0.4 at the alert; a service `counter` (one more) exports only a requests_total
    counter growing 5/s all along; `slow` serves root spans of 10 ms that take 50 ms after the alert (the others'
    spans stay at 10 ms); `steady_errors` logs an error line every 10 s all along; `new_errors`
    logs one every 10 s from the alert on."""
    root.mkdir(parents=True)
    (root / "incident.toml").write_text(f'title = "checkout is failing"\nstarted_at = {ONSET}\n'
                                        f'[window]\nstart = {T0}\nend = {END}\n')
    metrics = ["timestamp,metric,value,service"]
    for j, t in enumerate(range(T0, END, 15)):
        for s in SERVICES:
            metrics.append(f"{t},cpu_usage_ratio,{CALM[j % 4] + (0.4 if s == jump and t >= ONSET else 0.0):.2f},{s}")
        if counter:
            metrics.append(f"{t},requests_total,{1000 + 5 * (t - T0)},{counter}")
    (root / "metrics.csv").write_text("\n".join(metrics) + "\n")
    logs = ["timestamp,service,level,message"]
    for i, t in enumerate(range(T0, END, 10)):
        logs += [f"{t},{s},info,served request {i}" for s in SERVICES]
        if steady_errors:
            logs.append(f"{t},{steady_errors},error,connection refused by peer")
        if new_errors and t >= ONSET:
            logs.append(f"{t},{new_errors},error,pool exhausted: timeout acquiring connection")
    (root / "logs.csv").write_text("\n".join(logs) + "\n")
    if slow:
        spans = ["trace_id,span_id,parent_span_id,service,operation,start,duration_us"]
        for i, t in enumerate(range(T0, END, 20)):
            for s in SERVICES:
                us = (50_000 if s == slow and t >= ONSET else 10_000) + 100 * (i % 3)
                spans.append(f"{s}{i},{s}{i},,{s},GET /{s},{t}000000000,{us}")
        (root / "spans.csv").write_text("\n".join(spans) + "\n")
    if truth:
        (root / "truth.toml").write_text(f'[[root_cause]]\nservice = "{truth}"\nkind = "pool"\n')
    return root


def scores_of(root: Path) -> BaselineScores:
    loaded = load_bundle(root)
    try:
        return baseline_scores(loaded.store, loaded.incident)
    finally:
        loaded.store.close()


def top(scores: dict[str, float]) -> str:
    return max(scores, key=lambda s: scores[s])


def test_each_trivial_ranking_finds_the_service_it_is_built_to_find(tmp_path):
    s = scores_of(write_case(tmp_path / "b", jump="cart", counter="edge", slow="api", new_errors="db",
                             steady_errors="web"))
    assert s.services == ("api", "cart", "db", "edge", "web")
    # cart's CPU moved 0.41 from the median over an IQR of 0.005
    assert top(s.scores["metric_shift"]) == "cart" and s.scores["metric_shift"]["cart"] == pytest.approx(82)
    # edge's counter grows all along but at one rate: it did not move (its raw values would be z 2)
    assert s.scores["metric_shift"]["edge"] == 0.0, "a counter is ranked by its rate, not by its growing value"
    assert top(s.scores["span_latency"]) == "api" and s.scores["span_latency"]["api"] > 100
    assert s.scores["span_latency"]["db"] < 1
    # error lines after the alert: as many from db's new failures as from web's steady ones
    assert s.scores["error_logs"] == {"db": 60.0, "web": 60.0}
    assert s.hit("metric_shift", ("cart",), 1) == 1.0 and s.hit("span_latency", ("api",), 1) == 1.0
    assert s.hit("error_logs", ("db",), 1) == 0.5, "tied with web at the cut: half the chance"
    assert s.hit("random", ("db",), 1) == 0.2
    assert s.hit("error_logs", ("db",), 2) == 1.0


def test_error_logs_count_only_the_lines_after_the_alert(tmp_path):
    s = scores_of(write_case(tmp_path / "b", steady_errors="web", new_errors="db"))
    assert s.scores["error_logs"]["db"] == s.scores["error_logs"]["web"] == 60.0      # 600 s at one a 10 s
    s = scores_of(write_case(tmp_path / "c", new_errors="db"))
    assert s.scores["error_logs"] == {"db": 60.0} and s.hit("error_logs", ("db",), 1) == 1.0
    assert s.hit("error_logs", ("api",), 1) == 0.0 and s.hit("error_logs", ("api",), 4) == 1.0


def test_a_ranking_without_data_cannot_tell_services_apart(tmp_path):
    s = scores_of(write_case(tmp_path / "b", jump="cart"))
    assert s.scores["span_latency"] == {}                       # no spans
    assert s.hit("span_latency", ("cart",), 1) == pytest.approx(0.25)
    assert s.hit("random", ("cart",), 1) == 0.25 and s.hit("random", ("cart",), 3) == 0.75
    assert s.hit("random", ("cart",), 5) == 1.0
    assert s.hit("random", ("nowhere",), 5) == 0.0, "a truth without data is never hit"


def test_ties_are_scored_by_their_expectation_and_services_without_data_come_last():
    services = ("a", "b", "c", "d", "e")
    scores = {"a": 5.0, "b": 5.0, "c": 1.0}                      # d and e have no score
    assert expected_hit(scores, services, ("a",), 1) == 0.5
    assert expected_hit(scores, services, ("b",), 2) == 1.0
    assert expected_hit(scores, services, ("c",), 2) == 0.0 and expected_hit(scores, services, ("c",), 3) == 1.0
    assert expected_hit(scores, services, ("d",), 3) == 0.0
    assert expected_hit(scores, services, ("d",), 4) == 0.5
    assert expected_hit(scores, services, ("c", "a"), 1) == 0.5, "the best-placed of several true services"
    assert expected_hit(scores, services, ("zz",), 5) == 0.0
    assert expected_hit({"a": -math.inf}, ("a",), ("a",), 1) == 1.0


def test_without_started_at_the_alert_splits_the_window_in_the_middle(tmp_path):
    from aiops.evaluation.baselines import onset_of

    assert onset_of(Incident("x", TimeWindow(100.0, 300.0))) == 200.0
    assert onset_of(Incident("x", TimeWindow(100.0, 300.0), started_at=120.0)) == 120.0


# -- aiops eval --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def suite(tmp_path_factory) -> Path:
    """Two cases, db the truth in both. In `burst` db starts failing at the alert (the agent
    finds it); in `loud` cart's CPU jumps while db has failed all along, so the agent names
    cart, and counting error lines names db: the error-log ranking beats the agent."""
    root = tmp_path_factory.mktemp("suite")
    write_case(root / "burst", new_errors="db", truth="db")
    write_case(root / "loud", jump="cart", steady_errors="db", truth="db")
    return root


def aiops_eval(*args: object, tmp: Path):
    return run_aiops("eval", *args, env={"AIOPS_GENERAL_DATA_DIR": str(tmp / "data"), "COLUMNS": "160"})


@pytest.fixture(scope="module")
def report(suite, tmp_path_factory) -> dict:
    out = aiops_eval("--corpus", suite, "--json", tmp=tmp_path_factory.mktemp("eval"))
    assert out.exit_code == 0, out.stderr
    return json.loads(out.stdout)


def test_eval_json_reports_every_baseline_overall_and_per_case(report):
    doc = report
    assert doc["top1"] == 0.5, [r["ranked"] for r in doc["results"]]
    base = doc["baselines"]
    assert list(base) == ["random", "metric_shift", "span_latency", "error_logs"]
    assert base["random"] == {"top1": 0.25, "top3": 0.75, "top5": 1.0}
    assert base["error_logs"] == {"top1": 1.0, "top3": 1.0, "top5": 1.0}
    loud = next(r for r in doc["results"] if r["name"] == "loud")
    assert loud["ranked"][0] == "cart" and loud["baselines"]["metric_shift"][0] == 0.0
    assert loud["baselines"]["error_logs"] == [1.0, 1.0, 1.0]
    assert doc["by_kind"]["pool"]["baselines"]["error_logs"]["top1"] == 1.0


def test_eval_text_prints_the_baselines_and_min_top1_fails_below_the_best_of_them(suite, tmp_path):
    out = aiops_eval("--corpus", suite, "--min-top1", "0.4", tmp=tmp_path)
    assert out.exit_code == 1, "50 % clears --min-top1 0.4 but not the error-log ranking's 100 %"
    assert "top-1 accuracy 50.00% is below the trivial ranking error logs (100.00%)" in out.stderr
    assert "best trivial top-1/3" in out.stdout
    rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:-1]]
            for line in out.stdout.splitlines() if line.count("│") >= 4}
    assert rows["aiops"] == ["50%", "100%", "100%"]
    assert rows["error logs"] == ["100%", "100%", "100%"] and rows["random"] == ["25%", "75%", "100%"]
    assert rows["pool"][:5] == ["2", "50%", "100%", "100%", "100% / 100%"]


def test_min_top1_names_its_own_figure_first(suite, tmp_path):
    out = aiops_eval("--corpus", suite / "loud", "--json", "--min-top1", "0.6", tmp=tmp_path)
    assert out.exit_code == 1 and "top-1 accuracy 0.00% is below --min-top1 60.00%" in out.stderr
    assert "trivial ranking" not in out.stderr


def test_min_top1_passes_when_the_agent_is_as_good_as_every_baseline(suite, tmp_path):
    out = aiops_eval("--corpus", suite / "burst", "--json", "--min-top1", "0.5", tmp=tmp_path)
    assert out.exit_code == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["top1"] == 1.0 and max(b["top1"] for b in doc["baselines"].values()) == 1.0
