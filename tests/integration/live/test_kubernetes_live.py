"""The real `kubernetes` client, configured from a kubeconfig, over HTTP against a local API
emulator (tests/support/k8s_emulator.py): nothing in the client is patched."""

from __future__ import annotations

import json
import time

import pytest
from inprocess_cli import run_aiops
from k8s_emulator import Cluster, KubeEmulator, crashloop_cluster

from aiops.telemetry.live.base import FetchScope
from aiops.telemetry.live.k8s import KubernetesSource


@pytest.fixture
def cluster_api():
    with KubeEmulator(crashloop_cluster(time.time())) as api:
        yield api


def kube_config(config, kubeconfig, extra: str = "") -> object:
    return config(f'[sources.kubernetes.emu]\nkubeconfig = "{kubeconfig}"\n{extra}')


def test_kubernetes_alone_names_the_crashlooping_service(cluster_api, config, tmp_path):
    kubeconfig = cluster_api.write_kubeconfig(tmp_path / "kubeconfig")
    cfg = kube_config(config, kubeconfig)
    result = run_aiops("-c", cfg, "diagnose", "--live", "--namespace", "shop", "--window", "30m", "--format", "json")
    assert result.exit_code == 0, result.stderr
    d = json.loads(result.stdout)
    assert d["missing_evidence"] == []
    top = d["root_causes"][0]
    assert top["service"] == "payment"
    text = " ".join(e["summary"] for e in top["evidence"])
    assert "OOMKilled" in text and "CrashLoopBackOff" in text
    assert d["root_causes"][1]["service"] == "checkout", "the caller that logs the failed payment calls comes next"


def test_snapshot_of_the_cluster_keeps_rollouts_restarts_and_previous_logs(cluster_api, config, tmp_path):
    kubeconfig = cluster_api.write_kubeconfig(tmp_path / "kubeconfig")
    cfg = kube_config(config, kubeconfig)
    out = tmp_path / "snap"
    made = run_aiops("-c", cfg, "snapshot", "--namespace", "shop", "--window", "30m", "--out", out)
    assert made.exit_code == 0, made.stderr
    events = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    deploys = [e for e in events if e["kind"] == "deploy"]
    assert [e["service"] for e in deploys] == ["payment"]
    assert "rolled out revision 2" in deploys[0]["message"] and "(was registry.example.com/shop/payment:v2.3.1)" \
        in deploys[0]["message"]
    assert any(e["kind"] == "restart" and e["reason"] == "OOMKilled" for e in events)
    logs = [json.loads(line) for line in (out / "logs.jsonl").read_text().splitlines()]
    assert any(r["previous"] and "out of memory" in r["message"] and r["level"] == "error" for r in logs)
    checked = run_aiops("bundle", "validate", out, "--format", "json")
    assert checked.exit_code == 0 and json.loads(checked.stdout)["warnings"] == []


def test_only_declared_read_paths_are_requested_and_secrets_never(cluster_api, tmp_path):
    kubeconfig = cluster_api.write_kubeconfig(tmp_path / "kubeconfig")
    src = KubernetesSource("emu", KubernetesSource.Options(kubeconfig=str(kubeconfig)))
    now = time.time()
    from aiops.domain import TimeWindow

    result = src.fetch(TimeWindow(now - 1800, now), FetchScope(namespace="shop"))
    src.check()
    assert result.status == "ok", result.message
    assert cluster_api.requests, "the emulator saw the client"
    for req in cluster_api.requests:
        assert req.method == "GET"
        assert any(e.matches(req.method, req.path) for e in KubernetesSource.ENDPOINTS), req.path
        assert "secret" not in req.path.lower()
    logs = [r for r in cluster_api.requests if r.path.endswith("/log")]
    assert any(r.arg("previous") == "true" and "payment" in r.path for r in logs), \
        "the crashed container's previous log is read"
    assert all(r.headers.get("authorization") == "Bearer emulator-token" for r in cluster_api.requests), \
        "auth comes from the kubeconfig"
    pod_lists = [r for r in cluster_api.requests if r.path == "/api/v1/namespaces/shop/pods"]
    assert len(pod_lists) > 1 and pod_lists[1].arg("continue"), "lists are paged with continue tokens"
    previous = [r for r in result.batch.logs if r["previous"]]
    assert any("out of memory" in r["message"] for r in previous)


