"""The reporter: turn the run's evidence and the last verdict into the Diagnosis.

Root causes follow the evidence ranking, or the reasoner's own order when it gave one
(an LLM verdict); either way at least five candidates are listed when five services have
data, so top-k accuracy can be scored. Faults and remediation come from the playbook each
suspect's evidence fits; runbooks are the knowledge-base hits for the symptom and the top
hypotheses.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from aiops.agent.coverage import coverage_of, verdict_of
from aiops.agent.reasoners.base import Verdict
from aiops.agent.state import RunState
from aiops.analytics.candidates import Candidate, confidences, evidence_of
from aiops.domain import Diagnosis, Evidence, FaultKind, RootCause, RunbookRef, TimelineEntry, Usage

log = logging.getLogger("aiops.agent")
MAX_RUNBOOKS = 3
EXTERNAL = "external"     # the tag of a finding an operator's MCP tool returned (aiops.tooling.mcp_tools)

REMEDIATION: dict[FaultKind, str] = {
    "cpu_saturation": "Check CPU limits/throttling of {svc}; scale out or raise the limit, and look for a hot loop or traffic surge.",
    "memory_leak": "Restart or roll back {svc} to stop the leak, raise the memory limit as a stop-gap, and capture a heap profile.",
    "disk_pressure": "Free or extend the volume used by {svc} (logs, temp files, data growth) and add a disk-usage alert.",
    "network_degradation": "Check the network path of {svc} (packet loss, retransmits, node NIC, CNI); move it off the bad node.",
    "crash_or_restart": "Inspect {svc}'s previous container logs (kubectl logs --previous) and termination reason; roll back if it started after a change.",
    "resource_exhaustion": "Raise the exhausted pool/queue of {svc} or cut its holders (slow queries, leaked connections); add back-pressure.",
    "latency": "Profile {svc}'s own slow path (slow queries, locks, GC); callers only inherit its latency.",
    "error_burst": "Read {svc}'s new error logs; roll back its latest change or disable the failing feature path.",
    "bad_deploy": "Roll back the latest deploy of {svc} (kubectl rollout undo) and compare the release diff.",
    "config_change": "Revert the recent configuration change of {svc} and verify the effective config.",
    "traffic_change": "Check what changed {svc}'s traffic (a client, a retry storm, a failed upstream) and rate-limit if needed.",
}


def _order(ranked: list[Candidate], verdict: Verdict | None) -> list[Candidate]:
    if verdict is None or not verdict.ranking:
        return ranked
    by_service = {c.service: c for c in ranked}
    first = [by_service[s] for s in verdict.ranking if s in by_service]
    chosen = {c.service for c in first}
    return first + [c for c in ranked if c.service not in chosen]


def _summary(c: Candidate, fault_title: str) -> str:
    top = c.findings[0][1].summary if c.findings else "no anomalous signal"
    if c.explained_by:
        return f"{c.service} shows symptoms that {c.explained_by} (a dependency) may explain: {top}"
    what = fault_title or c.fault.replace("_", " ")
    return f"{c.service}: {what} — {top}"


def _remediation(state: RunState, shown: list[Candidate], faults: dict[str, str], verdict: Verdict | None) -> list[str]:
    if verdict is not None and verdict.remediation:
        return list(verdict.remediation)
    out: list[str] = []
    for c in shown[:2]:
        if c.score < 0.3:
            break
        pb = state.playbooks.get(c.service)
        if pb is not None and pb.fault == faults.get(c.service):
            out.extend(r for r in pb.remediation_for(c.service) if r not in out)
        elif (text := REMEDIATION.get(c.fault)) is not None:
            out.append(text.format(svc=c.service))
    return out


def _has_evidence(c: Candidate) -> bool:
    """Did anything but weak moves (below the evidence threshold) weigh for the candidate?"""
    return any(w > 0 and "weak" not in f.tags for w, f in c.findings)


def _runbooks(state: RunState, faults: list[str]) -> list[RunbookRef]:
    """Hits the run's knowledge steps found, plus a lookup for the top hypotheses' faults."""
    hits = list(state.runbook_hits)
    if state.kb_opener is not None:
        _note_knowledge_base(state)
    if state.kb_opener is not None and faults:
        try:
            kb = state.kb_opener()
            if kb is not None:
                for fault in faults:
                    pb = next((p for p in state.playbooks.values() if p.fault == fault), None)
                    query = (pb.runbook or pb.title) if pb else fault.replace("_", " ")
                    hits.extend(kb.search(query, k=1, fault=fault) or kb.search(query, k=1))
        except Exception as exc:  # noqa: BLE001 - runbooks are a help, never a reason to fail
            state.missing.append(f"knowledge base: {type(exc).__name__}: {exc}")
    best: dict[str, object] = {}
    for h in hits:
        if h.source not in best or h.score > best[h.source].score:
            best[h.source] = h
    fault_first = sorted(best.values(), key=lambda h: (not set(h.faults) & set(faults), -h.score, h.source))
    refs = [h.to_runbook_ref() for h in fault_first[:MAX_RUNBOOKS]]
    return [replace(r, source=shown_source(r.source)) for r in refs]


def _note_knowledge_base(state: RunState) -> None:
    """Say so when the operator's knowledge base could not be used (locked, read-only,
    unreadable): its runbooks are missing evidence, the shipped ones were searched instead."""
    try:
        kb = state.kb_opener()
    except Exception as exc:  # noqa: BLE001 - a note, never a failure
        kb, failed = None, f"{type(exc).__name__}: {exc}"
    else:
        failed = state.kb_opener.failed
    for note in getattr(kb, "notes", None) or []:
        if note not in state.notes:
            state.notes.append(note)
            state.missing.append(f"the operator's runbooks: {note}")
    if kb is None and failed:
        state.missing.append(f"runbooks: the knowledge base could not be opened ({failed})")


def map_text(d: Diagnosis, fn) -> Diagnosis:  # noqa: ANN001 - str -> str
    """The diagnosis with `fn` applied to every piece of free text it holds."""
    def r(text: str) -> str:
        return fn(text) if text else text

    inc = d.incident
    incident = replace(inc, title=r(inc.title), symptom=r(inc.symptom),
                       alert={k: r(str(v)) for k, v in inc.alert.items()})
    causes = tuple(replace(rc, summary=r(rc.summary), component=r(rc.component),
                           evidence=tuple(replace(e, summary=r(e.summary), ref=r(e.ref)) for e in rc.evidence))
                   for rc in d.root_causes)
    coverage = replace(d.coverage, sources=tuple(replace(s, name=r(s.name), detail=r(s.detail))
                                                 for s in d.coverage.sources))
    return replace(d, incident=incident, root_causes=causes, remediation=tuple(map(r, d.remediation)),
                   timeline=tuple(replace(t, summary=r(t.summary)) for t in d.timeline),
                   missing_evidence=tuple(map(r, d.missing_evidence)), notes=tuple(map(r, d.notes)),
                   verdict_reasons=tuple(map(r, d.verdict_reasons)), reasoner_note=r(d.reasoner_note),
                   coverage=coverage)


def redact_diagnosis(d: Diagnosis, redactor) -> Diagnosis:  # noqa: ANN001 - aiops.gateway.Redactor
    """Every secret in the diagnosis's text (log lines in evidence, URLs in notes ...) replaced
    by a placeholder; `secrets` keeps placeholder -> original for a local restore."""
    redacted = map_text(d, lambda text: redactor.redact(text)[0])
    return replace(redacted, secrets=redactor.mapping)


def reveal_secrets(d: Diagnosis) -> Diagnosis:
    """The operator's local view: placeholders put back (never for output that leaves the machine)."""
    from aiops.gateway.redact import Redactor

    return map_text(d, lambda text: Redactor.restore(text, d.secrets)) if d.secrets else d


