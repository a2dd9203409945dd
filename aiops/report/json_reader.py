"""Reading a diagnosis JSON document (as `aiops diagnose --format json` writes it) back.

Used to open a past run (`aiops tui --open report.json`). Fields the spec fixes are
required; our extensions (timeline, notes ...) are optional. Bad input raises a one-line
BadInputError naming the file and the key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aiops.domain import (
    MODALITIES, Coverage, Diagnosis, Evidence, Incident, RootCause, RunbookRef, SourceRead, TimelineEntry, TimeWindow,
    Usage,
)
from aiops.errors import BadInputError
from aiops.report.json_report import SCHEMA_VERSION
from aiops.timeutil import parse_timestamp

_KINDS = ("metric", "log", "trace", "event", "knowledge")
VERDICTS = ("root_cause", "healthy", "insufficient_evidence")


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, key: str, reason: str) -> BadInputError:
        return BadInputError(f"{self.path}: {key}: {reason}")

    def get(self, obj: dict, key: str, where: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if not isinstance(obj, dict):
            raise self.fail(where, "expected an object")
        if key not in obj:
            if default is ...:
                raise self.fail(f"{where}.{key}".lstrip("."), "missing")
            return default
        value = obj[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise self.fail(f"{where}.{key}".lstrip("."), f"expected {_name(kind)}, got {value!r:.60}")
        return value

    def time(self, value: Any, key: str) -> float:
        try:
            return parse_timestamp(value)
        except ValueError:
            raise self.fail(key, f"not a timestamp: {value!r:.60}") from None


def _name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join({dict: "an object", list: "a list", str: "a string", int: "a number",
                        float: "a number", bool: "true/false"}.get(k, k.__name__) for k in kinds)


def read_diagnosis(path: Path) -> Diagnosis:
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInputError(f"{path}: report does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInputError(f"{path}: cannot read: {exc.__class__.__name__}") from None
    except json.JSONDecodeError as exc:
        raise BadInputError(f"{path}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise BadInputError(f"{path}: JSON nested too deeply to read") from None
    return diagnosis_from_dict(doc, path)


def diagnosis_from_dict(doc: Any, path: Path | str = "<report>") -> Diagnosis:
    r = _Reader(Path(path))
    version = r.get(doc, "schema_version", "", int)
    if version != SCHEMA_VERSION:
        raise r.fail("schema_version", f"{version} is not supported (this aiops reads {SCHEMA_VERSION})")
    inc = r.get(doc, "incident", "", dict)
    win = r.get(inc, "window", "incident", dict)
    start = r.time(r.get(win, "start", "incident.window", (str, int, float)), "incident.window.start")
    end = r.time(r.get(win, "end", "incident.window", (str, int, float)), "incident.window.end")
    if not end > start:
        raise r.fail("incident.window", "end is not after start")
    started = inc.get("started_at")
    incident = Incident(
        title=r.get(inc, "title", "incident", str), window=TimeWindow(start, end),
        started_at=None if started is None else r.time(started, "incident.started_at"),
        alert={str(k): str(v) for k, v in r.get(inc, "alert", "incident", dict, {}).items()},
    )
    causes = []
    for i, rc in enumerate(r.get(doc, "root_causes", "", list)):
        where = f"root_causes[{i}]"
        evidence = []
        for j, e in enumerate(r.get(rc, "evidence", where, list)):
            ew = f"{where}.evidence[{j}]"
            kind = r.get(e, "kind", ew, str)
            if kind not in _KINDS:
                raise r.fail(f"{ew}.kind", f"{kind!r} is not one of {', '.join(_KINDS)}")
            at = e.get("at")
            evidence.append(Evidence(kind=kind, summary=r.get(e, "summary", ew, str), ref=r.get(e, "ref", ew, str, ""),
                                     at=None if at is None else r.time(at, f"{ew}.at")))
        confidence = float(r.get(rc, "confidence", where, (int, float)))
        if not 0.0 <= confidence <= 1.0:
            raise r.fail(f"{where}.confidence", f"{confidence} is not in [0, 1]")
        causes.append(RootCause(
            rank=r.get(rc, "rank", where, int), service=r.get(rc, "service", where, str),
            component=r.get(rc, "component", where, str, ""), fault=r.get(rc, "fault", where, str, "unknown"),
            confidence=confidence, summary=r.get(rc, "summary", where, str, ""), evidence=tuple(evidence)))
    runbooks = tuple(
        RunbookRef(title=r.get(b, "title", f"runbooks[{i}]", str), source=r.get(b, "source", f"runbooks[{i}]", str),
                   score=float(r.get(b, "score", f"runbooks[{i}]", (int, float), 0.0)))
        for i, b in enumerate(r.get(doc, "runbooks", "", list)))
    u = r.get(doc, "usage", "", dict)
    usage = Usage(llm_calls=r.get(u, "llm_calls", "usage", int, 0), prompt_tokens=r.get(u, "prompt_tokens", "usage", int, 0),
                  completion_tokens=r.get(u, "completion_tokens", "usage", int, 0),
                  cost_usd=float(r.get(u, "cost_usd", "usage", (int, float), 0.0)))
    timeline = tuple(
        TimelineEntry(at=r.time(r.get(t, "at", f"timeline[{i}]", (str, int, float)), f"timeline[{i}].at"),
                      service=r.get(t, "service", f"timeline[{i}]", str), summary=r.get(t, "summary", f"timeline[{i}]", str),
                      kind=t.get("kind", "metric") if t.get("kind") in _KINDS else "metric")
        for i, t in enumerate(r.get(doc, "timeline", "", list, [])))
    return Diagnosis(
        incident=incident, root_causes=tuple(sorted(causes, key=lambda c: c.rank)),
        remediation=tuple(str(x) for x in r.get(doc, "remediation", "", list)), runbooks=runbooks, usage=usage,
        run_id=r.get(doc, "run_id", "", str), duration_s=float(r.get(doc, "duration_s", "", (int, float))),
        reasoner=r.get(doc, "reasoner", "", str, "offline"), timeline=timeline,
        missing_evidence=tuple(str(x) for x in r.get(doc, "missing_evidence", "", list, [])),
        notes=tuple(str(x) for x in r.get(doc, "notes", "", list, [])),
        trace_id=r.get(doc, "trace_id", "", str, ""),
        prompt_versions={str(k): str(v) for k, v in r.get(doc, "prompt_versions", "", dict, {}).items()},
        verdict=_verdict(r, doc, causes), verdict_reasons=tuple(str(x) for x in r.get(doc, "verdict_reasons", "", list, [])),
        coverage=_coverage(r, r.get(doc, "coverage", "", dict, {})),
        reasoner_note=r.get(doc, "reasoner_note", "", str, ""),
    )


def _verdict(r: "_Reader", doc: dict, causes: list) -> str:
    """The report's verdict; a report written before verdicts existed had root causes or nothing."""
    value = r.get(doc, "verdict", "", str, "root_cause" if causes else "insufficient_evidence")
    if value not in VERDICTS:
        raise r.fail("verdict", f"{value!r} is not one of {', '.join(VERDICTS)}")
    return value


def _coverage(r: "_Reader", doc: dict) -> Coverage:
    sources = tuple(SourceRead(name=r.get(s, "name", f"coverage.sources[{i}]", str),
                               status=r.get(s, "status", f"coverage.sources[{i}]", str),
                               detail=r.get(s, "detail", f"coverage.sources[{i}]", str, ""))
                    for i, s in enumerate(r.get(doc, "sources", "coverage", list, [])))
    modalities = r.get(doc, "modalities", "coverage", dict, {})
    rows, services = {}, {}
    for m in MODALITIES:
        entry = r.get(modalities, m, "coverage.modalities", dict, {})
        rows[m] = int(r.get(entry, "rows", f"coverage.modalities.{m}", int, 0))
        services[m] = tuple(str(x) for x in r.get(entry, "services", f"coverage.modalities.{m}", list, []))
    return Coverage(sources=sources, rows=rows, services=services)
