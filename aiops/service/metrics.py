"""The service's own metrics, in the Prometheus text exposition format (GET /metrics).

Counters and gauges keyed by label values, one latency histogram; thread-safe; no client
library. Label sets are bounded by construction (paths, outcomes, sink names).
"""

from __future__ import annotations

import threading
import time
from typing import Callable

HELP = {
    "aiops_serve_requests_total": ("counter", "HTTP requests answered, by path and status code."),
    "aiops_serve_alerts_received_total": ("counter", "Alerts received in webhook notifications."),
    "aiops_serve_incidents_total": ("counter", "Alert groups handled, by outcome (new, merged, repeat, resolved, "
                                               "queued, skipped)."),
    "aiops_serve_diagnoses_total": ("counter", "Diagnoses finished, by status (ok, failed)."),
    "aiops_serve_diagnosis_duration_seconds": ("histogram", "Wall time of one diagnosis (reading the sources "
                                                            "included)."),
    "aiops_serve_deliveries_total": ("counter", "Deliveries finished, by sink and status (delivered, failed, "
                                                "dropped)."),
    "aiops_serve_delivery_attempts_total": ("counter", "Delivery attempts, by sink and outcome (ok, error)."),
    "aiops_serve_queue_depth": ("gauge", "Incidents waiting for a diagnosis worker (debouncing included)."),
    "aiops_serve_diagnoses_in_progress": ("gauge", "Diagnoses running now."),
    "aiops_serve_delivery_queue_depth": ("gauge", "Deliveries waiting to be sent."),
    "aiops_serve_start_time_seconds": ("gauge", "When the service started, unix seconds."),
}
BUCKETS = (0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300)


def _labels(pairs: tuple[tuple[str, str], ...]) -> str:
    if not pairs:
        return ""
    esc = [(k, v.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')) for k, v in pairs]
    return "{" + ",".join(f'{k}="{v}"' for k, v in esc) + "}"


class ServiceMetrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        self._gauges: dict[str, Callable[[], float]] = {}
        self._hist = [0] * (len(BUCKETS) + 1)
        self._hist_sum = 0.0
        self._hist_count = 0
        self.started = time.time()
        self.gauge("aiops_serve_start_time_seconds", lambda: self.started)

    def inc(self, name: str, value: float = 1.0, **labels: str) -> None:
        key = (name, tuple(sorted((k, str(v)) for k, v in labels.items())))
        with self._lock:
            self._counters[key] = self._counters.get(key, 0.0) + value

    def value(self, name: str, **labels: str) -> float:
        key = (name, tuple(sorted((k, str(v)) for k, v in labels.items())))
        with self._lock:
            return self._counters.get(key, 0.0)

    def gauge(self, name: str, read: Callable[[], float]) -> None:
        self._gauges[name] = read

    def observe_duration(self, seconds: float) -> None:
        with self._lock:
            i = next((i for i, b in enumerate(BUCKETS) if seconds <= b), len(BUCKETS))
            self._hist[i] += 1
            self._hist_sum += seconds
            self._hist_count += 1

    def render(self) -> str:
        with self._lock:
            counters = dict(self._counters)
            hist, hsum, hcount = list(self._hist), self._hist_sum, self._hist_count
        lines: list[str] = []
        for name, (kind, text) in HELP.items():
            lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}"]
            if kind == "counter":
                rows = sorted((labels, v) for (n, labels), v in counters.items() if n == name)
                lines += [f"{name}{_labels(labels)} {v:g}" for labels, v in rows]
            elif kind == "gauge" and name in self._gauges:
                lines.append(f"{name} {float(self._gauges[name]()):g}")
            elif kind == "histogram":
                acc = 0
                for bound, n in zip(BUCKETS, hist):
                    acc += n
                    lines.append(f'{name}_bucket{{le="{bound:g}"}} {acc}')
                lines.append(f'{name}_bucket{{le="+Inf"}} {hcount}')
                lines += [f"{name}_sum {hsum:g}", f"{name}_count {hcount}"]
        return "\n".join(lines) + "\n"
