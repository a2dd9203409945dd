"""What the gateway puts on the wire for a local OpenAI-compatible server (llama.cpp, Ollama,
vLLM reached through [models] api_bases): a loopback stand-in records each request."""

from __future__ import annotations

from aiops.config import load_settings
from aiops.gateway import Gateway
from openai_stub import OpenAIStub, completion

CALL = {"id": "call_1", "type": "function", "function": {"name": "logs__search", "arguments": "{\"pattern\": \"timeout\"}"}}


def test_a_keyless_local_server_gets_tools_with_tool_choice_and_a_placeholder_key(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    settings = load_settings(env={"AIOPS_GENERAL_DATA_DIR": str(tmp_path)})
    settings.models.planner = "openai/tiny"
    tools = [{"type": "function", "function": {"name": "logs__search", "description": "grep",
                                               "parameters": {"type": "object", "properties": {}}}}]
    with OpenAIStub(lambda body: completion(tool_calls=[CALL] if body.get("tools") else None, content="ok")) as stub:
        settings.models.api_bases = {"planner": stub.base}
        gateway = Gateway.from_settings(settings, sleep=lambda s: None)
        reply = gateway.complete("planner", [{"role": "user", "content": "look"}], tools=tools, max_tokens=50)
        gateway.complete("planner", [{"role": "user", "content": "no tools"}], max_tokens=50)
    sent = stub.seen[0]
    assert sent["path"] == "/v1/chat/completions" and sent["auth"] == "Bearer no-key"
    assert sent["body"]["model"] == "tiny" and sent["body"]["tool_choice"] == "auto" and sent["body"]["tools"]
    assert [(c.name, c.arguments) for c in reply.tool_calls] == [("logs__search", {"pattern": "timeout"})]
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (321, 7)     # the server's own counts
    assert "tool_choice" not in stub.seen[1]["body"] and "tools" not in stub.seen[1]["body"]
