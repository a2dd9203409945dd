"""An explicit `--reasoner llm` that cannot run is an error, fast: a missing API key or an
endpoint that refuses connections is found before any data is read or any request sent,
as one `error:` line naming what to set; `auto` falls back to offline and says so first."""

from __future__ import annotations

import json
import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from inprocess_cli import run_aiops

from aiops.gateway import FakeModel, Gateway, ModelUnavailable, ProviderError
from aiops.gateway.models import ModelCatalog, ModelRoute, ModelTarget
from aiops.gateway.preflight import probe, route_problems

POISON = "raise ImportError('litellm was imported: the preflight must not need it for a known provider')\n"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_cli(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess, float, float]:
    """The real console script in a clean environment; (process, wall s, child CPU s)."""
    poison = tmp_path / "poison"
    (poison / "litellm").mkdir(parents=True, exist_ok=True)
    (poison / "litellm" / "__init__.py").write_text(POISON)
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    clean = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and not k.startswith("AIOPS_")}
    clean |= {"HOME": str(home), "XDG_DATA_HOME": str(home / "data"), "PYTHONPATH": str(poison), "COLUMNS": "80"}
    clean |= env or {}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "aiops", *args], capture_output=True, text=True, env=clean,
                          timeout=60)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return proc, wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _one_error_line(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    return lines[0]


def test_missing_credentials_fail_at_once_naming_the_variable(tmp_path):
    proc, wall, cpu = _run_cli(tmp_path, "diagnose", "--demo", "--reasoner", "llm", "--model", "openai/gpt-4o-mini")
    line = _one_error_line(proc)
    assert "openai/gpt-4o-mini has no API key: set OPENAI_API_KEY" in line
    # The work is about a second (the wall time also counts a busy machine's waits): no litellm
    # import (it is poisoned above), no bundle read, no request, no retry.
    assert cpu < 2.0 and wall < 5.0, (cpu, wall)


def test_an_unreachable_endpoint_fails_within_seconds(tmp_path):
    port = _closed_port()
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[models]\nplanner = "openai/local-model"\napi_bases = {{ planner = "http://127.0.0.1:{port}/v1" }}\n')
    proc, wall, cpu = _run_cli(tmp_path, "-c", str(cfg), "diagnose", "--demo", "--reasoner", "llm",
                               env={"OPENAI_API_KEY": "sk-test-0000000000000000"})
    line = _one_error_line(proc)
    assert f"openai/local-model is unreachable: http://127.0.0.1:{port}/v1" in line
    assert wall < 5.0 and cpu < 2.0, (wall, cpu)


def test_auto_falls_back_to_offline_and_says_so_at_the_top(tmp_path):
    port = _closed_port()
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[models]\nplanner = "ollama/llama3"\napi_bases = {{ planner = "http://127.0.0.1:{port}" }}\n')
    proc = run_aiops("-c", cfg, "diagnose", "--demo", env={"COLUMNS": "80"})
    assert proc.exit_code == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("Most likely root cause: inventory")
    assert lines[1].startswith("Reasoner: the model could not be used (ollama/llama3 is unreachable:")
    doc = json.loads(run_aiops("-c", cfg, "diagnose", "--demo", "--format", "json").stdout)
    assert doc["reasoner"] == "offline" and "the offline reasoner answered" in doc["reasoner_note"]


def test_a_probe_gives_up_after_its_timeout():
    with socket.socket() as server:        # a listener whose queue is full: connections hang, like a dropped SYN
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            t0 = time.perf_counter()
            why = probe(f"http://127.0.0.1:{port}/v1", timeout_s=0.3)
            took = time.perf_counter() - t0
            assert probe(f"http://127.0.0.1:{_closed_port()}", timeout_s=0.3).endswith("Connection refused")
    assert why == f"http://127.0.0.1:{port}/v1 did not accept a connection within 0.3 s"
    assert took < 1.5


def test_one_usable_model_in_the_fallback_chain_is_enough():
    catalog = ModelCatalog({"planner": "openai/gpt-4o-mini"}, fallbacks={"planner": ["anthropic/claude-x"]})
    keys = {"anthropic": "sk-ant-test"}
    problems = route_problems(catalog.resolve("planner"), lambda t: keys.get(t.provider))
    assert problems == []
    keys.clear()
    problems = route_problems(catalog.resolve("planner"), lambda t: keys.get(t.provider))
    assert [p.split(":")[0] for p in problems] == ["openai/gpt-4o-mini has no API key", "anthropic/claude-x has no API key"]
    assert "ANTHROPIC_API_KEY" in problems[1]
    local_model = ModelTarget("ollama/llama3", f"http://127.0.0.1:{_closed_port()}")
    local = route_problems(ModelRoute("planner", (local_model,)), lambda t: None)
    assert local and "unreachable" in local[0], "a keyless local model is probed, not asked for a key"


def test_missing_credentials_are_a_configuration_error_never_retried(tmp_path):
    litellm = pytest.importorskip("litellm")
    from aiops.gateway.backends import LiteLLMBackend
    from aiops.gateway.completion import ModelRequest

    with pytest.raises(ProviderError) as caught:          # the OpenAI client refuses before any request
        LiteLLMBackend().complete(ModelRequest("openai/gpt-4o-mini", [{"role": "user", "content": "hi"}], 10), None)
    assert caught.value.kind == "auth_error" and not caught.value.retryable, caught.value
    assert litellm is not None
    fake = FakeModel()
    fake.enqueue(*[ProviderError("auth_error", "Missing credentials")] * 4)
    gateway = Gateway.scripted(fake, tmp_path)
    with pytest.raises(ModelUnavailable, match=r"after 1 attempt\(s\)"):
        gateway.complete("planner", [{"role": "user", "content": "hi"}])
    assert len(fake.requests) == 1
