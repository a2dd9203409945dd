"""Secrets in the incident's data (an event that leaks a password and a cloud key) never
reach a report; the operator can put them back locally with --reveal-secrets."""

from __future__ import annotations

import json
import shutil

from inprocess_cli import run_aiops as run

from aiops.resources import demo_bundle

PASSWORD = "Xq9vLr2pTsecret"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def _leaky_bundle(tmp_path):
    bundle = tmp_path / "leaky"
    shutil.copytree(demo_bundle(), bundle)
    event = {"timestamp": "2024-11-18T20:05:00Z", "kind": "config", "service": "inventory",
             "message": f"configmap inventory-env changed: DB_PASSWORD={PASSWORD} AWS_SECRET_ACCESS_KEY={AWS_SECRET}"}
    (bundle / "events.jsonl").write_text(json.dumps(event) + "\n")
    (bundle / "events.jsonl.gz").unlink()
    # the alert as exported carries a link with credentials in it: it is cited in every report
    incident = (bundle / "incident.toml").read_text()
    incident += f'runbook_url = "https://oncall:{PASSWORD}@wiki.example.com/runbooks/latency"\n'
    (bundle / "incident.toml").write_text(incident)
    return bundle


def test_no_report_format_carries_a_secret_from_the_data(tmp_path):
    bundle = _leaky_bundle(tmp_path)
    for fmt in ("json", "markdown", "text", "html"):
        proc = run("diagnose", "--bundle", str(bundle), "--format", fmt, "-q")
        assert proc.exit_code == 0, proc.stderr
        assert PASSWORD not in proc.stdout and AWS_SECRET not in proc.stdout, fmt
        assert "[REDACTED_" in proc.stdout, fmt     # the change is still cited, with placeholders


def test_reveal_secrets_restores_them_for_a_local_look(tmp_path):
    proc = run("diagnose", "--bundle", str(_leaky_bundle(tmp_path)), "--format", "json", "--reveal-secrets")
    assert proc.exit_code == 0, proc.stderr
    assert PASSWORD in proc.stdout
