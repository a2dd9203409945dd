"""From notifications to diagnoses: alerts grouped into incidents, debounced, queued with a
bound, diagnosed by a fixed number of workers, handed to the deliveries.

    scheduler = Scheduler(settings.serve, diagnose, deliveries, log, metrics)
    scheduler.start(); reply = scheduler.receive(notification); ...; scheduler.stop()

One incident per alert group (Alertmanager's `groupKey`). The first firing notification of
a group opens an incident that waits `debounce_s` for the rest of the group; notifications
arriving meanwhile join it (`merged`). A group notified again after its diagnosis is
diagnosed again only if it brings alerts not seen before, or after `rediagnose_s`
(`repeat` otherwise); an all-resolved notification closes the group (`resolved`).

Back-pressure: at most `max_queue` incidents wait (debouncing or queued) and `concurrency`
run. A new incident beyond that is `skipped` at once — the webhook reply, the service log
and /metrics say so — so an alert storm costs a bounded amount of memory and never a crash.
Every incident ends in the log as diagnosed (ok or failed) or skipped, with the reason.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any, Callable

from aiops.config_service import ServeSettings
from aiops.errors import one_line
from aiops.service.intake import Notification, fingerprint
from aiops.service.journal_log import ServiceLog
from aiops.service.messages import Outcome
from aiops.service.metrics import ServiceMetrics
from aiops.telemetry.alerts import Alert

SEEN_PER_GROUP = 1000          # fingerprints remembered per group (for "anything new?")


@dataclass
class ServeIncident:
    id: str
    group_key: str
    due: float                                  # monotonic time its debounce ends
    alerts: dict[str, Alert] = field(default_factory=dict)
    extra_alerts: int = 0                       # alerts beyond serve.max_alerts_per_incident
    state: str = "pending"                      # pending | queued | running | done | skipped
    external_url: str = ""

    @property
    def alert_count(self) -> int:
        return len(self.alerts) + self.extra_alerts


@dataclass
class Group:
    current: ServeIncident | None = None
    seen: dict[str, None] = field(default_factory=dict)
    diagnosed_at: float | None = None


def alert_brief(a: Alert) -> dict[str, Any]:
    from aiops.timeutil import to_rfc3339

    return {"labels": dict(a.labels), "startsAt": to_rfc3339(a.starts_at) if a.starts_at is not None else "",
            "generatorURL": a.generator_url, "summary": a.title}


class Scheduler:
    def __init__(self, cfg: ServeSettings, diagnose: Callable[[ServeIncident], Outcome], deliver: Callable[[Outcome], None],
                 log: ServiceLog, metrics: ServiceMetrics, clock: Callable[[], float] = time.monotonic) -> None:
        self.cfg = cfg
        self._diagnose = diagnose
        self._deliver = deliver
        self.log = log
        self.metrics = metrics
        self._clock = clock
        self._cond = threading.Condition()
        self._groups: OrderedDict[str, Group] = OrderedDict()
        self._pending: list[ServeIncident] = []
        self._queue: deque[ServeIncident] = deque()
        self._running = 0
        self._stopping = False
        self._threads: list[threading.Thread] = []
        metrics.gauge("aiops_serve_queue_depth", lambda: len(self._pending) + len(self._queue))
        metrics.gauge("aiops_serve_diagnoses_in_progress", lambda: self._running)

    # --- intake ----------------------------------------------------------------------------
    def receive(self, n: Notification) -> dict[str, Any]:
        """Take one notification; the reply says what became of it."""
        self.metrics.inc("aiops_serve_alerts_received_total", len(n.alerts))
        firing = {fingerprint(a): a for a in n.firing}
        with self._cond:
            group = self._groups.get(n.group_key)
            if group is not None:
                self._groups.move_to_end(n.group_key)
            cur = group.current if group else None
            if not firing:
                return self._resolved(n, group)
            if cur is not None and cur.state in ("pending", "queued"):
                added = self._add(cur, group, firing)
                return self._reply("merged", cur, f"{added} alert(s) joined incident {cur.id}, "
                                                  f"which is {'waiting for a worker' if cur.state == 'queued' else 'debouncing'}")
            new = [fp for fp in firing if group is None or fp not in group.seen]
            now = self._clock()
            recent = group is not None and group.diagnosed_at is not None and now - group.diagnosed_at < self.cfg.rediagnose_s
            if group is not None and not new and (recent or (cur is not None and cur.state == "running")):
                self.metrics.inc("aiops_serve_incidents_total", outcome="repeat")
                return {"outcome": "repeat", "incident": cur.id if cur else "",
                        "detail": "no alert that was not diagnosed already (serve.rediagnose_s)"}
            inc = ServeIncident(uuid.uuid4().hex[:12], n.group_key, now + self.cfg.debounce_s,
                                external_url=n.external_url)
            if group is None:
                group = self._new_group(n.group_key)
            self._add(inc, group or Group(), firing)
            self.log.write("incident", inc.id, group_key=n.group_key, receiver=n.receiver,
                           alerts=[{"fingerprint": fp, "alertname": a.name} for fp, a in inc.alerts.items()])
            self.metrics.inc("aiops_serve_incidents_total", outcome="new")
            waiting = len(self._pending) + len(self._queue)
            if group is None or waiting >= self.cfg.max_queue or self._stopping:
                why = ("the service is stopping" if self._stopping else
                       f"{waiting} incidents already waiting and {self._running} diagnosing (serve.max_queue = "
                       f"{self.cfg.max_queue})" if group is not None else
                       f"{len(self._groups)} alert groups in flight (serve.max_groups = {self.cfg.max_groups})")
                self._skip(inc, why)
                return self._reply("skipped", inc, why)
            group.current = inc
            self._pending.append(inc)
            self._cond.notify_all()
            return self._reply("queued", inc, f"diagnosis in {self.cfg.debounce_s:g} s (debounce), "
                                              f"{waiting + 1} waiting, {self._running} diagnosing")

    def _reply(self, outcome: str, inc: ServeIncident, detail: str) -> dict[str, Any]:
        if outcome in ("merged", "queued"):
            self.metrics.inc("aiops_serve_incidents_total", outcome=outcome)
        return {"outcome": outcome, "incident": inc.id, "alerts": inc.alert_count, "detail": detail}

    def _add(self, inc: ServeIncident, group: Group, firing: dict[str, Alert]) -> int:
        added = 0
        for fp, alert in firing.items():
            if fp in inc.alerts:
                inc.alerts[fp] = alert
                continue
            if len(inc.alerts) < self.cfg.max_alerts_per_incident:
                inc.alerts[fp] = alert
            else:
                inc.extra_alerts += 1
            added += 1
            group.seen[fp] = None
            if len(group.seen) > SEEN_PER_GROUP:
                group.seen.pop(next(iter(group.seen)))
        if added and inc.state in ("pending", "queued") and group.current is inc:
            self.log.write("merged", inc.id, alerts=[{"fingerprint": fp, "alertname": a.name}
                                                     for fp, a in firing.items()])
        return added

    def _new_group(self, key: str) -> Group | None:
        while len(self._groups) >= self.cfg.max_groups:
            idle = next((k for k, g in self._groups.items()
                         if g.current is None or g.current.state in ("done", "skipped")), None)
            if idle is None:
                return None
            del self._groups[idle]
        group = Group()
        self._groups[key] = group
        return group

    def _resolved(self, n: Notification, group: Group | None) -> dict[str, Any]:
        self.metrics.inc("aiops_serve_incidents_total", outcome="resolved")
        cur = group.current if group else None
        if group is not None:
            del self._groups[n.group_key]
        if cur is not None and cur.state == "pending":
            self._pending.remove(cur)
            self._skip(cur, "every alert resolved before the diagnosis started")
        return {"outcome": "resolved", "incident": cur.id if cur else "", "detail": "the group's alerts resolved"}

    def _skip(self, inc: ServeIncident, why: str) -> None:
        inc.state = "skipped"
        self.metrics.inc("aiops_serve_incidents_total", outcome="skipped")
        self.log.write("skipped", inc.id, reason=why, alerts=[fp for fp in inc.alerts])

    # --- work ------------------------------------------------------------------------------
    def start(self) -> None:
        self._threads = [threading.Thread(target=self._timer, name="aiops-debounce", daemon=True)]
        self._threads += [threading.Thread(target=self._worker, name=f"aiops-diagnose-{i}", daemon=True)
                          for i in range(self.cfg.concurrency)]
        for t in self._threads:
            t.start()

    def _timer(self) -> None:
        with self._cond:
            while not self._stopping:
                now = self._clock()
                for inc in [i for i in self._pending if i.due <= now]:
                    self._pending.remove(inc)
                    inc.state = "queued"
                    self._queue.append(inc)
                    self.log.write("queued", inc.id, alerts=inc.alert_count)
                    self._cond.notify_all()
                nxt = min((i.due for i in self._pending), default=None)
                self._cond.wait(timeout=max(0.01, nxt - now) if nxt is not None else 1.0)

    def _worker(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                inc = self._queue.popleft()
                inc.state = "running"
                self._running += 1
            started = time.monotonic()
            try:
                outcome = self._diagnose(inc)
            except Exception as exc:  # noqa: BLE001 - one incident's failure never stops a worker
                outcome = Outcome(inc.id, _title(inc), [alert_brief(a) for a in inc.alerts.values()],
                                  error=f"{type(exc).__name__}: {one_line(exc)}", alert_count=inc.alert_count)
            took = time.monotonic() - started
            with self._cond:
                self._running -= 1
                inc.state = "done"
                group = self._groups.get(inc.group_key)
                if group is not None and group.current is inc:
                    group.diagnosed_at = self._clock()
            d = outcome.diagnosis
            top = d.root_causes[0] if d is not None and d.root_causes else None
            self.metrics.inc("aiops_serve_diagnoses_total", status="ok" if d is not None else "failed")
            self.metrics.observe_duration(took)
            self.log.write("diagnosis", inc.id, status="ok" if d is not None else "failed", error=outcome.error,
                           run_id=d.run_id if d is not None else "", seconds=round(took, 3),
                           top={"service": top.service, "fault": top.fault, "confidence": top.confidence} if top else None)
            self._deliver(outcome)

    def stop(self, timeout_s: float = 60.0) -> None:
        """Stop taking work, let running diagnoses finish (up to `timeout_s`), and log every
        incident still waiting as skipped."""
        with self._cond:
            self._stopping = True
            waiting = self._pending + list(self._queue)
            self._pending.clear()
            self._queue.clear()
            for inc in waiting:
                self._skip(inc, "the service stopped before its diagnosis started")
            self._cond.notify_all()
        deadline = time.monotonic() + timeout_s
        for t in self._threads:
            t.join(timeout=max(0.0, deadline - time.monotonic()))

    def status(self) -> dict[str, int]:
        with self._cond:
            return {"waiting": len(self._pending) + len(self._queue), "diagnosing": self._running,
                    "groups": len(self._groups)}


def _title(inc: ServeIncident) -> str:
    from aiops.telemetry.alerts import pick_alert

    chosen = pick_alert(list(inc.alerts.values()))
    return chosen.title if chosen is not None else "incident"
