"""Change evidence: deploys, config changes, restarts and cluster events around the onset."""

from __future__ import annotations

from dataclasses import dataclass

from aiops.domain import Finding, TimeWindow
from aiops.telemetry.reader import TelemetryReader

LOOKBACK_S = 3600.0      # changes up to an hour before the window may explain it


@dataclass(frozen=True)
class ChangeView:
    ts: float
    kind: str
    service: str
    message: str
    own: bool                # the event is the service's own
    flagged: float           # the investigation's score for it, 0 if it did not flag it


def change_events(store: TelemetryReader, window: TimeWindow, service: str | None, findings: list[Finding],
                  limit: int = 40) -> list[ChangeView]:
    """The service's events first, then the others', each group in time order."""
    flagged = {(f.service, f.signal, f.onset): f.score for f in findings if f.kind == "event"}
    views = [ChangeView(ts=float(e["ts"]), kind=str(e["kind"]), service=str(e["service"] or ""),
                        message=str(e["message"] or ""), own=service is not None and e["service"] == service,
                        flagged=flagged.get((e["service"], e["kind"], e["ts"]), 0.0))
             for e in store.events(window.start - LOOKBACK_S, window.end)]
    views.sort(key=lambda v: (not v.own, v.ts))
    return views[:limit]


def relative(ts: float, onset: float | None) -> str:
    """Time from the onset: '-12m03s' (before), '+40s' (after), '0s'; '' without an onset."""
    if onset is None:
        return ""
    d = ts - onset
    a = int(round(abs(d)))
    text = f"{a // 3600}h{a % 3600 // 60:02d}m" if a >= 3600 else f"{a // 60}m{a % 60:02d}s" if a >= 60 else f"{a}s"
    return text if a == 0 else ("-" if d < 0 else "+") + text
