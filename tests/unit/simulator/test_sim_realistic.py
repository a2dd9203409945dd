"""The realistic profile: its bundles have the traits of public fault-injection data, only harder.

Bundles are read back with csv/json/tomllib, as a user would; the diagnosis is not involved.
"""

from __future__ import annotations

import collections
import math
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from aiops.errors import BadInputError
from aiops.simulator.realistic import (
    REALISTIC_KINDS,
    STYLES,
    generate_realistic_bundle,
    realistic_corpus_plan,
    simulate_realistic,
)
from aiops.simulator.realistic.metrics import histogram_quantile
from aiops.simulator.realistic.timeline import draw_plan
from aiops.telemetry.bundle import validate_bundle
from aiops.timeutil import parse_timestamp

_COUNTER_SUFFIXES = ("_total", ".time", "_sum", "_count", "_bucket", ".receive", ".transmit")


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _ts(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return parse_timestamp(value)


def _metrics(rd, bundle: Path) -> list[dict]:
    rows = rd.read_csv(rd.data_file(bundle, "metrics.csv"))
    return [{"ts": _ts(r["timestamp"]), "metric": r["metric"],
             "value": float(r["value"]) if r["value"] not in ("", "NaN") else math.nan,
             "service": r.get("service") or rd.service_of_pod(r.get("pod", "")), "pod": r.get("pod", ""),
             "le": r.get("le", "")} for r in rows]


def _series(rows: list[dict], service: str, pick) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
    """(metric, pod) -> (ts, values) of one service's series whose name `pick` accepts (no buckets)."""
    acc: dict[tuple[str, str], list[tuple[float, float]]] = collections.defaultdict(list)
    for r in rows:
        if r["service"] == service and not r["le"] and pick(r["metric"]):
            acc[(r["metric"], r["pod"])].append((r["ts"], r["value"]))
    out = {}
    for key, pts in acc.items():
        arr = np.array(sorted(pts))
        out[key] = (arr[:, 0], arr[:, 1])
    return out


def _per_second(metric: str, ts: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if metric.endswith(_COUNTER_SUFFIXES):
        ok = np.isfinite(v)
        ts, v = ts[ok], v[ok]
        d, dt = np.diff(v), np.diff(ts)
        keep = (d >= 0) & (dt > 0)
        return ts[1:][keep], d[keep] / dt[keep]
    return ts, v


def _duration_us(span: dict) -> int:
    if span.get("duration_us") not in (None, ""):
        return int(span["duration_us"])
    return (int(span["end"]) - int(span["start"])) // 1000


def _level(metric: str, ts: np.ndarray, v: np.ndarray, onset: float) -> tuple[float, float]:
    """Median before the onset and from a minute after it (per second for counters)."""
    ts, v = _per_second(metric, ts, v)
    ok = np.isfinite(v)
    before, after = v[ok & (ts < onset)], v[ok & (ts >= onset + 60)]
    return float(np.median(before)), float(np.median(after))


@pytest.fixture(scope="module")
def bundles(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("realistic")
    # Seeds whose draw leaves a few minutes of metrics and some spans before the onset.
    picks = {"a-exception": ("code_exception", 3, "system-a-like", "severe"),
             "a-return": ("return_value", 15, "system-a-like", "severe"),
             "b-contention": ("cpu_contention", 52, "system-b-like", "severe"),
             "b-overload": ("overload", 8, "system-b-like", None),
             "petshop-delay": ("network_delay", 5, "petshop-like", None)}
    return {name: generate_realistic_bundle(kind, seed, root / name, style=style, severity=sev)
            for name, (kind, seed, style, sev) in picks.items()}


def test_pre_alert_stretch_and_alert_lag_follow_the_public_data():
    a = [draw_plan("system-a-like", s) for s in range(400)]
    b = [draw_plan("system-b-like", s) for s in range(400)]
    a_min = np.array([p.pre_s for p in a]) / 60
    b_min = np.array([p.pre_s for p in b]) / 60
    assert 2 <= a_min.min() and a_min.max() <= 20 and 6 <= np.median(a_min) <= 8.5
    assert 1 <= b_min.min() and b_min.max() <= 11 and 2.5 <= np.median(b_min) <= 4.5
    assert np.mean(b_min < 3) > 0.2                       # often only 1-2 scrapes before the alert
    lags = np.array([p.lag_s for p in a + b])
    assert lags.min() >= 0 and lags.max() <= 180 and np.mean(lags > 30) > 0.5
    assert all(p.alert_ts - p.lag_s >= p.start + 60 for p in a + b)   # a healthy scrape exists
    assert all(p.logs is None for p in b)
    assert 0.05 < np.mean([p.spans is None for p in a + b]) < 0.3
    assert 0.25 < np.mean([p.widen[0] > 0 for p in a + b]) < 0.55
    assert 0.3 < np.mean([p.histograms_only for p in a + b]) < 0.8
    for s in range(100):      # faults that only spans (or logs) show always keep them
        assert draw_plan("system-b-like", s, "spans").spans is not None
        forced = draw_plan("system-a-like", s, "spans_or_logs")
        assert forced.spans is not None or forced.logs is not None


def test_system_a_like_ranges_step_and_alert(bundles, rd):
    bundle = bundles["a-exception"]
    inc, truth = rd.read_toml(bundle / "incident.toml"), rd.read_toml(bundle / "truth.toml")
    alert = parse_timestamp(inc["started_at"])
    cause = truth["root_cause"][0]
    onset = parse_timestamp(cause["onset"])
    assert 0 <= alert - onset <= 181
    assert {"realistic", "system-a-like"} <= set(truth["tags"])
    rows = _metrics(rd, bundle)
    first = min(r["ts"] for r in rows)
    assert 60 <= alert - first <= 20 * 60
    steps = collections.defaultdict(list)
    for r in rows:
        steps[(r["metric"], r["pod"], r["le"])].append(r["ts"])
    gaps = np.concatenate([np.diff(sorted(t)) for t in steps.values() if len(t) > 2])
    assert abs(np.median(gaps) - 60) < 2                  # one-minute scrapes
    services = {r["service"] for r in rows}
    assert len(services) == 47
    assert inc["alert"]["service"] != cause["service"]    # the alert names the symptom, not the cause
    window = (parse_timestamp(inc["window"]["start"]), parse_timestamp(inc["window"]["end"]))
    assert window[0] <= first and max(r["ts"] for r in rows) <= window[1]
    if "traces" in truth["tags"][2]:
        starts = [int(s["start"]) / 1e9 for s in rd.read_spans(bundle)]
        assert 5_000 <= len(starts) <= 20_000
        assert alert - 80 <= min(starts) and max(starts) <= alert + 150
    logs = rd.read_logs(bundle)
    assert 2_500 <= len(logs) <= 9_000
    assert alert - 80 <= min(r["ts"] for r in logs) and max(r["ts"] for r in logs) <= alert + 150


def test_counters_are_raw_cumulative_totals(bundles, rd):
    rows = _metrics(rd, bundles["b-overload"])
    by = collections.defaultdict(list)
    for r in rows:
        if r["metric"].endswith(_COUNTER_SUFFIXES) and math.isfinite(r["value"]):
            by[(r["metric"], r["pod"], r["le"])].append((r["ts"], r["value"]))
    assert by
    firsts = []
    for pts in by.values():
        v = np.array([x for _, x in sorted(pts)])
        assert v.min() >= 0 and np.all(np.diff(v) >= 0)   # no restarts in this case: never decreasing
        firsts.append(v[0])
    assert np.median(firsts) > 1000                       # totals since the process started, not from 0


def test_histogram_only_cases_carry_buckets_and_no_percentiles(bundles, rd):
    seen = 0
    for bundle in bundles.values():
        truth = rd.read_toml(bundle / "truth.toml")
        if "histograms-only" not in truth["tags"]:
            continue
        seen += 1
        rows = _metrics(rd, bundle)
        assert any(r["le"] == "+Inf" for r in rows)
        assert not any("p99" in r["metric"] or "p50" in r["metric"] for r in rows)
    assert seen >= 1


def test_system_b_like_has_many_spans_and_no_logs(bundles, rd):
    bundle = bundles["b-contention"]
    assert not (bundle / "logs.csv").exists() and not (bundle / "logs.jsonl").exists()
    assert not (bundle / "logs").exists()
    spans = rd.read_spans(bundle)
    assert 25_000 <= len(spans) <= 65_000
    inc = rd.read_toml(bundle / "incident.toml")
    alert = parse_timestamp(inc["started_at"])
    assert min(int(s["start"]) for s in spans) / 1e9 >= alert - 55
    assert any(s["kind"] == "client" and s["peer_service"] and s["peer_service"] in
               {x["service"] for x in spans} for s in spans)   # service-to-service client spans


def test_code_faults_show_in_spans_and_logs_while_metrics_stay_flat(bundles, rd):
    for name in ("a-exception", "a-return"):
        bundle = bundles[name]
        cause = rd.truth_of(bundle)
        root, onset = cause["service"], parse_timestamp(cause["onset"])
        rows = _metrics(rd, bundle)
        checked = 0
        for (metric, _), (ts, v) in _series(rows, root, lambda m: True).items():
            if "p99" in metric or "p95" in metric or "p90" in metric:
                continue                                  # tails of a few requests a minute: noise
            before, after = _level(metric, ts, v, onset)
            assert 0.7 <= after / before <= 1.4, (name, metric, before, after)
            checked += 1
        assert checked >= 3
        spans = [s for s in rd.read_spans(bundle) if s["service"] == root and s["kind"] == "server"]
        late = [s for s in spans if int(s["start"]) / 1e9 >= onset + 10]
        assert late and sum(s["status"] == "ERROR" for s in late) / len(late) > 0.3
        if name == "a-return":
            assert {int(s["http_status"]) for s in late if s["status"] == "ERROR"} & {400, 404, 409, 412, 422}
        # The failure is in the logs: the root's own lines or its callers' lines naming it.
        logs = rd.read_logs(bundle)
        about = [r["message"] for r in logs if r["ts"] >= onset and (r["service"] == root or root in r["message"])]
        assert any(w in m for m in about for w in ("Exception", "exception", "error", "status", "Error"))
        before = [r for r in logs if r["ts"] < onset - 5 and root in r["message"] and r["service"] != root]
        assert 3 * len(before) < len([m for m in about if root in m])


def test_cpu_contention_moves_the_neighbours_cpu_not_the_victims(bundles, rd):
    bundle = bundles["b-contention"]
    cause = rd.truth_of(bundle)
    victim, neighbour, onset = cause["service"], cause["neighbour"], parse_timestamp(cause["onset"])
    rows = _metrics(rd, bundle)

    def cores(service: str) -> tuple[float, float]:
        (metric, _), (ts, v) = next(iter(_series(rows, service, lambda m: "cpu" in m).items()))
        before, after = _level(metric, ts, v, onset)
        scale = 0.01 if metric == "cpu_usage_percent" else 1.0       # percent of a 1-core limit
        return before * scale, after * scale

    nb_before, nb_after = cores(neighbour)
    v_before, v_after = cores(victim)
    assert nb_after - nb_before > 0.3
    assert abs(v_after - v_before) < 0.1 * (nb_after - nb_before)
    callers = [s for s in rd.read_spans(bundle) if s["kind"] == "client" and s["peer_service"] == victim]
    early = [_duration_us(s) for s in callers if int(s["start"]) / 1e9 < onset]
    late = [_duration_us(s) for s in callers if int(s["start"]) / 1e9 >= onset + 30]
    assert late and np.median(late) > 2 * max(np.median(early) if early else 0, 1000)


def test_petshop_like_is_metrics_only_at_five_minute_steps(bundles, rd):
    bundle = bundles["petshop-delay"]
    assert sorted(p.name for p in bundle.iterdir()) == ["incident.toml", "metrics.csv", "truth.toml"]
    header = rd.read_text(bundle / "metrics.csv").splitlines()[0]
    assert header == "timestamp,metric,value,service"
    rows = _metrics(rd, bundle)
    ts = sorted({r["ts"] for r in rows})
    assert set(np.diff(ts)) == {300.0}
    inc = rd.read_toml(bundle / "incident.toml")
    assert parse_timestamp(inc["started_at"]) - ts[0] >= 3600


def test_bundles_validate_and_corpus_plan_covers_kinds_and_styles(bundles):
    for bundle in bundles.values():
        report = validate_bundle(bundle).as_dict()
        assert report["counts"]["metrics"] > 200
    plan = realistic_corpus_plan(48, 101)
    assert collections.Counter(k for k, _, _ in plan) == {k: 6 for k in REALISTIC_KINDS}
    pairs = collections.Counter((k, s) for k, s, _ in plan)
    assert len(pairs) == len(REALISTIC_KINDS) * len(STYLES)          # every kind on every style
    assert plan == realistic_corpus_plan(48, 101) and plan != realistic_corpus_plan(48, 102)


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    a = generate_realistic_bundle("memory_leak", 21, tmp_path / "a", style="system-b-like")
    b = generate_realistic_bundle("memory_leak", 21, tmp_path / "b", style="system-b-like")
    c = generate_realistic_bundle("memory_leak", 22, tmp_path / "c", style="system-b-like")
    assert _files(a) == _files(b)
    assert _files(a)["metrics.csv"] != _files(c)["metrics.csv"]


def test_names_and_vocabularies_vary_across_cases():
    sims = [simulate_realistic("network_delay", s, "system-a-like") for s in range(6)]
    vocab = {s.truth["root_cause"][0]["metric_vocabulary"] for s in sims}
    naming = {s.truth["root_cause"][0]["naming"] for s in sims}
    entry = {s.world.topology.entry_service for s in sims}
    assert len(vocab) >= 3 and len(naming) >= 3 and len(entry) >= 3


def test_histogram_quantile_matches_prometheus():
    bounds = (0.1, 0.5, 1.0, float("inf"))
    counts = np.array([[10.0, 0.0], [30.0, 0.0], [40.0, 0.0], [40.0, 0.0]])
    got = histogram_quantile(0.5, counts, bounds)
    assert got[0] == pytest.approx(0.1 + 0.4 * (20 - 10) / 20) and math.isnan(got[1])


def test_cli_profile_realistic(tmp_path):
    from aiops.cli.simulate import simulate_command

    app = typer.Typer()
    app.command()(simulate_command)
    runner = CliRunner()
    listed = runner.invoke(app, ["--profile", "realistic", "--list"])
    assert [line.split()[0] for line in listed.stdout.splitlines()] == list(REALISTIC_KINDS)
    res = runner.invoke(app, ["--profile", "realistic", "--corpus", str(tmp_path / "c"), "--cases", "2",
                              "--seed", "3"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "c" / "index.jsonl").read_text().count("\n") == 2
    bad = runner.invoke(app, ["--profile", "realistic", "--scenario", "crash_loop", "--out", str(tmp_path / "d")])
    assert isinstance(bad.exception, BadInputError) and "cpu_contention" in str(bad.exception)
    mixed = runner.invoke(app, ["--profile", "realistic", "--corpus", str(tmp_path / "e"), "--target", "x"])
    assert isinstance(mixed.exception, BadInputError) and "--target" in str(mixed.exception)
    other = runner.invoke(app, ["--profile", "fancy", "--corpus", str(tmp_path / "f")])
    assert isinstance(other.exception, BadInputError)
