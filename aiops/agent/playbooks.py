"""Playbooks: what a senior on-call engineer checks for a kind of incident (playbooks/*.yaml).

    name: connection-pool-exhaustion
    title: Connection pool exhausted
    fault: connection_pool_exhaustion
    match:
      alert: {alertname: "(?i)latency|timeout"}        # label -> regex; any label matching counts
      symptoms: [pool, too many connections]            # words in the title / symptom / alert
      evidence:                                         # what in a suspect's findings points here
        - {kind: log, text: "pool|too many connections", weight: 0.7}
        - {kind: metric, class: pool, direction: up, weight: 0.6}
    refute:
      - {kind: metric, class: cpu, direction: up, weight: 0.3}
    checks:                                             # tool calls to confirm, {service} filled in
      - {tool: logs.search, args: {pattern: "pool|too many connections", regex: true, service: "{service}"},
         reason: "error lines that name the pool", confirms: true}
    remediation: ["Raise the pool size of {service} as a stop-gap ..."]
    runbook: database connection pool exhausted         # knowledge-base query

`match_incident` finds the playbooks an alert or symptom calls for (their checks join the
first plan); `match_findings` scores each playbook against one suspect's findings (which
kind of fault the evidence looks like, and what to check next).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiops.analytics.units import pressure_sign
from aiops.analytics.weighing import PRESSURE_CLASSES
from aiops.domain import Finding, Incident
from aiops.errors import BadInputError, one_line
from aiops.yamlfile import load_yaml

_TOP_KEYS = {"name", "title", "fault", "description", "match", "refute", "checks", "remediation", "runbook"}
_MATCH_KEYS = {"alert", "symptoms", "evidence"}
_EVIDENCE_KEYS = {"kind", "class", "tags", "direction", "text", "own", "weight", "required"}
_CHECK_KEYS = {"tool", "args", "reason", "confirms"}
_METRIC_REF = re.compile(r"\{metric:([a-z_]+)\}")


@dataclass(frozen=True)
class EvidenceRule:
    kind: str = ""                 # metric | log | trace | event ("" = any)
    cls: str = ""                  # signal class for metrics (cpu, memory, pool ...), or a finding tag
    tags: tuple[str, ...] = ()     # any of these tags
    direction: int = 0             # +1 up, -1 down, 0 either
    text: re.Pattern[str] | None = None   # regex on the finding's signal and summary
    own: bool | None = None        # only own-behaviour (True) or only symptoms (False)
    weight: float = 0.5
    required: bool = False         # without this sign the playbook does not fit at all

    def matches(self, f: Finding, is_own: bool) -> bool:
        if self.kind and f.kind != self.kind:
            return False
        if self.cls and self.cls not in f.tags:
            return False
        if self.tags and not set(self.tags) & set(f.tags):
            return False
        if self.direction and f.direction:
            # `up` on a resource means more pressure: free/available bytes that fell qualify
            way = f.direction * (pressure_sign(f.signal) if f.kind == "metric" and self.cls in PRESSURE_CLASSES else 1)
            if way != self.direction:
                return False
        if self.own is not None and self.own != is_own:
            return False
        return not self.text or bool(self.text.search(f"{f.signal} {f.summary}"))


@dataclass(frozen=True)
class Check:
    tool: str
    args: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    confirms: bool = False         # an ok result with data supports the hypothesis

    def for_service(self, service: str, signals: dict[str, str] | None = None) -> dict[str, Any] | None:
        """Arguments with {service} and {metric:CLASS} filled in (the suspect's strongest
        series of that class); None when the suspect has no such series."""
        out = {}
        for k, v in self.args.items():
            v = _fill(v, service)
            if isinstance(v, str) and (m := _METRIC_REF.fullmatch(v)):
                v = (signals or {}).get(m.group(1))
                if v is None:
                    return None
            out[k] = v
        return out


@dataclass(frozen=True)
class Playbook:
    name: str
    title: str
    fault: str
    description: str = ""
    alert: dict[str, re.Pattern[str]] = field(default_factory=dict)
    symptoms: tuple[str, ...] = ()
    evidence: tuple[EvidenceRule, ...] = ()
    refute: tuple[EvidenceRule, ...] = ()
    checks: tuple[Check, ...] = ()
    remediation: tuple[str, ...] = ()
    runbook: str = ""
    source: str = ""

    def incident_score(self, incident: Incident) -> float:
        """How strongly the alert / symptom text calls for this playbook (0..1)."""
        score = 0.0
        labels = {k.lower(): str(v) for k, v in incident.alert.items()}
        if any(p.search(labels.get(k, "")) for k, p in self.alert.items()):
            score = 0.5
        text = " ".join([incident.title, incident.symptom, *labels.values()]).lower()
        hits = sum(1 for s in self.symptoms if s.lower() in text)
        if hits:
            score = max(score, min(1.0, 0.6 + 0.2 * (hits - 1)))
        return score

    def evidence_score(self, findings: list[tuple[Finding, bool]]) -> tuple[float, list[Finding]]:
        """How well one suspect's findings (finding, is_own) fit this fault (0..1), and which.

        The best-matching rule counts fully and the others add a quarter each, so one
        specific sign (an error line naming the pool) outweighs several generic ones;
        refuting rules subtract.
        """
        parts, used = [], []
        for rule in self.evidence:
            best = max(((f.score, f) for f, own in findings if rule.matches(f, own)), default=None,
                       key=lambda t: t[0])
            if best is not None:
                parts.append(rule.weight * best[0])
                used.append(best[1])
            elif rule.required:
                return 0.0, []
        if not parts:
            return 0.0, []
        parts.sort(reverse=True)
        support = parts[0] + 0.25 * sum(parts[1:])
        against = sum(rule.weight * max((f.score for f, own in findings if rule.matches(f, own)), default=0.0)
                      for rule in self.refute)
        return max(0.0, min(1.0, support - against)), used

    def remediation_for(self, service: str) -> list[str]:
        return [_fill(r, service) for r in self.remediation]


def _fill(value: Any, service: str) -> Any:
    if isinstance(value, str):
        return value.replace("{service}", service)
    if isinstance(value, list):
        return [_fill(v, service) for v in value]
    return value


def _rule(raw: Any, where: str) -> EvidenceRule:
    if not isinstance(raw, dict):
        raise BadInputError(f"{where}: an evidence rule must be a mapping")
    unknown = sorted(set(raw) - _EVIDENCE_KEYS)
    if unknown:
        raise BadInputError(f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(_EVIDENCE_KEYS))})")
    direction = {"up": 1, "down": -1, "any": 0, None: 0}.get(raw.get("direction"))
    if direction is None:
        raise BadInputError(f"{where}: direction = {raw.get('direction')!r} must be up, down or any")
    weight = raw.get("weight", 0.5)
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 < weight <= 1:
        raise BadInputError(f"{where}: weight = {weight!r} must be a number in (0, 1]")
    try:
        text = re.compile(raw["text"], re.IGNORECASE) if raw.get("text") else None
    except re.error as exc:
        raise BadInputError(f"{where}: text = {raw['text']!r} is not a valid regex: {exc}") from None
    tags = raw.get("tags") or []
    return EvidenceRule(kind=str(raw.get("kind", "")), cls=str(raw.get("class", "")),
                        tags=tuple(map(str, tags)) if isinstance(tags, list) else (str(tags),), direction=direction,
                        text=text, own=raw.get("own"), weight=float(weight), required=bool(raw.get("required", False)))


def parse_playbook(doc: Any, where: str) -> Playbook:
    if not isinstance(doc, dict):
        raise BadInputError(f"{where}: a playbook must be a mapping")
    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        raise BadInputError(f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(_TOP_KEYS))})")
    for key in ("name", "title", "fault"):
        if not isinstance(doc.get(key), str) or not doc[key].strip():
            raise BadInputError(f"{where}: {key} is required (a string)")
    match = doc.get("match") or {}
    if not isinstance(match, dict) or set(match) - _MATCH_KEYS:
        raise BadInputError(f"{where}: match must be a mapping of {', '.join(sorted(_MATCH_KEYS))}")
    alert = {}
    for label, pattern in (match.get("alert") or {}).items():
        try:
            alert[str(label).lower()] = re.compile(str(pattern))
        except re.error as exc:
            raise BadInputError(f"{where}: match.alert.{label} = {pattern!r} is not a valid regex: {exc}") from None
    checks = []
    for i, raw in enumerate(doc.get("checks") or []):
        if not isinstance(raw, dict) or "tool" not in raw or set(raw) - _CHECK_KEYS:
            raise BadInputError(f"{where}: checks[{i}] must be a mapping with tool, args, reason, confirms")
        if not isinstance(raw.get("args", {}), dict):
            raise BadInputError(f"{where}: checks[{i}].args must be a mapping")
        checks.append(Check(str(raw["tool"]), dict(raw.get("args") or {}), str(raw.get("reason", "")),
                            bool(raw.get("confirms", False))))
    remediation = doc.get("remediation") or []
    if not isinstance(remediation, list) or not all(isinstance(r, str) for r in remediation):
        raise BadInputError(f"{where}: remediation must be a list of strings")
    return Playbook(
        name=doc["name"], title=doc["title"], fault=doc["fault"], description=str(doc.get("description", "")),
        alert=alert, symptoms=tuple(str(s) for s in match.get("symptoms") or ()),
        evidence=tuple(_rule(r, f"{where}: match.evidence[{i}]") for i, r in enumerate(match.get("evidence") or [])),
        refute=tuple(_rule(r, f"{where}: refute[{i}]") for i, r in enumerate(doc.get("refute") or [])),
        checks=tuple(checks), remediation=tuple(remediation), runbook=str(doc.get("runbook", "")), source=where,
    )


def load_playbooks(directories: list[Path]) -> tuple[list[Playbook], list[str]]:
    """Every playbook of the directories (later ones replace earlier ones of the same name),
    and one-line problems for files that could not be used."""
    import yaml

    by_name: dict[str, Playbook] = {}
    problems: list[str] = []
    for directory in directories:
        for path in sorted(Path(directory).expanduser().glob("*.y*ml")):
            try:
                doc = load_yaml(path.read_text(encoding="utf-8"))
                pb = parse_playbook(doc, str(path))
            except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
                problems.append(f"{path}: cannot read: {one_line(exc)}")
                continue
            except BadInputError as exc:
                problems.append(str(exc))
                continue
            by_name[pb.name] = pb
    return sorted(by_name.values(), key=lambda p: p.name), problems


def default_playbooks(settings: Any) -> tuple[list[Playbook], list[str]]:
    from aiops.resources import content_dir

    extra = [Path(p) for p in getattr(getattr(settings, "playbooks", None), "paths", []) or []]
    return load_playbooks([content_dir("playbooks"), *extra])


def match_incident(playbooks: list[Playbook], incident: Incident, threshold: float = 0.5) -> list[tuple[Playbook, float]]:
    scored = [(pb, pb.incident_score(incident)) for pb in playbooks]
    return sorted([(pb, s) for pb, s in scored if s >= threshold], key=lambda t: (-t[1], t[0].name))


def match_findings(playbooks: list[Playbook], findings: list[tuple[Finding, bool]]) -> list[tuple[Playbook, float]]:
    scored = [(pb, pb.evidence_score(findings)[0]) for pb in playbooks]
    return sorted([(pb, s) for pb, s in scored if s > 0], key=lambda t: (-t[1], t[0].name))
