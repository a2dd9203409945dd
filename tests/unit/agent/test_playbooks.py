"""Playbooks: every shipped one loads, fits its own kind of evidence best, and its checks
are valid calls of registered tools."""

from __future__ import annotations

import pytest

from aiops.agent.playbooks import default_playbooks, load_playbooks, match_findings, match_incident
from aiops.domain import Finding, Incident, TimeWindow
from aiops.tooling import default_registry, validate_args


def m(signal, cls, score=0.9, direction=1, service="svc"):
    return Finding("metric", service, signal, score, f"{signal} on {service}-7d4f9-abcde up vs baseline",
                   direction=direction, tags=(cls,))


def log(text, tags=("error", "new"), score=0.9):
    return Finding("log", "svc", "t1", score, f'new error log in svc: "{text}"', direction=1, tags=tags)


def ev(kind, text, tags, score=0.85):
    return Finding("event", "svc", kind, score, f"{kind} at 2024-01-01T00:00:00Z: {text}", tags=tags)


def tr(signal, tags, score=0.9):
    return Finding("trace", "svc", signal, score, f"svc: {signal} rose", direction=1, tags=tags)


# (playbook, findings of a suspect, is_own flags): what an operator would see for that fault.
CASES = {
    "connection-pool-exhaustion": [log("HikariPool-1 - Connection is not available, request timed out after 30000ms"),
                                   m("hikaricp_connections_pending", "pool"), m("latency_p99_seconds", "latency")],
    "memory-leak-oom": [m("container_memory_working_set_bytes", "memory"), ev("k8s_event", "OOMKilled", ("warning", "oom")),
                        m("kube_pod_container_status_restarts_total", "restarts", 0.6)],
    "cpu-saturation": [m("container_cpu_usage_seconds_total", "cpu"), tr("self_latency", ("own",), 0.6)],
    "disk-full": [m("container_fs_usage_bytes", "disk"), log("write /data/wal: no space left on device")],
    "crash-loop": [m("kube_pod_container_status_restarts_total", "restarts"),
                   ev("k8s_event", "Back-off restarting failed container", ("warning", "k8s_event")),
                   log("panic: runtime error: invalid memory address")],
    "bad-deploy": [ev("deploy", "payment v2.13.0 rolled out", ("change", "deploy")),
                   log("NullPointerException in ChargeService.charge"), tr("error_rate", ("own", "error"))],
    "config-change": [ev("config", "configmap payment-config changed: timeout_ms 3000 -> 30", ("change", "config")),
                      log("request aborted after 30ms", tags=("new",))],
    "dependency-down": [Finding("log", "svc", "mentions", 0.9, "named in 400 error lines of 3 other services after the onset",
                                tags=("mentioned",)),
                        m("http_requests_total", "traffic", 0.8, direction=-1),
                        log("dial tcp 10.0.0.7:6379: connect: connection refused", tags=("vanished",))],
    "slow-dependency": [tr("self_latency", ("own",)), m("latency_p90_seconds", "latency"),
                        log("slow query took 2300 ms", tags=("new",), score=0.5)],
    "network-degradation": [m("node_netstat_tcp_retrans_segs", "network"), log("read: connection reset by peer")],
    "exception-burst": [tr("error_rate", ("own", "error")), log("ValueError: invalid literal for int()"),
                        m("http_server_errors_total", "errors", 0.7)],
    "thread-pool-queue-backlog": [m("executor_queue_pending_tasks", "pool"),
                                  log("RejectedExecutionException: queue full, task rejected")],
    "dns-failure": [log("dial tcp: lookup redis.shop.svc.cluster.local: no such host")],
    "certificate-expiry": [log("x509: certificate has expired or is not yet valid")],
    "upstream-rate-limiting": [log("HTTP 429 Too Many Requests from api.stripe.com, rate limit exceeded")],
    "node-failure": [ev("k8s_event", "Node worker-3 status is now: NodeNotReady", ("warning", "k8s_event"))],
}


@pytest.fixture(scope="module")
def playbooks():
    from aiops.config import load_settings

    found, problems = default_playbooks(load_settings())
    assert not problems, problems
    return found


def test_at_least_twelve_playbooks_ship_and_each_has_a_case_here(playbooks):
    assert len(playbooks) >= 12
    assert {pb.name for pb in playbooks} == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_playbook_fits_its_own_kind_of_evidence_best(playbooks, name):
    from aiops.analytics.ranking import is_own

    findings = [(f, is_own(f)) for f in CASES[name]]
    ranked = match_findings(playbooks, findings)
    assert ranked and ranked[0][0].name == name, [(pb.name, round(s, 2)) for pb, s in ranked[:3]]


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_playbooks_checks_are_valid_calls_of_registered_tools(playbooks, name, settings):
    registry = default_registry(settings)
    pb = next(p for p in playbooks if p.name == name)
    assert pb.checks and pb.remediation and pb.runbook
    signals = {"pool": "db_pool_pending", "memory": "mem_bytes", "cpu": "cpu_seconds", "disk": "fs_bytes",
               "network": "retrans", "latency": "latency_p90_seconds"}
    for check in pb.checks:
        tool = registry.get(check.tool)
        args = check.for_service("checkout", signals)
        assert args is not None
        validate_args(tool.spec.parameters, args)
        assert not any("{" in str(v) for v in args.values())


def test_an_alert_or_symptom_selects_its_playbooks(playbooks):
    window = TimeWindow(0.0, 1800.0)
    inc = Incident("Pods of checkout restarting", window, alert={"alertname": "KubePodCrashLooping"})
    assert match_incident(playbooks, inc)[0][0].name == "crash-loop"
    inc = Incident("x509 errors calling the bank", window, symptom="TLS handshake fails: certificate expired")
    assert match_incident(playbooks, inc)[0][0].name == "certificate-expiry"
    assert match_incident(playbooks, Incident("something is off", window)) == []


def test_an_operators_playbook_replaces_a_shipped_one_and_a_bad_one_is_reported(tmp_path):
    from aiops.resources import content_dir

    (tmp_path / "crash-loop.yaml").write_text(
        "name: crash-loop\ntitle: Our crash loop\nfault: crash_loop\nremediation: [\"page the owners of {service}\"]\n")
    (tmp_path / "broken.yaml").write_text("name: x\ntitle: y\nfault: z\nmatch: {evidence: [{kind: log, weight: 7}]}\n")
    found, problems = load_playbooks([content_dir("playbooks"), tmp_path])
    ours = next(p for p in found if p.name == "crash-loop")
    assert ours.title == "Our crash loop" and ours.remediation_for("cart") == ["page the owners of cart"]
    assert len(problems) == 1 and "broken.yaml" in problems[0] and "weight = 7" in problems[0]
