"""The LLM path end to end through the real CLI and litellm, against an OpenAI-compatible
server on loopback whose answer depends on the system prompt it receives: the canary's
prompt reaches the model, the model call is a span under the reflection, the history keeps
the versions, and `aiops eval --compare` tells the better version."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from aiops.resources import demo_bundle

HASTY = "You judge incidents. Name the loudest service. [hasty]"


class ChatServer:
    def __init__(self) -> None:
        self.systems: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                system = body["messages"][0]["content"]
                server.systems.append(system)
                service = "frontend" if "[hasty]" in system else "inventory"
                text = json.dumps({"hypotheses": [{"service": service, "fault": "x", "confidence": 0.9}],
                                   "decision": "answer"})
                data = json.dumps({"id": "c1", "object": "chat.completion", "created": 1, "model": body["model"],
                                   "choices": [{"index": 0, "finish_reason": "stop",
                                                "message": {"role": "assistant", "content": text}}],
                                   "usage": {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = ChatServer()
    yield s
    s.close()


@pytest.fixture
def setup(tmp_path, server):
    prompts = tmp_path / "prompts"
    (prompts / "reflector").mkdir(parents=True)
    (prompts / "reflector" / "v2.md").write_text(HASTY)
    keys = tmp_path / "keys.toml"
    keys.write_text('[default]\nopenai = "sk-loopback-test-000000000000"\n')
    keys.chmod(0o600)
    cfg = tmp_path / "config.toml"
    cfg.write_text(f"""
[general]
data_dir = "{tmp_path / 'data'}"
[models]
planner = "openai/loopback-model"
api_bases = {{ planner = "{server.base}" }}
[gateway]
key_file = "{keys}"
max_retries = 0
[prompts]
paths = ["{prompts}"]
""")
    return cfg


def _aiops(cfg: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aiops", "--config", str(cfg), *args], capture_output=True, text=True,
                          env=os.environ, timeout=300)


@pytest.mark.slow
def test_the_canary_prompt_reaches_the_model_and_is_traced_and_recorded(setup, server, tmp_path):
    with open(setup, "a") as f:
        f.write('[prompts.canary]\nversion = "v2"\npercent = 100\n')
    trace = tmp_path / "t.jsonl"
    proc = _aiops(setup, "diagnose", "--demo", "--format", "json", "--reasoner", "llm", "--trace", str(trace))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["reasoner"] == "llm:loopback-model" and report["usage"]["llm_calls"] == 1
    assert report["prompt_versions"] == {"followup": "v1", "planner": "v1", "reflector": "v2"}
    assert server.systems == [HASTY]
    assert report["root_causes"][0]["service"] == "frontend"          # what the hasty prompt made the model say
    spans = [json.loads(line) for line in trace.read_text().splitlines()]
    by_id = {s["span_id"]: s for s in spans}
    [chat] = [s for s in spans if s["operation"] == "chat openai/loopback-model"]
    assert by_id[chat["parent_span_id"]]["operation"] == "aiops.reflect"
    assert chat["attributes"]["gen_ai.usage.input_tokens"] == 120
    assert by_id[chat["parent_span_id"]]["attributes"]["aiops.prompt.version"] == "v2"
    assert "sk-loopback" not in trace.read_text()
    shown = json.loads(_aiops(setup, "runs", "show", report["run_id"], "--json").stdout)
    assert shown["prompt_versions"] == {"followup": "v1", "planner": "v1", "reflector": "v2"} and shown["llm_calls"] == 1
    assert shown["trace_id"] == report["trace_id"] == chat["trace_id"]


@pytest.mark.slow
def test_eval_compare_names_the_better_prompt_version(setup, server, tmp_path):
    case = tmp_path / "suite" / "pool"
    shutil.copytree(demo_bundle(), case)
    (case / "truth.toml").write_text('[[root_cause]]\nservice = "inventory"\nkind = "pool"\n')
    proc = _aiops(setup, "eval", "--corpus", str(tmp_path / "suite"), "--compare", "v1", "v2", "--json",
                  "--min-top1", "0.5")
    assert proc.returncode == 1 and "v2: top-1 accuracy 0.00% is below --min-top1" in proc.stderr   # the gate
    result = json.loads(proc.stdout)
    assert result["better"] == "v1" and result["reason"] == "top-1 accuracy: 100% vs 0%"
    assert result["reports"]["v2"]["by_prompt"]["v2"]["top1"] == 0.0
    assert result["reports"]["v1"]["tokens_per_case"] == 150
    assert sorted(s == HASTY for s in server.systems) == [False, True]   # one call per version, each its prompt
