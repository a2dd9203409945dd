"""The flywheel: an operator's verdict on a run, and wrong runs turned into evaluation cases.

    aiops feedback RUN --verdict wrong --root-cause inventory [--kind pool_exhaustion] [--note ...]

records the verdict in the run history and copies the run's bundle into the evaluation
suite ([evaluation] suite_dir, default <data_dir>/eval-suite) with a truth.toml written
from the feedback (`tags = ["feedback"]`, `source = "feedback"`), so the next `aiops eval`
scores the agent on the incident it got wrong. A case is written whole or not at all: it
is assembled in a hidden directory (which `aiops eval` skips) and renamed into place.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiops.config import Settings
from aiops.errors import BadInputError
from aiops.evaluation.truth import TRUTH_FILE
from aiops.history import RunHistory
from aiops.timeutil import to_rfc3339

VERDICTS = ("correct", "wrong")


def suite_dir(settings: Settings) -> Path:
    s = settings.evaluation.suite_dir
    return Path(s).expanduser() if s else settings.data_dir / "eval-suite"


@dataclass(frozen=True)
class FeedbackOutcome:
    run_id: str
    verdict: str
    case_dir: Path | None = None
    warning: str = ""


def _toml(value: Any) -> str:
    """A TOML value for a string, list of strings, number or flat table (JSON escapes are TOML escapes)."""
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{json.dumps(str(k))} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value))


def truth_text(run: dict[str, Any], service: str, kind: str, verdict: str, note: str, now: float) -> str:
    answer = run.get("answer") if isinstance(run.get("answer"), dict) else {}
    predicted = [c["service"] for c in (answer or {}).get("root_causes", [])[:3]]
    cause = f"[[root_cause]]\nservice = {_toml(service)}\n" + (f"kind = {_toml(kind)}\n" if kind else "")
    meta = {"run_id": run["run_id"], "verdict": verdict, "predicted": predicted, "reasoner": run.get("reasoner", ""),
            "prompt_versions": run.get("prompt_versions") or {}, "trace_id": run.get("trace_id", ""),
            "note": note, "recorded_at": to_rfc3339(now)}
    lines = [f"# Written by `aiops feedback` from run {run['run_id']}: the diagnosis was {verdict}.",
             'source = "feedback"', 'tags = ["feedback"]', "", cause, "[feedback]"]
    lines += [f"{k} = {_toml(v)}" for k, v in meta.items()]
    return "\n".join(lines) + "\n"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "incident"


def make_eval_case(run: dict[str, Any], suite: Path, truth: str) -> Path:
    """Copy the run's bundle into `suite` with `truth` as its truth.toml; returns the case dir.
    A case that already exists (feedback given again) gets the new truth, atomically."""
    from aiops.report.files import write_atomic

    bundle = Path(run["bundle"])
    dest = suite / f"{_slug(run.get('incident_title') or '')}-{run['run_id']}"
    if dest.is_dir():
        write_atomic(dest / TRUTH_FILE, truth)
        return dest
    suite.mkdir(parents=True, exist_ok=True)
    tmp = suite / f".{dest.name}.partial-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        shutil.copytree(bundle, tmp, ignore=shutil.ignore_patterns(TRUTH_FILE, ".*"))
        (tmp / TRUTH_FILE).write_text(truth, encoding="utf-8")
        os.rename(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def give_feedback(history: RunHistory, settings: Settings, ref: str, verdict: str, root_cause: str = "",
                  kind: str = "", note: str = "", add_case: bool = False, now: float | None = None) -> FeedbackOutcome:
    """Record a verdict on run `ref`; a wrong one with the true cause (or any with `add_case`)
    becomes an evaluation case. Bad input raises BadInputError before anything is written."""
    import time
    import uuid

    if verdict not in VERDICTS:
        raise BadInputError(f"--verdict {verdict!r}: use correct or wrong")
    run = history.get(ref)
    top = run.get("top_service") or ""
    if verdict == "correct" and root_cause and root_cause != top:
        raise BadInputError(f"--verdict correct --root-cause {root_cause}: the run's top cause is {top or 'none'}; "
                            "use --verdict wrong when the true cause is another")
    if run.get("state") != "ok":
        raise BadInputError(f"run {run['run_id']} has no answer to judge (it is {run.get('state') or 'unknown'})")
    make_case = (verdict == "wrong" and bool(root_cause)) or add_case
    if add_case and verdict == "wrong" and not root_cause:
        raise BadInputError("--add-case with --verdict wrong needs --root-cause (the true cause)")
    warning = ""
    if verdict == "wrong" and not root_cause:
        warning = "no --root-cause given: the verdict is recorded, but no evaluation case can be made without the true cause"
    case_dir = None
    now = time.time() if now is None else now
    if make_case:
        if not run.get("bundle"):
            raise BadInputError(f"run {run['run_id']} did not come from a bundle (a live run): no case can be made; "
                                "give the verdict without --root-cause, or snapshot the incident into a bundle first")
        if not Path(run["bundle"]).is_dir():
            raise BadInputError(f"run {run['run_id']}: its bundle {run['bundle']} no longer exists; "
                                "give the verdict without --root-cause")
        service = root_cause or top
        kind = kind or ("" if verdict == "wrong" else _top_fault(run))
        case_dir = make_eval_case(run, suite_dir(settings), truth_text(run, service, kind, verdict, note, now))
    history.write("feedback", {"id": uuid.uuid4().hex, "run_id": run["run_id"], "ts": now, "verdict": verdict,
                               "root_cause": root_cause, "kind": kind, "note": note,
                               "case_dir": str(case_dir) if case_dir else ""})
    warning = _remember_verdict(settings, run["run_id"], verdict, root_cause, kind, now) or warning
    return FeedbackOutcome(run["run_id"], verdict, case_dir, warning)


def _remember_verdict(settings: Settings, run_id: str, verdict: str, root_cause: str, kind: str, now: float) -> str:
    """The incident memory learns the verdict too ('' when it did, else a warning)."""
    from aiops.memory.store import IncidentMemory

    memory = IncidentMemory.from_settings(settings)
    if memory is None:
        return ""
    try:
        memory.verdict(run_id, verdict, root_cause, kind, now=now)
    except OSError as exc:
        return f"the incident memory did not learn this verdict ({memory.path}: {exc.strerror or exc})"
    return ""


def _top_fault(run: dict[str, Any]) -> str:
    answer = run.get("answer") if isinstance(run.get("answer"), dict) else {}
    causes = (answer or {}).get("root_causes") or []
    return causes[0]["fault"] if causes else ""