def test_read_methods_return_the_cluster_state(cluster_api, tmp_path):
    kubeconfig = cluster_api.write_kubeconfig(tmp_path / "kubeconfig")
    src = KubernetesSource("emu", KubernetesSource.Options(kubeconfig=str(kubeconfig)))
    pods = src.pods("shop")
    assert len(pods) == len(cluster_api.cluster.pods)
    history = src.rollout_history("payment", "shop")
    assert [r["revision"] for r in history] == [1, 2]
    assert history[-1]["images"].endswith(":v2.4.0") and history[0]["images"].endswith(":v2.3.1")
    assert {n["metadata"]["name"] for n in src.nodes()} == {"node-a", "node-b"}
    assert any(e["reason"] == "BackOff" for e in src.events("shop"))
    text = src.pod_log("payment-84f6c9b7d5-b6v9x", "shop", "payment", previous=True, tail_lines=2)
    assert text.count("\n") == 2 and "out of memory" in text
    assert src.check().ok and "v1.29.4-emulator" in src.check().message


def test_context_flag_selects_the_kubeconfig_context(cluster_api, config, tmp_path):
    with KubeEmulator(Cluster()) as quiet_api:
        path = tmp_path / "kubeconfig"
        cluster_api.write_kubeconfig(path)
        doc = json.loads(path.read_text())
        doc["clusters"].append({"name": "quiet", "cluster": {"server": quiet_api.url}})
        doc["contexts"].append({"name": "quiet", "context": {"cluster": "quiet", "user": "reader"}})
        path.write_text(json.dumps(doc))
        cfg = kube_config(config, path)
        result = run_aiops("-c", cfg, "diagnose", "--live", "--context", "quiet", "--namespace", "shop",
                           "--format", "json")
        assert result.exit_code == 4, result.stderr          # the only source had nothing: insufficient evidence
        assert quiet_api.requests and not cluster_api.requests
        d = json.loads(result.stdout)
        assert any("kubernetes 'emu': no data in the window" in m for m in d["missing_evidence"])
        assert d["verdict"] == "insufficient_evidence" and d["verdict_reasons"] == ["kubernetes 'emu': no data in the window"]


def test_a_write_through_the_client_is_refused_before_it_is_sent(cluster_api, tmp_path):
    from aiops.telemetry.live.http import WriteRefused

    kubeconfig = cluster_api.write_kubeconfig(tmp_path / "kubeconfig")
    src = KubernetesSource("emu", KubernetesSource.Options(kubeconfig=str(kubeconfig)))
    core, apps, _ = src.apis()
    with pytest.raises(WriteRefused):
        core.delete_namespaced_pod("payment-84f6c9b7d5-b6v9x", "shop")
    with pytest.raises(WriteRefused):
        apps.patch_namespaced_deployment("payment", "shop", {"spec": {"replicas": 0}})
    assert cluster_api.requests == []


def test_a_kubernetes_answer_past_the_size_cap_is_named_missing_evidence(cluster_api, config, tmp_path):
    kubeconfig = cluster_api.write_kubeconfig(tmp_path / "kubeconfig")
    cfg = kube_config(config, kubeconfig, "max_response_mb = 0.001\n")        # 1 KiB: every list is larger
    result = run_aiops("-c", cfg, "diagnose", "--live", "--namespace", "shop", "--window", "30m", "--format", "json")
    # the only source could not be read: nothing to judge, and the answer says why
    assert result.exit_code == 4, result.stderr
    doc = json.loads(result.stdout)
    assert doc["verdict"] == "insufficient_evidence"
    missing = " ".join(doc["missing_evidence"])
    assert "larger than 0.001 MB decoded" in missing and "sources.kubernetes.emu.max_response_mb" in missing, missing
