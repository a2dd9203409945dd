"""The offline reasoner: playbooks plus evidence scoring, deterministic, no model.

Round 1 surveys every signal (the scans), runs the checks of the playbooks the alert calls
for and looks the symptom up in the runbooks. The reflector ranks the services on the
evidence, names each suspect's fault by the playbook its findings fit best, and, when the
top suspects are close, plans a second look: each close suspect's playbook checks, a
detector run on its strongest own signals, the request paths into it and its runbook.
"""

from __future__ import annotations

from aiops.agent.events import PlannedStep
from aiops.agent.playbooks import Playbook, match_findings, match_incident
from aiops.agent.reasoners.base import Plan, Verdict, step_id
from aiops.agent.state import RunState
from aiops.domain import Hypothesis, Usage
from aiops.tooling import ToolRegistry

SURVEY = ("metrics.scan", "logs.scan", "traces.scan", "changes.scan")
CONFIDENT = 0.6          # top confidence from which one look is enough
CLEAR_MARGIN = 0.15      # ... or a lead over the runner-up this large
SUSPECTS = 3             # how many close suspects get a second look
MIN_FIT = 0.15           # a playbook names the fault only when the evidence fits this well


def is_own_finding(f) -> bool:  # noqa: ANN001
    from aiops.analytics.ranking import is_own

    return is_own(f)


def strongest_signals(weighted) -> dict[str, str]:  # noqa: ANN001
    """Class -> the metric name of a suspect's strongest finding of that class."""
    out: dict[str, str] = {}
    for _, f in weighted:
        if f.kind == "metric":
            for tag in f.tags:
                out.setdefault(tag, f.signal)
    return out