def build_diagnosis(state: RunState, verdict: Verdict | None, *, reasoner: str, duration_s: float,
                    usage: Usage = Usage()) -> Diagnosis:
    from aiops.agent.recall import recall_memory

    recall = recall_memory(state, _order(state.rank(), verdict), verdict)     # bounded; may lift, never lowers
    ranked = recall.ranked
    limit = max(state.settings.diagnose.max_root_causes, 5)
    shown = ranked[:limit]
    confs = confidences(shown)
    hyp = {h.service: h for h in (verdict.hypotheses if verdict else [])}
    if verdict is not None and verdict.ranking:   # the reasoner's own confidence where it gave one
        confs = [hyp[c.service].confidence if c.service in hyp else conf for c, conf in zip(shown, confs)]
    coverage = coverage_of(state.store, state.incident.window, state.source_reads)
    # what passed as evidence decides the verdict (weak moves only rank); a model's own confidence counts too
    strongest = max([max((c.score for c in ranked if _has_evidence(c)), default=0.0),
                     *(confs[:1] if (verdict is not None and verdict.ranking) or (shown and _has_evidence(shown[0]))
                       else ())])
    moved = max(((c.service, c.marginal) for c in ranked), key=lambda m: m[1], default=("", 0.0))
    judged, reasons = verdict_of(coverage, strongest, state.incident, moved)
    if judged == "insufficient_evidence":      # candidates without data in the window would be made up
        shown, confs = [], []
    faults = {c.service: hyp[c.service].fault if c.service in hyp else c.fault for c in shown}
    titles = {c.service: hyp[c.service].summary if c.service in hyp else "" for c in shown}
    causes = []
    for i, (c, conf) in enumerate(zip(shown, confs)):
        evidence = evidence_of(c)
        evidence += tuple(Evidence(f.kind, f.summary, ref=f.ref) for _, f in c.findings      # cited, never weighed
                          if EXTERNAL in f.tags and f.summary not in {e.summary for e in evidence})
        pb = state.playbooks.get(c.service)
        if pb is not None and pb.fault == faults[c.service]:
            evidence += (Evidence("knowledge", f"fits playbook {pb.name}: {pb.title}", ref=shown_source(pb.source)),)
        if c.service in recall.evidence:
            evidence += (recall.evidence[c.service],)
        causes.append(RootCause(rank=i + 1, service=c.service, component=c.component, fault=faults[c.service],
                                confidence=round(float(conf), 4), summary=_summary(c, titles[c.service]),
                                evidence=evidence))
    timeline = sorted(
        (TimelineEntry(at=f.onset, service=f.service, summary=f.summary, kind=f.kind)
         for c in shown[:3] for _, f in c.findings[:3] if f.onset is not None),
        key=lambda t: t.at,
    )
    top_faults = [faults[c.service] for c in shown[:2] if c.score > 0]
    runbooks = _runbooks(state, top_faults)
    notes = list(state.notes) + recall.notes
    notes.extend(dict.fromkeys(f"external evidence: {f.summary} ({f.ref})" for f in state.findings
                               if EXTERNAL in f.tags and not f.service))
    if verdict is not None and verdict.summary:
        notes.append(f"reflection: {verdict.summary}")
    from aiops.gateway.redact import Redactor

    return redact_diagnosis(Diagnosis(
        incident=state.incident, root_causes=tuple(causes), remediation=tuple(_remediation(state, shown, faults, verdict)),
        runbooks=tuple(runbooks), usage=usage, run_id=state.run_id, duration_s=duration_s, reasoner=reasoner,
        timeline=tuple(timeline), missing_evidence=tuple(dict.fromkeys(map(_tilde, state.missing))),
        notes=tuple(map(_tilde, notes)),
        verdict=judged, verdict_reasons=reasons, coverage=coverage, reasoner_note=state.reasoner_note,
        charts=_charts(state, shown[0] if shown and judged == "root_cause" else None),
    ), Redactor(pii=state.settings.gateway.redact_pii))


def _charts(state: RunState, top: Candidate | None) -> tuple:
    """The series behind the top suspect's metric evidence (the TUI's evidence charts)."""
    if top is None or state.store is None:
        return ()
    from aiops.agent.evidence_charts import plots_for

    try:
        return plots_for(state.store, state.incident.window, [f for _, f in top.findings])
    except Exception as exc:  # noqa: BLE001 - charts illustrate; their absence is a note, never a failure
        log.debug("no charts: %s", exc)
        return ()


def _tilde(text: str) -> str:
    """Our own notes name local files (a locked knowledge base ...): the home directory as ~."""
    from pathlib import Path

    home = str(Path.home())
    return text.replace(home + "/", "~/") if len(home) > 1 else text


def shown_source(source: str) -> str:
    """Where a playbook or runbook comes from, as a report shows it: shipped content relative
    to its root (playbooks/x.yaml), any other local file by name — never a local absolute path."""
    from pathlib import Path

    from aiops.resources import content_dir

    if not source or "://" in source or not Path(source).is_absolute():
        return source
    path = Path(source)
    for kind in ("playbooks", "knowledge"):
        try:
            return f"{kind}/{path.resolve().relative_to(content_dir(kind).resolve())}"
        except ValueError:
            continue
    return path.name
