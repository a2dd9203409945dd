"""What the gateway puts on the wire for a local OpenAI-compatible server (llama.cpp, Ollama,
vLLM reached through [models] api_bases): a loopback HTTP server records each request."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from aiops.config import load_settings
from aiops.gateway import Gateway

REPLY = {"id": "c1", "object": "chat.completion", "created": 1, "model": "tiny",
         "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
             "role": "assistant", "content": None,
             "tool_calls": [{"id": "call_1", "type": "function",
                             "function": {"name": "logs__search", "arguments": "{\"pattern\": \"timeout\"}"}}]}}],
         "usage": {"prompt_tokens": 321, "completion_tokens": 7, "total_tokens": 328}}


@pytest.fixture
def server():
    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
            payload = json.dumps(REPLY).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1", seen
    httpd.shutdown()
    httpd.server_close()


def test_a_keyless_local_server_gets_tools_with_tool_choice_and_a_placeholder_key(server, tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    base, seen = server
    settings = load_settings(env={"AIOPS_GENERAL_DATA_DIR": str(tmp_path)})
    settings.models.planner = "openai/tiny"
    settings.models.api_bases = {"planner": base}
    gateway = Gateway.from_settings(settings, sleep=lambda s: None)
    tools = [{"type": "function", "function": {"name": "logs__search", "description": "grep",
                                               "parameters": {"type": "object", "properties": {}}}}]
    reply = gateway.complete("planner", [{"role": "user", "content": "look"}], tools=tools, max_tokens=50)
    (sent,) = seen
    assert sent["path"] == "/v1/chat/completions" and sent["auth"] == "Bearer no-key"
    assert sent["body"]["model"] == "tiny" and sent["body"]["tool_choice"] == "auto" and sent["body"]["tools"]
    assert [(c.name, c.arguments) for c in reply.tool_calls] == [("logs__search", {"pattern": "timeout"})]
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (321, 7)     # the server's own counts
    gateway.complete("planner", [{"role": "user", "content": "no tools"}], max_tokens=50)
    assert "tool_choice" not in seen[1]["body"] and "tools" not in seen[1]["body"]
