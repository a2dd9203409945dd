"""A real Prometheus (Debian's package) loaded with a simulated incident's metrics through
`promtool tsdb create-blocks-from openmetrics`: the live diagnosis must rank the same top
root cause as the bundle's, the read methods must answer like the server, and a window
that runs past the data must be reported as partial."""

from __future__ import annotations

import json
import shutil

import pytest
from inprocess_cli import run_aiops

from aiops.telemetry.alerts import Alert, webhook_payload
from aiops.timeutil import to_rfc3339

pytestmark = pytest.mark.live


def diagnosis(*args) -> dict:
    result = run_aiops(*args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def window_flags(incident, end_extra_s: float = 0.0) -> list[str]:
    return ["--start", to_rfc3339(incident.window.start), "--end", to_rfc3339(incident.window.end + end_extra_s)]


@pytest.fixture(scope="module")
def alert_file(sim_loaded, tmp_path_factory):
    """The bundle's alert as the Alertmanager webhook payload an operator would have."""
    inc = sim_loaded.incident
    alert = Alert(labels=dict(inc.alert), annotations={"summary": inc.title, "description": inc.symptom},
                  starts_at=inc.started_at)
    path = tmp_path_factory.mktemp("alert") / "payload.json"
    path.write_text(json.dumps(webhook_payload(alert)))
    return path


def test_prometheus_plus_files_rank_the_bundles_top_cause(prometheus, sim_bundle, sim_loaded, alert_file,
                                                          bundle_answer, config):
    # The live side reads metrics from Prometheus and the logs, spans and events an operator
    # would have as files; the incident comes from the same alert. Nothing reads the bundle's
    # metrics.csv, incident.toml or truth.toml.
    files = [str(sim_bundle / n) for n in ("logs.csv", "spans.csv", "events.jsonl")]
    cfg = config(f'[sources.prometheus.main]\nurl = "{prometheus.url}"\n'
                 f'[sources.files.exports]\npaths = {json.dumps(files)}\n')
    live = diagnosis("-c", cfg, "diagnose", "--alert-file", alert_file, *window_flags(sim_loaded.incident))
    assert live["incident"]["title"] == bundle_answer["incident"]["title"]
    assert live["incident"]["window"] == bundle_answer["incident"]["window"]
    assert live["incident"]["started_at"] == bundle_answer["incident"]["started_at"]
    assert live["missing_evidence"] == []
    assert any(n.startswith("prometheus 'main': ") and "metrics" in n for n in live["notes"])
    assert live["root_causes"][0]["service"] == bundle_answer["root_causes"][0]["service"]
    assert live["root_causes"][0]["fault"] == bundle_answer["root_causes"][0]["fault"]
    metric_evidence = [e for e in live["root_causes"][0]["evidence"] if e["kind"] == "metric"]
    assert metric_evidence, "the top cause is backed by metrics read from Prometheus"


def test_prometheus_alone_matches_a_metrics_only_bundle(prometheus, sim_bundle, sim_loaded, alert_file, config,
                                                        tmp_path):
    # Same signals on both sides: only metrics (and the incident).
    metrics_only = tmp_path / "metrics-only"
    metrics_only.mkdir()
    for name in ("incident.toml", "metrics.csv"):
        shutil.copy(sim_bundle / name, metrics_only / name)
    reference = diagnosis("diagnose", "--bundle", metrics_only)
    cfg = config(f'[sources.prometheus.main]\nurl = "{prometheus.url}"\n')
    live = diagnosis("-c", cfg, "diagnose", "--alert-file", alert_file, *window_flags(sim_loaded.incident))
    assert live["root_causes"][0]["service"] == reference["root_causes"][0]["service"]
    top = live["root_causes"][0]
    assert any(":rate" in e["summary"] or "_bytes" in e["summary"] for e in top["evidence"]), \
        "counters arrive as server-side rates and gauges as they are"


def test_window_past_the_data_is_reported_as_partial(prometheus, sim_loaded, config):
    cfg = config(f'[sources.prometheus.main]\nurl = "{prometheus.url}"\n')
    live = diagnosis("-c", cfg, "diagnose", "--live", *window_flags(sim_loaded.incident, end_extra_s=40 * 60))
    assert live["root_causes"], "a diagnosis still comes out"
    gaps = [m for m in live["missing_evidence"] if m.startswith("prometheus 'main': samples end at")]
    assert gaps and "partial data" in gaps[0]


def test_read_methods_answer_from_the_server(prometheus, sim_loaded):
    from aiops.telemetry.live.registry import build_source

    prom = build_source("prometheus", "t", {"url": prometheus.url})
    w = sim_loaded.incident.window
    services_in_bundle = set(sim_loaded.store.services_by_table()["metrics"])
    assert set(prom.label_values("service", start=w.start, end=w.end)) == services_in_bundle
    assert "pod" in prom.label_names(w.start, w.end)
    series = prom.series('up{namespace="shop"}', w.start, w.end)
    assert {s["service"] for s in series} <= services_in_bundle and len(series) >= len(services_in_bundle)
    up = prom.query('count(up{namespace="shop"})', at=w.end)
    fresh = sim_loaded.store.sql("SELECT count(DISTINCT (pod, labels)) AS n FROM metrics WHERE metric = 'up' "
                                 "AND ts > $e - 300 AND ts <= $e", {"e": w.end})       # the 5 min lookback
    assert float(up[0]["value"][1]) == int(fresh["n"][0])
    ranged = prom.query_range('sum(up{namespace="shop"})', w.start, w.end, 60)
    stamps = [t for t, _ in ranged[0]["values"]]
    assert stamps[-1] == w.end and {b - a for a, b in zip(stamps, stamps[1:])} == {60}
    top = prom.topk(2, "container_memory_working_set_bytes", w.start, w.end)
    assert len(top) == 2
    worst = max(float(s["value"][1]) for s in top)
    grid = sim_loaded.store.sql("SELECT max(value) AS v FROM metrics WHERE metric = 'container_memory_working_set_bytes' "
                                "AND ts >= $s AND ts <= $e", {"s": w.start, "e": w.end})
    assert worst == pytest.approx(float(grid["v"][0]), rel=1e-9), "topk is evaluated by Prometheus over the window"
    prom.close()


def test_a_small_series_budget_keeps_the_same_worst_series_at_every_step(prometheus, sim_loaded):
    from aiops.telemetry.live.registry import build_source

    w = sim_loaded.incident.window
    full = build_source("prometheus", "t", {"url": prometheus.url, "include": "container_memory_working_set_bytes"})
    capped = build_source("prometheus", "t", {"url": prometheus.url, "include": "container_memory_working_set_bytes",
                                              "max_series": 3})
    every = full.fetch(w).batch.metrics
    top = capped.fetch(w)
    assert top.problems == [] and len(top.batch.metrics) == 3 < len(every)
    assert any("topk(3, max_over_time(" in q and " @ " in q for q in top.queries)
    peak = {s["metric"]["pod"]: max(float(v) for _, v in s["values"]) for s in every}
    worst = sorted(peak, key=peak.get, reverse=True)[:3]
    assert sorted(s["metric"]["pod"] for s in top.batch.metrics) == sorted(worst)
    assert all(len(s["values"]) > 100 for s in top.batch.metrics), "each kept series covers the window"


def test_snapshot_round_trips_through_bundle_validate_and_diagnose(prometheus, sim_bundle, sim_loaded, alert_file,
                                                                   config, tmp_path):
    files = [str(sim_bundle / n) for n in ("logs.csv", "spans.csv", "events.jsonl")]
    cfg = config(f'[sources.prometheus.main]\nurl = "{prometheus.url}"\n'
                 f'[sources.files.exports]\npaths = {json.dumps(files)}\n')
    flags = ["--alert-file", alert_file, *window_flags(sim_loaded.incident)]
    live = diagnosis("-c", cfg, "diagnose", *flags)
    out = tmp_path / "snap"
    made = run_aiops("-c", cfg, "snapshot", "--out", out, *flags)
    assert made.exit_code == 0, made.stderr
    assert f"wrote {out}" in made.stdout
    assert sorted(p.name for p in out.iterdir()) == ["SNAPSHOT.md", "alert.json", "events.jsonl", "incident.toml",
                                                     "logs.jsonl", "metrics.csv", "spans.jsonl"]
    checked = run_aiops("bundle", "validate", out, "--format", "json")
    assert checked.exit_code == 0, checked.stderr
    report = json.loads(checked.stdout)
    assert report["warnings"] == []
    assert report["incident"]["title"] == live["incident"]["title"]
    assert report["incident"]["started_at"] == live["incident"]["started_at"]
    assert set(report["services"]) == set(sim_loaded.store.services())
    replay = diagnosis("diagnose", "--bundle", out)
    assert replay["root_causes"][0]["service"] == live["root_causes"][0]["service"]
    assert [c["service"] for c in replay["root_causes"][:3]] == [c["service"] for c in live["root_causes"][:3]]

    again = run_aiops("-c", cfg, "snapshot", "--out", out, *flags)
    assert again.exit_code == 2 and "not empty" in again.stderr and "--force" in again.stderr
