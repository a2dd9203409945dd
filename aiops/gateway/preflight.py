"""Can a model alias be called at all? Checked before a run starts, in about a second.

    problems = route_problems(route, api_key_of, timeout_s=2.0)   # [] when a model can be tried

For each model of the alias's fallback chain: is there an API key (the key file, keyring or
the provider's environment variable; litellm's `validate_environment` for providers aiops
does not know by name), and does its endpoint accept a connection (a TCP connect with a
short timeout, for a configured `api_base` or a local server's default port)? Only a
problem every model shares stops the run: one usable model is enough.

No request is sent and no token spent; litellm is imported only for a provider outside
`ENV_NAMES` without a key, so a missing OpenAI key is reported without its import cost.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

from aiops.gateway.models import ModelRoute, ModelTarget
from aiops.gateway.provider_keys import ENV_NAMES, KEYLESS, default_key_file

# Where local model servers listen when no api_base is configured.
LOCAL_DEFAULTS = {"ollama": "http://localhost:11434", "ollama_chat": "http://localhost:11434",
                  "lm_studio": "http://localhost:1234", "llamafile": "http://localhost:8080"}
PROBE_TIMEOUT_S = 2.0


def _missing_key(target: ModelTarget, api_key_of: Callable[[ModelTarget], str | None]) -> str:
    """'' when the model has its credentials, else what to set."""
    provider = target.provider
    if provider in KEYLESS or provider == "fake" or api_key_of(target):
        return ""
    if target.api_base and provider == "openai":
        return ""       # an OpenAI-compatible server of your own (llama.cpp, vLLM) often wants no key
    where = f'{provider} = "…" in {_shown(default_key_file())}'
    if provider in ENV_NAMES:
        return f"{target.model} has no API key: set {ENV_NAMES[provider]} (or {where})"
    from aiops.gateway.backends import import_litellm

    try:
        check = import_litellm().validate_environment(model=target.model, api_base=target.api_base or None)
    except Exception:  # noqa: BLE001 - a provider litellm cannot judge: let the call say
        return ""
    missing = [str(k) for k in (check or {}).get("missing_keys") or []]
    if not missing:
        return ""
    return f"{target.model} is missing {', '.join(missing)}: set {' and '.join(missing)}"


def _shown(path: Path) -> str:
    """The path with the home directory as ~ (messages may end up in shared reports)."""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def endpoint_of(target: ModelTarget) -> str:
    """The URL a model is reached at when aiops can tell without asking the provider."""
    return target.api_base or LOCAL_DEFAULTS.get(target.provider, "")


def probe(url: str, timeout_s: float = PROBE_TIMEOUT_S) -> str:
    """'' when a TCP connection to the URL's host and port opens within `timeout_s`, else why not."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return f"{url} is not a usable URL"
    if not host:
        return f"{url} is not a usable URL"
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return ""
    except socket.timeout:
        return f"{url} did not accept a connection within {timeout_s:g} s"
    except socket.gaierror as exc:
        return f"{url}: host {host!r} not found ({exc.strerror or exc})"
    except OSError as exc:
        return f"{url}: {exc.strerror or exc.__class__.__name__}"


def target_problem(target: ModelTarget, api_key_of: Callable[[ModelTarget], str | None],
                   timeout_s: float = PROBE_TIMEOUT_S) -> str:
    """Why this one model cannot be called, or ''."""
    missing = _missing_key(target, api_key_of)
    if missing:
        return missing
    url = endpoint_of(target)
    if url and target.provider != "fake":
        why = probe(url, timeout_s)
        if why:
            return f"{target.model} is unreachable: {why}"
    return ""


def route_problems(route: ModelRoute, api_key_of: Callable[[ModelTarget], str | None],
                   timeout_s: float = PROBE_TIMEOUT_S) -> list[str]:
    """Every model's problem when none of the alias's models can be called; [] otherwise."""
    problems = []
    for target in route.targets:
        why = target_problem(target, api_key_of, timeout_s)
        if not why:
            return []
        problems.append(why)
    return problems
