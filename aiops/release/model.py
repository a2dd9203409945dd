"""The post-release check's data: what was asked, each check's result, the report.

Plain frozen dataclasses; the renderers in `aiops.report.release_*` consume them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from aiops.domain import Diagnosis, TimeWindow

CheckStatus = Literal["pass", "warn", "fail", "skip"]
Verdict = Literal["pass", "warn", "fail"]
DAY_S = 86400.0
_SEVERITY = {"skip": 0, "pass": 1, "warn": 2, "fail": 3}


def worst(statuses: list[str] | tuple[str, ...]) -> str:
    """The most severe of the statuses (fail > warn > pass > skip); 'pass' for none."""
    return max(statuses, key=_SEVERITY.__getitem__, default="pass")


@dataclass(frozen=True)
class ReleaseWindows:
    """The baseline before the release, the window after it, and how far back to look for
    the same hours on previous days (the days that have data are used)."""

    deployed_at: float
    baseline_s: float
    after_s: float
    history_days: int = 0

    def __post_init__(self) -> None:
        if not self.baseline_s > 0 or not self.after_s > 0:
            raise ValueError("baseline and after windows must be longer than 0 s")
        if self.history_days < 0:
            raise ValueError(f"history_days must be >= 0, got {self.history_days}")

    @property
    def before(self) -> TimeWindow:
        return TimeWindow(self.deployed_at - self.baseline_s, self.deployed_at)

    @property
    def after(self) -> TimeWindow:
        return TimeWindow(self.deployed_at, self.deployed_at + self.after_s)

    @property
    def span(self) -> TimeWindow:
        """Baseline start to after end on the release day."""
        return TimeWindow(self.before.start, self.after.end)

    def days_back(self, back: int) -> tuple[tuple[float, float], tuple[float, float]]:
        """(before, after) as (start, end) pairs, `back` days earlier."""
        shift = back * DAY_S
        b, a = self.before, self.after
        return (b.start - shift, b.end - shift), (a.start - shift, a.end - shift)

    def data_span(self) -> TimeWindow:
        """Everything a check may read: from the earliest previous day's baseline to the end."""
        return TimeWindow(self.before.start - self.history_days * DAY_S, self.after.end)


@dataclass(frozen=True)
class ReleaseRequest:
    release: str                         # the tag or version being checked
    windows: ReleaseWindows
    services: tuple[str, ...] = ()       # () = every service with data
    source: str = ""                     # where the data came from, for the report ("bundle DIR")


@dataclass(frozen=True)
class Chart:
    """One signal over the baseline and the after window, for the HTML report."""

    title: str
    unit: str
    timestamps: tuple[float, ...]
    values: tuple[float, ...]
    baseline: float | None = None                 # the baseline location the check compared with
    previous_day: tuple[float, ...] = ()          # the same hours one day earlier (aligned; NaN where none)


@dataclass(frozen=True)
class CheckResult:
    check: str                # latency_p90, error_rate, traffic, cpu, memory, log_templates, error_paths, restarts
    category: str             # golden | logs | traces | restarts
    service: str
    status: CheckStatus
    summary: str              # one line a person can act on
    before: float | None = None
    after: float | None = None
    change: float | None = None
    unit: str = ""
    p_value: float | None = None
    evidence: tuple[str, ...] = ()
    chart: Chart | None = None
    seasonal: str = ""        # how previous days corrected the comparison, if they did

    @property
    def name(self) -> str:
        return f"{self.check} · {self.service}" if self.service else self.check


DEPLOY_KINDS = ("deploy", "deployment", "rollout", "release")
RELEASE_SLACK_S = 300.0


@dataclass(frozen=True)
class DeployEvent:
    at: float
    service: str
    message: str
    kind: str = "deploy"          # deploy / rollout / release, or config, feature_flag, migration ...
    names_release: bool = False   # the event names the release tag (message, version, image)


@dataclass(frozen=True)
class ReleaseReport:
    release: str
    windows: ReleaseWindows
    verdict: Verdict
    checks: tuple[CheckResult, ...]
    services: tuple[str, ...]                  # the services that were checked
    deploys: tuple[DeployEvent, ...] = ()      # deploy/config events around the release
    history_days_used: int = 0
    diagnosis: Diagnosis | None = None
    missing: tuple[str, ...] = ()              # sources or checks that could not run
    notes: tuple[str, ...] = ()
    thresholds: dict[str, float] = field(default_factory=dict)
    source: str = ""
    duration_s: float = 0.0

    def by_status(self, *statuses: str) -> list[CheckResult]:
        return [c for c in self.checks if c.status in statuses]

    @property
    def deployed_services(self) -> set[str]:
        """Services deployed in this release: deploy events that name the tag, else deploy
        events within RELEASE_SLACK_S of the deploy time (config changes never count)."""
        deploys = [d for d in self.deploys if d.kind in DEPLOY_KINDS]
        tagged = {d.service for d in deploys if d.names_release}
        return tagged or {d.service for d in deploys if abs(d.at - self.windows.deployed_at) <= RELEASE_SLACK_S}

    def counts(self) -> dict[str, int]:
        out = {"pass": 0, "warn": 0, "fail": 0, "skip": 0}
        for c in self.checks:
            out[c.status] += 1
        return out


def redacted(report: ReleaseReport) -> ReleaseReport:
    """The report with every secret in its text (log templates, deploy messages, notes,
    evidence lines) replaced by a placeholder: it is published to CI and pull requests."""
    from aiops.redaction import Redactor

    redactor = Redactor()

    def r(text: str) -> str:
        return redactor.redact(text)[0] if text else text

    checks = tuple(replace(c, summary=r(c.summary), evidence=tuple(map(r, c.evidence)), seasonal=r(c.seasonal),
                           chart=replace(c.chart, title=r(c.chart.title)) if c.chart is not None else None)
                   for c in report.checks)
    deploys = tuple(replace(d, message=r(d.message)) for d in report.deploys)
    return replace(report, release=r(report.release), checks=checks, deploys=deploys, missing=tuple(map(r, report.missing)),
                   notes=tuple(map(r, report.notes)), source=r(report.source))
