"""Turning ranked candidates into the Diagnosis the faces render."""

from __future__ import annotations

from aiops.agent.evidence import Investigation
from aiops.analytics.ranking import Candidate, confidences, evidence_of
from aiops.domain import Diagnosis, RootCause, TimelineEntry

REMEDIATION = {
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


def _summary(c: Candidate) -> str:
    top = c.findings[0][1].summary if c.findings else "no anomalous signal"
    if c.explained_by:
        return f"{c.service} shows symptoms that {c.explained_by} (a dependency) may explain: {top}"
    return f"{c.service}: {c.fault.replace('_', ' ')} — {top}"


def build_diagnosis(inv: Investigation, ranked: list[Candidate], run_id: str, duration_s: float) -> Diagnosis:
    limit = max(inv.settings.diagnose.max_root_causes, 5)
    shown = ranked[:limit]
    confs = confidences(shown)
    causes = tuple(
        RootCause(rank=i + 1, service=c.service, component=c.component, fault=c.fault, confidence=conf,
                  summary=_summary(c), evidence=evidence_of(c))
        for i, (c, conf) in enumerate(zip(shown, confs))
    )
    remediation: list[str] = []
    for c in shown[:2]:
        if c.score < 0.3:
            break
        text = REMEDIATION.get(c.fault)
        if text:
            remediation.append(text.format(svc=c.service))
    timeline = sorted(
        (TimelineEntry(at=f.onset, service=f.service, summary=f.summary, kind=f.kind)
         for c in shown[:3] for _, f in c.findings[:3] if f.onset is not None),
        key=lambda t: t.at,
    )
    return Diagnosis(
        incident=inv.incident, root_causes=causes, remediation=tuple(remediation), run_id=run_id,
        duration_s=duration_s, reasoner="offline", timeline=tuple(timeline),
        missing_evidence=tuple(inv.missing), notes=tuple(inv.notes),
    )
