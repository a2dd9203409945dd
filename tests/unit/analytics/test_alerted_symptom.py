"""What the alert says went wrong (`Incident.alerted_symptom`) is what the cause must explain: an
error alert is not caused by a service whose evidence only slows requests down (a CPU burn, a
latency rise, routine lines), a latency alert not by one that only fails them
(`weighing.fits_alert`, MISMATCH_FACTOR in the ranking)."""

from __future__ import annotations

import pytest

from aiops.analytics.ranking import MISMATCH_FACTOR, rank_candidates
from aiops.domain import Finding, Incident, TimeWindow

ONSET = 600.0
WINDOW = TimeWindow(0.0, 1200.0)


@pytest.mark.parametrize(("title", "alert", "expected"), [
    ("ui-dashboard-service: error ratio above 1%", {"alertname": "HighErrorRate"}, "errors"),
    ("Petsite availability (Average) anomalous", {}, "errors"),
    ("checkout", {"alertname": "KubeJobFailed"}, "errors"),
    ("PetSearch latency (p90) anomalous", {}, "latency"),
    ("api is slow", {}, "latency"),
    ("frontend", {"alertname": "HighLatency", "kpi": "latency_p99"}, "latency"),
    ("errors and latency up on api", {}, ""),                  # both: nothing to choose by
    ("Checkout incident", {"severity": "page"}, ""),
])
def test_the_symptom_comes_from_the_alerts_title_and_labels(title, alert, expected) -> None:
    assert Incident(title, WINDOW, alert=alert).alerted_symptom() == expected


def metric(service: str, signal: str, cls: str, score: float, direction: int = 1) -> Finding:
    return Finding(kind="metric", service=service, signal=signal, score=score, summary=f"{signal} of {service}",
                   onset=ONSET, direction=direction, magnitude=3.0, tags=(cls,))


def error_log(service: str, score: float) -> Finding:
    return Finding(kind="log", service=service, signal="tpl", score=score, summary=f"new error in {service}",
                   onset=ONSET + 30, direction=1, tags=("error", "new", "own"))


def order(findings: list[Finding], services: list[str], symptom: str) -> tuple[list[str], dict]:
    out = rank_candidates(findings, services, {}, ONSET, alerted_symptom=symptom)
    return [c.service for c in out], {c.service: c.score for c in out}


def test_an_error_alert_puts_the_service_throwing_errors_above_a_louder_cpu_burn() -> None:
    findings = [metric("burner", "container_cpu_usage_seconds_total", "cpu", 0.6),
                error_log("thrower", 0.45)]
    services = ["burner", "thrower"]
    assert order(findings, services, "")[0][0] == "burner"         # no alert symptom: the louder move
    ranked, score = order(findings, services, "errors")
    assert ranked[0] == "thrower"
    assert score["burner"] == pytest.approx(order(findings, services, "")[1]["burner"] * MISMATCH_FACTOR)
    # a latency alert is what a CPU burn can cause: the burn stays first
    assert order(findings, services, "latency")[0][0] == "burner"


def test_an_availability_drop_counts_as_failing_requests_and_a_lower_error_rate_does_not() -> None:
    findings = [metric("db", "availability_average_percent", "other", 0.5, direction=-1),
                metric("cache", "latency_p90_seconds", "latency", 0.9),
                metric("api", "error_ratio", "errors", 0.9, direction=-1)]    # fewer errors than before
    ranked, score = order(findings, ["db", "cache", "api"], "errors")
    base = order(findings, ["db", "cache", "api"], "")[1]
    assert ranked[0] == "db" and score["db"] == pytest.approx(base["db"])
    assert score["cache"] == pytest.approx(base["cache"] * MISMATCH_FACTOR)
    assert score["api"] == pytest.approx(base["api"] * MISMATCH_FACTOR)


def test_a_latency_alert_puts_a_slowed_service_above_one_that_only_fails() -> None:
    findings = [error_log("thrower", 0.6), metric("slow", "latency_p90_seconds", "latency", 0.9)]
    assert order(findings, ["thrower", "slow"], "")[0][0] == "thrower"
    assert order(findings, ["thrower", "slow"], "latency")[0][0] == "slow"
    assert order(findings, ["thrower", "slow"], "errors")[0][0] == "thrower"
