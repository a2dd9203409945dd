"""What a live diagnosis may claim, against real processes: a real Prometheus (Debian's
package) holding quiet metrics is read and named, and the run exits 0; the same question
with every source unreachable exits 4 and its first line says what could not be read."""

from __future__ import annotations

import json

import numpy as np
import pytest
from inprocess_cli import run_aiops
from live_servers import free_port

from aiops.timeutil import to_rfc3339

pytestmark = pytest.mark.live

START = 1_717_200_000.0        # 2024-06-01T00:00:00Z: an hour of quiet traffic from here
SERVICES = ("cart", "auth", "search")


@pytest.fixture(scope="module")
def quiet_prometheus(tmp_path_factory):
    """A real Prometheus serving an hour of steady request rates and latencies (small noise only)."""
    import live_servers

    missing = live_servers.missing_binaries("prometheus", "promtool")
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (apt-get install prometheus; .ci/run does it)")
    rng = np.random.default_rng(7)
    work = tmp_path_factory.mktemp("quiet-prometheus")
    lines = []
    for metric, kind, level in (("http_requests_total", "counter", 20.0), ("latency_p99_seconds", "gauge", 0.12)):
        lines.append(f"# TYPE {metric} {kind}")
        for svc in SERVICES:
            total = 0.0
            for i in range(240):                       # 15 s scrapes
                ts = START + 15 * i
                if kind == "counter":
                    total += level * 15 * (1 + 0.02 * rng.standard_normal())
                    value = total
                else:
                    value = level * (1 + 0.02 * rng.standard_normal())
                lines.append(f'{metric}{{service="{svc}",pod="{svc}-0"}} {value:.6f} {ts:.0f}')
    lines.append("# EOF")
    om = work / "quiet.om"
    om.write_text("\n".join(lines) + "\n")
    live_servers.create_blocks(om, work / "data")
    server = live_servers.start_prometheus(work, work / "data")
    yield server
    server.stop()


WINDOW = ["--start", to_rfc3339(START + 300), "--end", to_rfc3339(START + 3300)]


def test_sources_up_and_quiet_exit_0_and_say_what_was_read(quiet_prometheus, config):
    cfg = config(f'[sources.prometheus.main]\nurl = "{quiet_prometheus.url}"\n')
    text = run_aiops("-c", cfg, "diagnose", "--live", *WINDOW, env={"COLUMNS": "100"})
    assert text.exit_code == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[1] == "Read: metrics for 3 services from prometheus 'main'", lines[:3]
    doc = json.loads(run_aiops("-c", cfg, "diagnose", "--live", *WINDOW, "--format", "json").stdout)
    assert doc["verdict"] == "healthy", doc["root_causes"][:2]
    assert lines[0] == "Healthy: no service showed anomalous behaviour in the metrics of 3 services"
    assert doc["coverage"]["sources"][0]["name"] == "prometheus 'main'" and doc["coverage"]["sources"][0]["status"] == "ok"
    assert doc["coverage"]["modalities"]["metrics"]["services"] == sorted(SERVICES)


def test_every_source_down_exits_4_and_the_first_line_says_what_could_not_be_read(config):
    prom, loki = f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}"
    cfg = config(f'[sources.prometheus.main]\nurl = "{prom}"\nretries = 0\n'
                 f'[sources.loki.logs]\nurl = "{loki}"\nretries = 0\n')
    proc = run_aiops("-c", cfg, "diagnose", "--live", "--window", "30m", env={"COLUMNS": "80"})
    assert proc.exit_code == 4, proc.stderr
    first = proc.stdout.split("\n")[0]
    assert first.startswith("Insufficient evidence: could not read prometheus 'main': cannot connect to")
    assert f"could not read loki 'logs': cannot connect to {loki}" in " ".join(proc.stdout.split("\n")[:4])
    doc = json.loads(run_aiops("-c", cfg, "diagnose", "--live", "--window", "30m", "--format", "json").stdout)
    assert doc["verdict"] == "insufficient_evidence" and doc["root_causes"] == []
    assert [s["status"] for s in doc["coverage"]["sources"]] == ["error", "error"]
    assert "No root cause found" not in proc.stdout and "Healthy" not in proc.stdout
