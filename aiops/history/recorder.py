"""Record a run in the history while its events stream past (the CLI and the TUI give
their session `recorder_for(settings)`, which wraps each run's events in `recorded`).

    for event in recorded(diagnose(bundle, settings), history, bundle=bundle):
        ...

The run is written when it starts and when it ends; a run that raises is recorded as
failed with the one-line reason, then the exception goes on. Recording never fails or
slows a diagnosis: two fsynced appends per run, and a history that cannot be written (a
read-only disk, a full one) becomes a note in the diagnosis.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import time
from pathlib import Path
from typing import Any, Callable, Iterator

from aiops.agent.events import Answer, Event, FindingMade, PlanMade, Reflection, RunStarted, ToolResultEvent
from aiops.config import Settings
from aiops.domain import Diagnosis
from aiops.errors import one_line
from aiops.history.store import RunHistory
from aiops.redaction import Redactor

MAX_TEXT = 500
MAX_FINDINGS = 40


def _cut(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class RunRecord:
    """What the history keeps of one run, gathered from its events. Text is redacted before
    it is cut short: a cut through a secret would leave a piece no pattern recognises."""

    def __init__(self, bundle: str = "", redactor: Redactor | None = None) -> None:
        self.redactor = redactor or Redactor()
        self.bundle = bundle
        self.row: dict[str, Any] = {}
        self.rounds: list[dict[str, Any]] = []
        self.steps: dict[str, dict[str, Any]] = {}
        self.findings: list[dict[str, Any]] = []
        self.done = False

    def _cap(self, text: str, limit: int = MAX_TEXT) -> str:
        return _cut(self.redactor.redact(text)[0] if text else text, limit)

    @property
    def run_id(self) -> str:
        return self.row.get("run_id", "")

    def see(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            from aiops import __version__

            now = time.time()
            self.row = {"run_id": event.run_id, "started_at": now, "updated_at": now, "status": "running",
                        "incident_title": event.incident_title, "bundle": self.bundle, "reasoner": event.reasoner,
                        "prompt_versions": dict(event.prompt_versions), "trace_id": event.trace_id,
                        "pid": os.getpid(), "host": socket.gethostname(), "version": __version__}
        elif isinstance(event, PlanMade):
            self.rounds.append({"round": event.round, "hypotheses": list(event.hypotheses),
                                "playbooks": list(event.playbooks)})
            for s in event.steps:
                self.steps[s.id] = {"round": event.round, "id": s.id, "tool": s.tool, "args": s.args,
                                    "specialist": s.specialist, "reason": self._cap(s.reason)}
        elif isinstance(event, ToolResultEvent):
            self.steps.setdefault(event.step.id, {"round": event.round, "id": event.step.id, "tool": event.step.tool,
                                                  "args": event.step.args})
            self.steps[event.step.id].update(status=event.status, summary=self._cap(event.summary),
                                             query=self._cap(event.query), duration_s=round(event.duration_s, 4))
        elif isinstance(event, FindingMade):
            f = event.finding
            self.findings.append({"kind": f.kind, "service": f.service, "signal": f.signal,
                                  "score": round(float(f.score), 4), "summary": self._cap(f.summary, 300),
                                  "step": event.step_id})
        elif isinstance(event, Reflection):
            entry = next((r for r in self.rounds if r["round"] == event.round), None)
            if entry is None:
                entry = {"round": event.round}
                self.rounds.append(entry)
            entry.update(decision=event.decision, confident=event.confident, summary=self._cap(event.summary),
                         top=[[s, round(c, 3)] for s, c in event.top[:5]])

    def _progress(self) -> dict[str, Any]:
        best = sorted(self.findings, key=lambda f: -f["score"])[:MAX_FINDINGS]
        return {"plan": {"rounds": self.rounds, "steps": list(self.steps.values())}, "evidence": best,
                "updated_at": time.time()}

    def finished(self, d: Diagnosis) -> dict[str, Any]:
        from aiops.report.json_report import diagnosis_to_dict

        self.done = True
        top = d.root_causes[0] if d.root_causes else None
        inc = d.incident
        return self.row | self._progress() | {
            "status": "ok", "finished_at": time.time(), "reasoner": d.reasoner, "trace_id": d.trace_id or self.row.get("trace_id", ""),
            "prompt_versions": dict(d.prompt_versions),
            "incident": {"title": inc.title, "window": [inc.window.start, inc.window.end], "started_at": inc.started_at,
                         "alert": dict(inc.alert), "symptom": inc.symptom},
            "answer": diagnosis_to_dict(d), "top_service": top.service if top else "",
            "top_confidence": float(top.confidence) if top else 0.0, "llm_calls": d.usage.llm_calls,
            "prompt_tokens": d.usage.prompt_tokens, "completion_tokens": d.usage.completion_tokens,
            "cost_usd": float(d.usage.cost_usd), "duration_s": float(d.duration_s),
        }

    def failed(self, exc: BaseException) -> dict[str, Any]:
        self.done = True
        started = self.row.get("started_at") or time.time()
        why = "interrupted" if isinstance(exc, (KeyboardInterrupt, GeneratorExit)) else one_line(exc)
        return self.row | self._progress() | {"status": "failed", "finished_at": time.time(),
                                              "error": self._cap(f"{type(exc).__name__}: {why}", 1000),
                                              "duration_s": time.time() - started}


def _write(history: RunHistory, row: dict[str, Any], started: bool = False) -> str:
    """'' when written, else the note that says why not (`started`: the run's start is recorded)."""
    try:
        history.write("runs", row)
        return ""
    except Exception as exc:  # noqa: BLE001 - the history never fails a diagnosis
        what = "the answer of this run was not recorded (the history shows the run unfinished)" if started \
            else "this run was not recorded"
        return f"run history: {what} ({history.wal_path}: {getattr(exc, 'strerror', None) or exc})"


def recorded(events: Iterator[Event], history: RunHistory | None, *, bundle: str | os.PathLike[str] | None = None
             ) -> Iterator[Event]:
    """`events`, unchanged except that a failure to record adds a note to the diagnosis."""
    if history is None:
        yield from events
        return
    rec = RunRecord(os.path.abspath(bundle) if bundle else "", history.redactor)   # no resolve(): a loop is the loader's to name
    note = ""
    try:
        for event in events:
            rec.see(event)
            if isinstance(event, RunStarted):
                note = _write(history, rec.row)
            elif isinstance(event, Answer):
                d = event.diagnosis
                note = _write(history, rec.finished(d), started=not note)   # the end record is the whole run
                if note:
                    event = Answer(dataclasses.replace(d, notes=d.notes + (note,)))
                else:
                    try:
                        history.maybe_fold()
                    except Exception:  # noqa: BLE001 - folding is housekeeping
                        pass
            yield event
    except BaseException as exc:
        if rec.run_id and not rec.done:
            _write(history, rec.failed(exc))
        raise
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()


def recorder_for(settings: Settings) -> Callable[[Iterator[Event], Path | None], Iterator[Event]] | None:
    """What a session records its runs with (aiops.agent.session.Recorder): None when
    history.enabled is off."""
    if not settings.history.enabled:
        return None
    history = RunHistory.from_settings(settings)
    return lambda events, bundle: recorded(events, history, bundle=bundle)