class OfflineReasoner:
    name = "offline"
    label = "offline"
    gateway = None

    def __init__(self, registry: ToolRegistry, playbooks: list[Playbook]) -> None:
        self.registry = registry
        self.playbooks = playbooks

    @property
    def usage(self) -> Usage:
        return Usage()

    @property
    def prompt_versions(self) -> dict[str, str]:
        return {}

    # -- planning ------------------------------------------------------------------------------

    def plan(self, state: RunState, round_no: int, last: Verdict | None, max_steps: int) -> Plan:
        if round_no == 1:
            return self._survey(state, max_steps)
        return self._second_look(state, round_no, last, max_steps)

    def _steps(self, round_no: int, wanted: list[tuple[str, dict, str, str]], max_steps: int,
               hypotheses: list[str], playbooks: list[str]) -> Plan:
        steps, seen, dropped = [], set(), []
        for tool, args, specialist, reason in wanted:
            spec = self.registry.resolve(tool)
            key = (tool, tuple(sorted((k, str(v)) for k, v in args.items())))
            if spec is None or key in seen:
                continue
            seen.add(key)
            if len(steps) >= max_steps:
                dropped.append(tool + (f"({args.get('service')})" if args.get("service") else ""))
                continue
            steps.append(PlannedStep(step_id(round_no, len(steps)), spec.spec.name, args,
                                     specialist or spec.spec.specialist, reason))
        return Plan(steps, hypotheses, playbooks, dropped)

    def _survey(self, state: RunState, max_steps: int) -> Plan:
        wanted: list[tuple[str, dict, str, str]] = [
            (t, {}, "", "survey: which signals changed, where and since when") for t in SURVEY]
        matched = match_incident(self.playbooks, state.incident)[:2]
        alert_service = state.incident.alert.get("service", "")
        for pb, _ in matched:
            for check in pb.checks:
                if "{" in str(check.args) and not alert_service:
                    continue
                args = check.for_service(alert_service, {}) if alert_service else dict(check.args)
                if args is not None:
                    wanted.append((check.tool, args, "", f"{pb.title}: {check.reason}"))
        text = " ".join(x for x in (state.incident.title, state.incident.symptom) if x)
        if text:
            wanted.append(("knowledge.search", {"query": text[:400]}, "knowledge", "runbooks for the reported symptom"))
        hyps = [f"{pb.title} (the alert suggests it)" for pb, _ in matched] or \
            ["the service whose own behaviour changed first is the root cause"]
        return self._steps(1, wanted, max_steps, hyps, [pb.name for pb, _ in matched])

    def _second_look(self, state: RunState, round_no: int, last: Verdict | None, max_steps: int) -> Plan:
        wanted: list[tuple[str, dict, str, str]] = []
        hyps, used = [], []
        ranked = {c.service: c for c in state.rank()}
        traced = bool(state.graph)
        for service in (last.suspects if last else [])[:SUSPECTS]:
            if traced and any(f.kind == "trace" and f.service == service and "own" in f.tags for f in state.findings):
                wanted.append(("traces.explain", {"service": service}, "traces",
                               f"is {service}'s own latency its own, or time waiting on a callee?"))
            wanted.append(("metrics.datastores", {"service": service}, "metrics",
                           f"is {service} waiting on a database, cache or broker that got into trouble first?"))
            pb = state.playbooks.get(service)
            cand = ranked.get(service)
            signals = strongest_signals(cand.findings if cand else [])
            if pb is not None:
                used.append(pb.name)
                hyps.append(f"{service}: {pb.title}")
                for check in pb.checks:
                    args = check.for_service(service, signals)
                    if args is not None:
                        wanted.append((check.tool, args, "", f"{service} — {pb.title}: {check.reason}"))
                query = pb.runbook or pb.title
                wanted.append(("knowledge.search", {"query": query, "fault": pb.fault}, "knowledge",
                               f"runbook for {pb.title.lower()}"))
            if traced:
                wanted.append(("traces.paths", {"service": service}, "traces",
                               f"which request paths into {service} fail or slow down"))
        return self._steps(round_no, wanted, max_steps, hyps, sorted(set(used)))

    # -- reflection ----------------------------------------------------------------------------

    def reflect(self, state: RunState, round_no: int, must_answer: bool) -> Verdict:
        from aiops.analytics.candidates import confidences

        ranked = state.rank()
        confs = confidences(ranked[:10])
        hyps: list[Hypothesis] = []
        for cand, conf in zip(ranked[:5], confs):
            fault, summary = cand.fault, ""
            fits = match_findings(self.playbooks, [(f, is_own_finding(f)) for _, f in cand.findings])
            if fits and fits[0][1] >= MIN_FIT:
                pb = fits[0][0]
                state.playbooks[cand.service] = pb
                fault, summary = pb.fault, pb.title
            hyps.append(Hypothesis(cand.service, fault, round(conf, 3), summary, self._status(state, cand.service)))
        if not hyps or ranked[0].score <= 0:
            return Verdict(hyps, "answer", "no anomalous behaviour found in the evidence", False)
        top = hyps[0].confidence
        runner_up = hyps[1].confidence if len(hyps) > 1 else 0.0
        confident = top >= CONFIDENT or top - runner_up >= CLEAR_MARGIN
        line = ", ".join(f"{h.service} {h.fault.replace('_', ' ')} ({h.confidence:.2f})" for h in hyps[:3])
        if confident:
            return Verdict(hyps, "answer", f"ranked {line}", True)
        close = [h.service for h in hyps if top - h.confidence < CLEAR_MARGIN or h is hyps[0]][:SUSPECTS]
        if len(close) < 2:
            close = [h.service for h in hyps[:2]]
        if must_answer or round_no > 1:
            return Verdict(hyps, "answer", f"ranked {line}; still close between {', '.join(close)}", False,
                           suspects=close)
        return Verdict(hyps, "replan", f"ranked {line}; too close to call, looking again at {', '.join(close)}",
                       False, suspects=close)

    def _status(self, state: RunState, service: str) -> str:
        pb = state.playbooks.get(service)
        if pb is None:
            return "open"
        confirming = [c.tool for c in pb.checks if c.confirms]
        results = [r.result.status for r in state.records
                   if r.step.tool in confirming and r.step.args.get("service") == service]
        if "ok" in results:
            return "confirmed"
        if results and all(s == "no_data" for s in results):
            return "refuted"
        return "open"
