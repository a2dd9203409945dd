"""The alerted service's own movement is the symptom to explain (`Incident.alerted_service`, and
`alerted=` in the ranking); a service changed long before the alert is searched for a shift
from its change on (`_since_own_changes` in the metrics scan), the series of a pod that the
rollout retired left out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aiops.agent.state import RunState
from aiops.analytics.ranking import rank_candidates
from aiops.config import load_settings
from aiops.domain import Finding, Incident, TimeWindow

from .metric_scans import scan as scan_bundle
from .metric_scans import write_bundle

ONSET = 600.0
WINDOW = TimeWindow(0.0, 1200.0)


@pytest.mark.parametrize(("title", "alert", "services", "expected"), [
    ("High latency", {"service": "cart"}, ["api", "cart"], "cart"),            # the label first
    ("api is slow", {"service": "cart"}, ["api", "cart"], "cart"),
    ("api is slow", {"service": "gone"}, ["api", "cart"], "api"),              # unknown label: the title
    ("cart-api: p99 above SLO", {}, ["cart", "cart-api"], "cart-api"),         # the longest name it holds
    ("cart is slow", {}, ["cart", "cart-api"], "cart"),
    ("carts are slow", {}, ["cart", "api"], ""),                               # a word, not a substring
    ("checkout-cart errors", {}, ["cart"], ""),                                # part of another name
    ("High latency", {}, ["api", "cart"], ""),
])
def test_the_alerted_service_is_the_alerts_label_else_a_service_the_title_names(title, alert, services, expected):
    assert Incident(title, WINDOW, alert=alert).alerted_service(services) == expected


def metric(service: str, signal: str, cls: str, score: float, ratio: float = 2.0) -> Finding:
    return Finding(kind="metric", service=service, signal=signal, score=score, summary=f"{signal} of {service}",
                   onset=ONSET, direction=1, magnitude=ratio, tags=(cls,))


def trace_own(service: str, score: float) -> Finding:
    return Finding(kind="trace", service=service, signal="self_latency", score=score, summary=f"own time of {service}",
                   onset=ONSET, direction=1, tags=("own",))


GRAPH = {"web": {"db"}, "db": set()}
# the page fired on web: its CPU and own time rose under the load, its latency too; db's own time rose
LOADED_WEB = [metric("web", "cpu_usage_ratio", "cpu", 0.9), metric("web", "latency_p90_seconds", "latency", 1.0, 4.0),
              trace_own("web", 0.8), trace_own("db", 0.6)]


def order(findings, alerted: str = "") -> list[str]:
    return [c.service for c in rank_candidates(findings, ["web", "db"], GRAPH, ONSET, alerted=alerted)]


def test_what_the_alerted_service_shows_is_explained_by_its_anomalous_dependency():
    assert order(LOADED_WEB) == ["web", "db"], "read as its own, web's movement outweighs db's"
    ranked = rank_candidates(LOADED_WEB, ["web", "db"], GRAPH, ONSET, alerted="web")
    assert [c.service for c in ranked] == ["db", "web"]
    web = ranked[1]
    assert web.own == 0.0 and web.symptom > 0 and web.explained_by == "db"


def test_the_alerted_service_stays_first_when_no_dependency_explains_it():
    quiet_db = [f for f in LOADED_WEB if f.service == "web"] + [metric("db", "cpu_usage_ratio", "cpu", 0.3)]
    ranked = rank_candidates(quiet_db, ["web", "db"], GRAPH, ONSET, alerted="web")
    assert [c.service for c in ranked] == ["web", "db"] and ranked[0].explained_by == ""


def test_a_change_to_the_alerted_service_is_still_its_own():
    deploy = Finding(kind="event", service="web", signal="deploy", score=0.9, summary="web deployed",
                     onset=ONSET - 30, tags=("change",))
    findings = [deploy, metric("web", "latency_p90_seconds", "latency", 1.0, 4.0),
                metric("db", "latency_p90_seconds", "latency", 0.6)]
    plain = {c.service: c for c in rank_candidates(findings, ["web", "db"], GRAPH, ONSET)}
    alerted = {c.service: c for c in rank_candidates(findings, ["web", "db"], GRAPH, ONSET, alerted="web")}
    assert alerted["web"].own == pytest.approx(plain["web"].own) and alerted["web"].own > 0.5


def test_the_run_ranks_with_the_service_its_alert_names():
    paged = Incident("checkout slow", WINDOW, started_at=ONSET, alert={"service": "web"})
    for incident, first in ((paged, "db"), (Incident("checkout slow", WINDOW, started_at=ONSET), "web")):
        state = RunState.start(incident, None, load_settings(env={}))
        state.services = ["db", "web"]
        state.findings = list(LOADED_WEB)
        state.graph = {k: set(v) for k, v in GRAPH.items()}
        assert state.rank()[0].service == first


# -- a change long before the alert -------------------------------------------------------

T0 = 1_700_000_000
DEPLOY = T0 + 1200                     # 30 min before the alert: far outside the 5-min search lead
ALERT = T0 + 3000
CALM = (0.009, 0.010, 0.011, 0.010)


def bundle(root: Path, payments: dict[str, tuple[float, float]]) -> Path:
    """error_ratio every 15 s for web (calm) and for each payments pod: name -> (first, last
    second it reports), failing at 0.9 from the deploy on in a pod named *-old-* and at 0.2
    in one named *-bad-*."""
    rows = []
    for j, t in enumerate(range(T0, T0 + 3600, 15)):
        calm = CALM[j % 4]
        rows.append(f"{t},error_ratio,{calm},web,web-0")
        for pod, (first, last) in payments.items():
            if first <= t <= last:
                rise = (0.9 if "-old-" in pod else 0.2 if "-bad-" in pod else 0.0) if t >= DEPLOY else 0.0
                rows.append(f"{t},error_ratio,{calm + rise},payments,{pod}")
    write_bundle(root, rows, title="checkout errors", started_at=ALERT, start=T0, end=T0 + 3600,
                 header="timestamp,metric,value,service,pod")
    (root / "events.jsonl").write_text(json.dumps({"timestamp": DEPLOY, "kind": "deploy", "service": "payments",
                                                   "message": "payments v2 rolled out"}) + "\n")
    return root


def scan(root: Path) -> list[Finding]:
    return [f for f in scan_bundle(root)[0] if f.service == "payments"]


def test_errors_that_rose_at_a_deploy_long_before_the_alert_are_found_from_the_deploy_on(tmp_path):
    found = scan(bundle(tmp_path / "b", {"payments-bad-0": (T0, T0 + 3600)}))
    assert found, "a rise 30 minutes before the alert is outside the usual search"
    top = max(found, key=lambda f: f.score)
    assert top.signal == "error_ratio" and top.direction == 1 and top.score > 0.5
    assert top.onset == pytest.approx(DEPLOY, abs=15), "dated at the deploy, not at the alert"


def test_a_pod_the_rollout_retired_does_not_count_its_last_samples(tmp_path):
    # the old pod fails while it drains for five minutes after the rollout, then is gone;
    # its successor is calm: nothing about payments is still wrong when the alert fires
    pods = {"payments-old-1": (T0, DEPLOY + 300), "payments-new-1": (DEPLOY, T0 + 3600)}
    assert scan(bundle(tmp_path / "b", pods)) == []
