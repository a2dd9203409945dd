"""Log evidence: a service's log templates with counts before/after the onset and sample lines.

The window's records are mined once (every service together, as the investigation does,
so template ids match the log findings' `log_template:<id>` refs) and kept in a cache
shared by every screen of the app.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from aiops.analytics.logs import MinedMessages, is_error_text, mine_messages
from aiops.domain import Finding, TimeWindow
from aiops.telemetry.reader import TelemetryReader

SPARK_BINS = 60


@dataclass(frozen=True)
class MinedLogs:
    window: TimeWindow
    ts: np.ndarray
    service: np.ndarray
    message: np.ndarray
    level: np.ndarray
    mined: MinedMessages


@dataclass(frozen=True)
class TemplateView:
    template_id: str
    template: str
    service: str
    before: int
    after: int
    error: bool
    label: str                      # what the investigation said about it ("new error"), "" if nothing
    score: float
    samples: tuple[str, ...]
    counts: np.ndarray              # lines per bin over the window (sparkline)

    @property
    def total(self) -> int:
        return self.before + self.after


class LogTemplateCache:
    """Mined log records per window; thread-safe, so workers may share it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._mined: dict[tuple[float, float], MinedLogs] = {}

    def get(self, store: TelemetryReader, window: TimeWindow) -> MinedLogs:
        key = (window.start, window.end)
        with self._lock:
            cached = self._mined.get(key)
            if cached is None:
                rec = store.log_records(window.start, window.end)
                cached = MinedLogs(window, np.asarray(rec["ts"], dtype=float), np.asarray(rec["service"], dtype=object),
                                   np.asarray(rec["message"], dtype=object), np.asarray(rec["level"], dtype=object),
                                   mine_messages(rec["message"]))
                self._mined[key] = cached
            return cached


def _label(f: Finding, before: int, after: int) -> str:
    """The investigation's words for a template, minus what the counts shown contradict (the
    view may split elsewhere than the investigation did): `new` needs no line before and some
    after, a rise needs lines after, `vanished` none after."""
    wrong = set()
    if before > 0 or after == 0:
        wrong.add("new")
    if after == 0:
        wrong.add("increase")
    if after > 0:
        wrong.add("vanished")
    tags = [t for t in f.tags if t and t not in wrong]
    if tags:
        return " ".join(tags)
    return "up" if f.direction > 0 and after > 0 else "down" if f.direction < 0 else "flagged"


def template_views(logs: MinedLogs, service: str, split: float, findings: list[Finding],
                   shown: TimeWindow | None = None, limit: int = 10, samples: int = 3) -> list[TemplateView]:
    """The service's templates: those the investigation flagged first, then by lines after `split`.

    `shown` narrows the lines counted (a drill-down time range inside the mined window)."""
    shown = shown or logs.window
    rows = np.flatnonzero((logs.service == service) & (logs.ts >= shown.start) & (logs.ts <= shown.end))
    if len(rows) == 0:
        return []
    codes = logs.mined.codes[rows]
    after = logs.ts[rows] >= split
    n = len(logs.mined.template_ids)
    n_before = np.bincount(codes[~after], minlength=n)
    n_after = np.bincount(codes[after], minlength=n)
    flagged = {f.ref.removeprefix("log_template:") or f.signal: f
               for f in findings if f.kind == "log" and f.service == service}
    present = np.flatnonzero(n_before + n_after)
    ids = logs.mined.template_ids
    order = sorted(present, key=lambda c: (ids[c] not in flagged, -(flagged[ids[c]].score if ids[c] in flagged else 0),
                                           -n_after[c], -n_before[c]))
    bins = np.linspace(shown.start, shown.end, SPARK_BINS + 1)
    out = []
    for c in order[:limit]:
        mine = rows[codes == c]
        later = mine[logs.ts[mine] >= split]
        pick = later if len(later) else mine
        f = flagged.get(ids[c])
        out.append(TemplateView(
            template_id=ids[c], template=logs.mined.templates[c], service=service,
            before=int(n_before[c]), after=int(n_after[c]), error=is_error_text(logs.mined.templates[c]),
            label=_label(f, int(n_before[c]), int(n_after[c])) if f else "", score=f.score if f else 0.0,
            samples=tuple(str(logs.message[i]) for i in pick[:samples]),
            counts=np.histogram(logs.ts[mine], bins=bins)[0]))
    return out
