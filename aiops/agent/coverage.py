"""What a diagnosis rests on, and the verdict it supports.

    coverage = coverage_of(store, window, sources)     # rows per modality and service in the window
    verdict, reasons = verdict_of(coverage, top_score, incident)

The verdict says what the run may claim:

- `insufficient_evidence` — nothing to judge by: no metrics, logs, traces or events in the
  window (every source failed, or none had data), or only change/cluster events and they
  show nothing. The reasons name what could not be read. `aiops diagnose` exits 4.
- `healthy` — data was read and no service scored QUIET_BELOW or more (when an alert
  fired, the reasons say that its symptom is not in the data read).
- `root_cause` — suspects with evidence (ranked in `root_causes`).
"""

from __future__ import annotations

from typing import Sequence

from aiops.domain import MODALITIES, Coverage, Incident, SourceRead, TimeWindow
from aiops.telemetry.reader import TelemetryReader
from aiops.timeutil import to_rfc3339

# A service whose evidence scores below this (the ranking's 0..1 score: a noisy-OR of its
# findings' weights) showed nothing worth naming. Chosen from simulated clean releases and
# incidents (bench/bench_verdict.py): every incident's top service scores far above it.
QUIET_BELOW = 0.1
MOVED_Z = 3.0      # ... unless a series moved this many robust standard deviations after the alert

# modality -> (table, time column, extra condition)
_TABLES = {"metrics": ("metrics", "ts", " AND value IS NOT NULL"), "logs": ("logs", "ts", ""),
           "traces": ("spans", "start", ""), "events": ("events", "ts", "")}


def window_rows(store: TelemetryReader | None, window: TimeWindow) -> dict[str, dict[str, int]]:
    """modality -> service -> rows in the window ('' for rows without a service)."""
    out: dict[str, dict[str, int]] = {m: {} for m in MODALITIES}
    if store is None:
        return out
    for modality, (table, col, extra) in _TABLES.items():
        res = store.sql(f"SELECT service, count(*) AS n FROM {table} WHERE {col} >= $lo AND {col} <= $hi{extra} "
                        "GROUP BY service ORDER BY service", {"lo": window.start, "hi": window.end})
        out[modality] = {str(s): int(n) for s, n in zip(res["service"], res["n"]) if int(n)}
    return out


def coverage_of(store: TelemetryReader | None, window: TimeWindow, sources: Sequence[SourceRead] = ()) -> Coverage:
    counts = window_rows(store, window)
    return Coverage(sources=tuple(sources), rows={m: sum(counts[m].values()) for m in MODALITIES},
                    services={m: tuple(s for s in counts[m] if s) for m in MODALITIES})


def verdict_of(coverage: Coverage, top_score: float, incident: Incident,
               moved: tuple[str, float] = ("", 0.0)) -> tuple[str, tuple[str, ...]]:
    """(verdict, reasons) for a run whose best candidate scored `top_score`; `moved` is the
    service whose series moved most after the onset (robust z) when nothing passed as
    evidence: a move of MOVED_Z or more is never called healthy."""
    read = coverage.read
    if not read or (read == ("events",) and top_score < QUIET_BELOW):
        return "insufficient_evidence", _why_blind(coverage, incident.window)
    if top_score >= QUIET_BELOW:
        return "root_cause", ()
    if moved[1] >= MOVED_Z:
        return "root_cause", (f"weak evidence only: nothing passed as a change, the strongest move is {moved[0]}'s "
                              f"({moved[1]:.1f} robust standard deviations after the alert); ranked by that",)
    n = len(coverage.all_services)
    reasons = [f"no service showed anomalous behaviour in the {_modalities(read)} of {n} service{'s' if n != 1 else ''}"]
    name = incident.alert.get("alertname")
    if name:        # say so: the quiet data contradicts what the operator was paged for
        where = f" for {incident.alert['service']}" if incident.alert.get("service") else ""
        reasons.append(f"yet alert {name} fired{where}: its symptom is not visible in the data read")
    return "healthy", tuple(reasons)


def _why_blind(coverage: Coverage, window: TimeWindow) -> tuple[str, ...]:
    reasons = [f"could not read {s.name}: {s.detail}" if s.status == "error" else f"{s.name}: no data in the window"
               for s in coverage.sources if s.status != "ok"]
    if coverage.read == ("events",):
        reasons.append("only change and cluster events were read: no metrics, logs or traces to judge the services by")
    elif not reasons:
        reasons.append(f"no metrics, logs, traces or events between {to_rfc3339(window.start)} and "
                       f"{to_rfc3339(window.end)}")
    return tuple(dict.fromkeys(reasons))


def _modalities(read: Sequence[str]) -> str:
    names = list(read)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
