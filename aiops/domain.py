"""Plain data types shared by every layer. Frozen, no I/O, no heavy imports.

All timestamps are float unix seconds (UTC); see `aiops.timeutil`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

EvidenceKind = Literal["metric", "log", "trace", "event", "knowledge"]

# The faults the evidence ranker names (aiops.analytics.weighing.fault_of). A diagnosis may
# carry other fault names too: a matched playbook's or a model's own.
FaultKind = Literal[
    "cpu_saturation", "memory_leak", "disk_pressure", "network_degradation", "crash_or_restart",
    "resource_exhaustion", "latency", "error_burst", "traffic_change", "bad_deploy", "config_change",
    "dependency_failure", "anomaly", "none", "unknown",
]


# what an alert's title and labels say went wrong (`Incident.alerted_symptom`); generic words
_ERROR_WORDS = re.compile(r"error|fail|5xx|exception|availab|success.?rate")   # availab: unavailable too
_LATENCY_WORDS = re.compile(r"latenc|slow|duration|response.?time|p50|p9[059]")


@dataclass(frozen=True)
class TimeWindow:
    start: float
    end: float

    def __post_init__(self) -> None:
        if not self.end > self.start:
            raise ValueError(f"window end {self.end} is not after start {self.start}")

    @property
    def seconds(self) -> float:
        return self.end - self.start

    def contains(self, ts: float) -> bool:
        return self.start <= ts <= self.end


@dataclass(frozen=True)
class Incident:
    """What happened, as the operator (or an alert) describes it."""

    title: str
    window: TimeWindow
    started_at: float | None = None
    alert: dict[str, str] = field(default_factory=dict)
    symptom: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def alerted_symptom(self) -> str:
        """What the alert says went wrong: "errors" (failures, availability), "latency"
        (slowness), or "" when it says neither or both (from its labels and title)."""
        text = " ".join([self.title or ""] + [str(v) for v in (self.alert or {}).values()]).lower()
        errors = bool(_ERROR_WORDS.search(text))
        latency = bool(_LATENCY_WORDS.search(text))
        return "errors" if errors and not latency else "latency" if latency and not errors else ""

    def alerted_service(self, services: list[str]) -> str:
        """The service the alert fired on ('' when it names none of `services`): the alert's
        `service` label, else the longest service name the title holds as a word."""
        label = str(self.alert.get("service", "")) if self.alert else ""
        if label in services:
            return label
        title = self.title or ""
        named = [s for s in services if s and re.search(rf"(?<![\w-]){re.escape(s)}(?![\w-])", title)]
        return max(named, key=len) if named else ""


@dataclass(frozen=True)
class Evidence:
    kind: EvidenceKind
    summary: str
    ref: str = ""
    weight: float = 0.0          # contribution to the candidate's score (0..1)
    at: float | None = None      # when the evidence starts (onset), if it has a time


@dataclass(frozen=True)
class Finding:
    """A compact analytic fact: what is anomalous, since when, how much (habit 7)."""

    kind: EvidenceKind
    service: str
    signal: str                  # metric name, log template id, operation, event kind
    score: float                 # calibrated 0..1, higher is more anomalous
    summary: str
    onset: float | None = None
    direction: int = 0           # +1 up, -1 down, 0 n/a
    magnitude: float = 0.0       # e.g. robust z or ratio after/before
    component: str = ""          # pod/..., container/..., node/...
    ref: str = ""                # where the raw data is (query, file, series key)
    tags: tuple[str, ...] = ()   # e.g. ("error",), ("saturation",), ("new",)


@dataclass(frozen=True)
class RootCause:
    rank: int
    service: str
    component: str
    fault: str                   # a FaultKind, or a playbook's or model's own fault name
    confidence: float
    summary: str
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class Hypothesis:
    """A suspected root cause while the investigation runs (the reflector's view)."""

    service: str
    fault: str                   # a FaultKind, or a playbook's or model's own fault name
    confidence: float
    summary: str = ""
    status: Literal["open", "confirmed", "refuted"] = "open"
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class RunbookRef:
    title: str
    source: str
    score: float


@dataclass(frozen=True)
class Usage:
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0


@dataclass(frozen=True)
class TimelineEntry:
    at: float
    service: str
    summary: str
    kind: EvidenceKind = "metric"


DiagnosisVerdict = Literal["root_cause", "healthy", "insufficient_evidence"]
MODALITIES = ("metrics", "logs", "traces", "events")
MODALITY_OF = {"metrics": "metrics", "logs": "logs", "spans": "traces", "events": "events"}   # store table -> modality


@dataclass(frozen=True)
class SourceRead:
    """One source of telemetry as the run read it: a bundle, or a live source."""

    name: str                    # "bundle checkout-incident", "prometheus 'main'"
    status: str                  # ok | no_data | error
    detail: str = ""             # what it brought ("1200 metrics, 30 logs"), or why not


@dataclass(frozen=True)
class Coverage:
    """What the diagnosis rests on: the sources read, the rows each modality holds in the
    window and for which services. What could not be checked is `Diagnosis.missing_evidence`."""

    sources: tuple[SourceRead, ...] = ()
    rows: dict[str, int] = field(default_factory=dict)                       # modality -> rows in the window
    services: dict[str, tuple[str, ...]] = field(default_factory=dict)      # modality -> services with data

    @property
    def read(self) -> tuple[str, ...]:
        """The modalities with data in the window, in MODALITIES order."""
        return tuple(m for m in MODALITIES if self.rows.get(m))

    @property
    def all_services(self) -> tuple[str, ...]:
        return tuple(sorted({s for names in self.services.values() for s in names}))


@dataclass(frozen=True)
class SeriesPlot:
    """One signal behind a suspect's evidence over the window, for charts in reports."""

    title: str
    service: str
    timestamps: tuple[float, ...]   # bucket starts, evenly spaced
    values: tuple[float, ...]       # NaN where a bucket has no data
    onset: float | None = None
    unit: str = ""


@dataclass(frozen=True)
class Diagnosis:
    incident: Incident
    root_causes: tuple[RootCause, ...]
    remediation: tuple[str, ...] = ()
    runbooks: tuple[RunbookRef, ...] = ()
    usage: Usage = Usage()
    run_id: str = ""
    duration_s: float = 0.0
    reasoner: str = "offline"
    timeline: tuple[TimelineEntry, ...] = ()
    missing_evidence: tuple[str, ...] = ()   # sources/signals that could not be checked
    notes: tuple[str, ...] = ()
    trace_id: str = ""                       # the run's OpenTelemetry trace id (32 hex digits)
    prompt_versions: dict[str, str] = field(default_factory=dict)   # prompt name -> version the run used
    # placeholder -> original for secrets redacted out of this diagnosis; never rendered,
    # only used to restore them locally when the operator asks (--reveal-secrets)
    secrets: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    # root_cause: suspects with evidence; healthy: data was read and was quiet;
    # insufficient_evidence: nothing to judge by (every source failed, or no data in the window)
    verdict: DiagnosisVerdict = "root_cause"
    verdict_reasons: tuple[str, ...] = ()    # why the verdict is what it is (insufficient: what was missing)
    coverage: Coverage = Coverage()
    reasoner_note: str = ""                  # why the reasoner is not the one asked for (a fallback), if it is not
    charts: tuple[SeriesPlot, ...] = field(default=(), compare=False, repr=False)
