"""Evidence read back from the store for a hypothesis: the charted series, templates, paths, changes."""

from __future__ import annotations

import numpy as np

from aiops.agent.events import FindingMade
from aiops.domain import RunbookRef
from aiops.telemetry.grids import SeriesKey
from aiops.tui.evidence import EvidenceTarget, gather, merged_findings, onset_of
from aiops.tui.evidence.changes import change_events, relative
from aiops.tui.evidence.logs import LogTemplateCache, template_views
from aiops.tui.evidence.metrics import grid_step, metric_charts, metric_series, parse_series_ref
from aiops.tui.evidence.runbooks import load_runbook
from aiops.tui.evidence.traces import trace_evidence


def findings(demo_run):
    return [e.finding for e in demo_run[0] if isinstance(e, FindingMade)]


def test_series_refs_parse_back_into_their_key():
    key = SeriesKey("http_errors_total", "cart", "cart-7d9f", (("code", "500"), ("path", "/a b")))
    metric, labels = parse_series_ref(str(key))
    assert metric == "http_errors_total"
    assert labels == {"service": "cart", "pod": "cart-7d9f", "code": "500", "path": "/a b"}
    assert parse_series_ref("logs mentioning cart") is None


def test_a_metric_finding_is_charted_from_its_own_series(demo, demo_run):
    w = demo.incident.window
    top = max((f for f in findings(demo_run) if f.kind == "metric"), key=lambda f: f.score)
    charts = metric_charts(demo.store, w, [top])
    assert len(charts) == 1
    chart = charts[0]
    assert chart.metric == top.signal and chart.onset == top.onset
    assert f"pod/{chart.pod}" == top.component
    grid = demo.store.metric_grid(w.start, w.end, grid_step(w), metrics=[top.signal], services=[top.service],
                                  counter_rates=True)
    row = next(i for i, k in enumerate(grid.keys) if str(k) == top.ref)
    assert np.allclose(chart.values, grid.values[row], equal_nan=True)


def test_metric_drill_down_charts_every_series_of_a_metric(demo):
    charts, total = metric_series(demo.store, demo.incident.window, "latency_p99_seconds")
    assert total >= len(charts) > 1
    assert {c.metric for c in charts} == {"latency_p99_seconds"}
    assert metric_series(demo.store, demo.incident.window, "no_such_metric") == ([], 0)


def test_log_templates_count_every_line_of_the_service_and_put_flagged_ones_first(demo, demo_run):
    w = demo.incident.window
    log_findings = [f for f in findings(demo_run) if f.kind == "log" and f.ref.startswith("log_template:")]
    service = log_findings[0].service
    mined = LogTemplateCache().get(demo.store, w)
    views = template_views(mined, service, demo.incident.started_at, findings(demo_run), limit=10_000)
    n_lines = len(demo.store.log_records(w.start, w.end, service=service)["ts"])
    assert sum(v.total for v in views) == n_lines
    flagged = {f.ref.removeprefix("log_template:") for f in log_findings if f.service == service}
    labelled = [v.template_id for v in views if v.label]
    assert set(labelled) == flagged and views[0].label            # the investigation's templates lead
    assert all(v.samples for v in views)
    assert views[0].counts.sum() == views[0].total


def test_trace_paths_end_in_the_service_and_split_requests_at_the_onset(demo, demo_run):
    w = demo.incident.window
    columns = demo.store.span_table(w.start, w.end)
    traced = set(demo.store.services_by_table()["spans"])
    service = next(rc.service for rc in demo_run[1].root_causes[1:] if rc.service in traced)
    ev = trace_evidence(columns, service, demo.incident.started_at)
    assert ev.requests > 0 and ev.paths
    assert all(p.path.split(" → ")[-1].startswith(service) for p in ev.paths)
    assert sum(p.before + p.after for p in ev.paths) <= ev.requests
    assert all(s.start >= demo.incident.started_at for s in ev.slowest)
    assert [s.duration_ms for s in ev.slowest] == sorted((s.duration_ms for s in ev.slowest), reverse=True)


def test_changes_list_the_service_own_events_first(demo):
    events = demo.store.events()
    service = next(e["service"] for e in events if e["kind"] == "deploy")
    views = change_events(demo.store, demo.incident.window, service, [])
    own = [v.own for v in views]
    assert own[0] and own == sorted(own, reverse=True)
    assert relative(100.0, 160.0) == "-1m00s" and relative(160.0, 100.0) == "+1m00s"


def test_shipped_runbooks_render_without_front_matter():
    view = load_runbook(RunbookRef("pool", "knowledge/db-connection-pool-exhaustion.md", 0.5))
    assert view.path is not None and view.markdown.startswith("# Database connection pool exhaustion")
    missing = load_runbook(RunbookRef("gone", "/nowhere/runbook.md", 0.1))
    assert missing.path is None and "not on this machine" in missing.markdown


def test_recorded_evidence_of_a_past_report_is_drillable(demo, demo_run):
    """A report opened with --open has evidence lines only: their refs still find the data."""
    rc = demo_run[1].root_causes[0]
    merged = merged_findings(rc.service, [], rc.evidence)          # no run findings: a past report
    target = EvidenceTarget(rc.service, "x", rc.summary, merged, rc.evidence, demo.incident.window,
                            onset_of(demo.incident, merged))
    data = gather(demo.store, target, LogTemplateCache())
    assert data.errors == {}
    metric_refs = {e.ref for e in rc.evidence if e.kind == "metric"}
    assert metric_refs
    charted = {f"{c.metric}{{service=\"{c.service}\"" + (f",pod=\"{c.pod}\"," if c.pod else "}") for c in data.charts}
    assert len(data.charts) == len(metric_refs)
    assert all(any(ref.startswith(prefix) for ref in metric_refs) for prefix in charted)
    pooled = [c for c in data.charts if not c.pod]     # service-level findings chart the mean over pods
    assert all(dict(c.labels)["pods"].startswith("mean of ") for c in pooled)
    template_refs = {e.ref.removeprefix("log_template:") for e in rc.evidence if e.ref.startswith("log_template:")}
    assert template_refs <= {v.template_id for v in data.templates if v.label}


def test_a_failing_part_is_named_and_the_others_still_load(demo):
    class Broken:
        def __getattr__(self, name):
            return getattr(demo.store, name)

        def span_table(self, *a, **k):
            raise RuntimeError("trace backend down")

    target = EvidenceTarget("checkout", "x", "", (), (), demo.incident.window, demo.incident.started_at)
    data = gather(Broken(), target, LogTemplateCache())
    assert data.errors == {"traces": "RuntimeError: trace backend down"}
    assert data.templates and data.changes
