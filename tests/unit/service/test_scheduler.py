"""Grouping, debounce, re-notification and back-pressure of `aiops serve`, with a scripted
diagnosis (the live diagnosis is tested against real servers in tests/integration/live)."""

from __future__ import annotations

import json
import threading
import time

from webhooks import alert, notification

from aiops.config_service import ServeSettings
from aiops.domain import Diagnosis, Incident, RootCause, TimeWindow
from aiops.service.intake import parse_notification
from aiops.service.journal_log import ServiceLog
from aiops.service.messages import Outcome
from aiops.service.metrics import ServiceMetrics
from aiops.service.scheduler import Scheduler


class Harness:
    def __init__(self, tmp_path, gate: threading.Event | None = None, **cfg) -> None:
        self.cfg = ServeSettings(**{"debounce_s": 0.05, **cfg})
        self.diagnosed: list[list[str]] = []
        self.delivered: list[Outcome] = []
        self.gate = gate
        self.log = ServiceLog(tmp_path / "serve.jsonl")
        self.metrics = ServiceMetrics()
        self.done = threading.Condition()
        self.s = Scheduler(self.cfg, self.diagnose, self.deliver, self.log, self.metrics)
        self.s.start()

    def diagnose(self, inc) -> Outcome:
        if self.gate is not None:
            self.gate.wait(30)
        names = sorted(a.name for a in inc.alerts.values())
        self.diagnosed.append(names)
        inc0 = Incident(names[0], TimeWindow(0, 60))
        d = Diagnosis(inc0, (RootCause(1, "payments", "", "resource_exhaustion", 0.8, "pool"),), run_id="r" + inc.id)
        return Outcome(inc.id, names[0], [], diagnosis=d, alert_count=inc.alert_count)

    def deliver(self, o: Outcome) -> None:
        with self.done:
            self.delivered.append(o)
            self.done.notify_all()

    def post(self, doc: dict) -> dict:
        return self.s.receive(parse_notification(json.dumps(doc).encode()))

    def wait_delivered(self, n: int) -> None:
        with self.done:
            assert self.done.wait_for(lambda: len(self.delivered) >= n, timeout=30), self.delivered


def test_alerts_of_one_group_within_the_debounce_make_one_incident(tmp_path):
    h = Harness(tmp_path, debounce_s=0.3)
    first = h.post(notification("g1", alert("HighLatency")))
    second = h.post(notification("g1", alert("HighLatency"), alert("HighErrorRate")))
    assert first["outcome"] == "queued" and second["outcome"] == "merged"
    assert second["incident"] == first["incident"] and second["alerts"] == 2
    h.wait_delivered(1)
    assert h.diagnosed == [["HighErrorRate", "HighLatency"]]
    h.s.stop()


def test_a_renotified_group_is_diagnosed_again_only_with_new_alerts(tmp_path):
    h = Harness(tmp_path)
    h.post(notification("g1", alert("HighLatency")))
    h.wait_delivered(1)
    again = h.post(notification("g1", alert("HighLatency")))
    assert again["outcome"] == "repeat"
    new = h.post(notification("g1", alert("HighLatency"), alert("PodCrashLooping")))
    assert new["outcome"] == "queued"
    h.wait_delivered(2)
    assert len(h.diagnosed) == 2
    h.s.stop()


def test_a_group_resolved_during_its_debounce_is_skipped_and_logged(tmp_path):
    h = Harness(tmp_path, debounce_s=5)
    opened = h.post(notification("g1", alert("HighLatency")))
    gone = h.post(notification("g1", {**alert("HighLatency"), "status": "resolved"}, status="resolved"))
    assert gone == {"outcome": "resolved", "incident": opened["incident"], "detail": "the group's alerts resolved"}
    skipped = [r for r in h.log.read() if r["event"] == "skipped"]
    assert skipped and skipped[0]["incident"] == opened["incident"] and "resolved" in skipped[0]["reason"]
    h.s.stop()


def test_a_storm_degrades_to_queued_or_skipped_and_every_incident_ends_in_the_log(tmp_path):
    gate = threading.Event()
    h = Harness(tmp_path, gate=gate, max_queue=5, concurrency=1, debounce_s=0.01)
    replies = [h.post(notification(f"g{i}", alert(f"Storm{i}", service=f"svc{i % 7}"))) for i in range(100)]
    outcomes = [r["outcome"] for r in replies]
    assert set(outcomes) <= {"queued", "skipped"} and outcomes.count("queued") >= 5
    assert all("serve.max_queue = 5" in r["detail"] for r in replies if r["outcome"] == "skipped")
    assert h.s.status()["waiting"] <= 5                      # memory bounded: the queue never grows past it
    gate.set()
    queued = outcomes.count("queued")
    h.wait_delivered(queued)
    h.s.stop()
    log = h.log.read()
    opened = {r["incident"] for r in log if r["event"] == "incident"}
    ended = {r["incident"]: r["event"] for r in log if r["event"] in ("diagnosis", "skipped")}
    assert len(opened) == 100 and set(ended) == opened, "every incident is diagnosed or skipped, in the log"
    assert list(ended.values()).count("diagnosis") == queued
    m = h.metrics
    assert m.value("aiops_serve_incidents_total", outcome="skipped") == 100 - queued
    assert m.value("aiops_serve_diagnoses_total", status="ok") == queued
    assert m.value("aiops_serve_alerts_received_total") == 100


def test_stopping_logs_what_was_still_waiting(tmp_path):
    gate = threading.Event()
    h = Harness(tmp_path, gate=gate, concurrency=1, debounce_s=0.01)
    ids = [h.post(notification(f"g{i}", alert(f"A{i}")))["incident"] for i in range(4)]
    deadline = time.monotonic() + 10
    while h.s.status()["diagnosing"] == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    threading.Timer(0.2, gate.set).start()
    h.s.stop(timeout_s=10)
    log = h.log.read()
    ended = {r["incident"] for r in log if r["event"] in ("diagnosis", "skipped")}
    assert ended == set(ids)
    assert any(r["event"] == "skipped" and "stopped" in r["reason"] for r in log)
