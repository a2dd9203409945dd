"""The incident memory on disk: one JSON-lines file of incidents and verdicts.

Every record is appended whole and fsynced under an exclusive lock (aiops.journal), and
read under a shared one, so any number of processes — `aiops serve`, `aiops diagnose`,
`aiops feedback` — write and read it at once without a database lock. The file stays
bounded: past 1.25 x memory.max_incidents incidents it is rewritten (atomically, under
the lock) with the newest max_incidents and their verdicts.

    memory = IncidentMemory.from_settings(settings)          # None when memory.enabled is off
    memory.remember(run_id, incident, signature, causes)
    memory.verdict(run_id, "wrong", root_cause="payments", kind="connection_pool_exhaustion")
    for r in memory.similar(signature, exclude=run_id): r.past.confirmed, r.similarity
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiops import journal
from aiops.config import Settings
from aiops.memory.signature import Signature, similarity

KINDS = ("incident", "verdict")
MIN_RECORD_BYTES = 200           # an incident record is at least this long


@dataclass(frozen=True)
class Cause:
    service: str
    fault: str = ""
    confidence: float = 0.0

    def text(self) -> str:
        what = self.fault.replace("_", " ") if self.fault else "the root cause"
        return f"{what} on {self.service}"


@dataclass(frozen=True)
class PastIncident:
    run_id: str
    ts: float
    title: str
    signature: Signature
    causes: tuple[Cause, ...]                # what the run answered, best first
    verdict: str = ""                        # "" | correct | wrong (the latest)
    confirmed: Cause | None = None           # the true cause, when a verdict says it
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Recalled:
    past: PastIncident
    similarity: float


def memory_path(settings: Settings) -> Path:
    return Path(settings.memory.path).expanduser() if settings.memory.path else settings.data_dir / "memory.jsonl"


def _confirmed(causes: tuple[Cause, ...], verdict: dict[str, Any] | None) -> Cause | None:
    if not verdict:
        return None
    if verdict.get("verdict") == "correct" and causes:
        return causes[0]
    if verdict.get("verdict") == "wrong" and verdict.get("root_cause"):
        return Cause(str(verdict["root_cause"]), str(verdict.get("kind") or ""))
    return None


def _whole(r: dict[str, Any]) -> bool:
    return r.get("type") in KINDS and isinstance(r.get("run_id"), str)


class IncidentMemory:
    def __init__(self, path: str | os.PathLike[str], max_incidents: int = 5000) -> None:
        self.path = Path(path).expanduser()
        self.max_incidents = max_incidents

    @classmethod
    def from_settings(cls, settings: Settings) -> "IncidentMemory | None":
        if not settings.memory.enabled:
            return None
        return cls(memory_path(settings), settings.memory.max_incidents)

    # --- writing -------------------------------------------------------------------------
    def remember(self, run_id: str, title: str, signature: Signature, causes: list[Cause],
                 extra: dict[str, Any] | None = None, now: float | None = None) -> None:
        """Keep a finished diagnosis (OSError when the disk refuses)."""
        journal.append(self.path, {
            "type": "incident", "run_id": run_id, "ts": time.time() if now is None else now, "title": title[:300],
            "signature": signature.to_dict(),
            "causes": [{"service": c.service, "fault": c.fault, "confidence": round(float(c.confidence), 4)}
                       for c in causes[:3]],
            "extra": extra or {}})
        self._maybe_compact()

    def verdict(self, run_id: str, verdict: str, root_cause: str = "", kind: str = "", now: float | None = None) -> None:
        """Keep an operator's verdict on a remembered run (the latest one counts)."""
        journal.append(self.path, {"type": "verdict", "run_id": run_id, "ts": time.time() if now is None else now,
                                   "verdict": verdict, "root_cause": root_cause, "kind": kind})

    # --- reading -------------------------------------------------------------------------
    def _records(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with journal.locked(self.path, fcntl.LOCK_SH) as fd:
            return journal.records(fd, _whole)

    def incidents(self) -> list[PastIncident]:
        """Every remembered incident, oldest first, with its latest verdict."""
        return _fold(self._records())

    def get(self, ref: str) -> PastIncident | None:
        """A remembered run by id or unique id prefix."""
        pool = self.incidents()
        exact = [p for p in pool if p.run_id == ref]
        found = exact or [p for p in pool if ref and p.run_id.startswith(ref)]
        return found[0] if len(found) == 1 else None

    def similar(self, signature: Signature, *, min_similarity: float = 0.4, limit: int = 5, exclude: str = "",
                pool: list[PastIncident] | None = None) -> list[Recalled]:
        """Past incidents at least `min_similarity` alike, most similar (then newest) first."""
        scored = [Recalled(p, similarity(signature, p.signature)) for p in (self.incidents() if pool is None else pool)
                  if p.run_id != exclude]
        scored = [r for r in scored if r.similarity >= min_similarity]
        scored.sort(key=lambda r: (-r.similarity, -r.past.ts, r.past.run_id))
        return scored[:limit]

    # --- housekeeping --------------------------------------------------------------------
    def _maybe_compact(self) -> None:
        try:
            if self.path.stat().st_size < self.max_incidents * MIN_RECORD_BYTES:   # cheap: cannot be over yet
                return
        except FileNotFoundError:
            return
        with journal.locked(self.path, fcntl.LOCK_EX) as fd:
            records = journal.records(fd, _whole)
            runs = [r["run_id"] for r in records if r["type"] == "incident"]
            if len(runs) <= self.max_incidents * 1.25:
                return
            keep = set(runs[-self.max_incidents:])
            data = "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n"
                           for r in records if r["run_id"] in keep).encode("utf-8")
            os.ftruncate(fd, 0)            # in place, under the lock: appenders hold this same file
            os.pwrite(fd, data, 0)
            os.fsync(fd)


def _fold(records: list[dict[str, Any]]) -> list[PastIncident]:
    verdicts: dict[str, dict[str, Any]] = {}
    incidents: dict[str, dict[str, Any]] = {}
    for r in records:
        if r["type"] == "verdict":
            verdicts[r["run_id"]] = r
        else:
            incidents[r["run_id"]] = r
    out = []
    for run_id, r in incidents.items():
        causes = tuple(Cause(str(c.get("service", "")), str(c.get("fault", "")), float(c.get("confidence") or 0.0))
                       for c in r.get("causes") or [] if isinstance(c, dict) and c.get("service"))
        v = verdicts.get(run_id)
        out.append(PastIncident(run_id=run_id, ts=float(r.get("ts") or 0.0), title=str(r.get("title") or ""),
                                signature=Signature.from_dict(r.get("signature") or {}), causes=causes,
                                verdict=str(v.get("verdict", "")) if v else "", confirmed=_confirmed(causes, v),
                                extra=r.get("extra") if isinstance(r.get("extra"), dict) else {}))
    out.sort(key=lambda p: (p.ts, p.run_id))
    return out
