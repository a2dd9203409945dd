"""Content-safety hooks set from the config: a command, or a Python entry point.

    [gateway]
    safety_command = ["/usr/local/bin/prompt-guard", "--policy", "ops"]
    safety_hook = "mycompany.guards:check_prompt"

The command gets `{"messages": [...]}` (the redacted prompt, as it would leave the machine)
on standard input. Exit 0 lets the prompt through; any other exit vetoes it with the first
line of its standard output (or error) as the reason. A command that cannot be run, times
out or crashes vetoes too: a safety check that did not answer is not a yes.

The entry point is a function `(messages) -> str | None` (a reason to veto, or None), the
same signature as hooks passed in code; it is imported when the gateway is made, so a typo
is a config error at start, not a silent pass.
"""

from __future__ import annotations

import importlib
import json
import subprocess
from typing import Any, Callable

from aiops.config import Settings
from aiops.errors import ConfigError

SafetyHook = Callable[[list[dict[str, Any]]], "str | None"]
COMMAND_TIMEOUT_S = 10.0
MAX_REASON = 300


def command_hook(argv: list[str], timeout_s: float = COMMAND_TIMEOUT_S) -> SafetyHook:
    """A hook that asks an external command about every prompt (fail closed)."""
    argv = [str(a) for a in argv]
    shown = argv[0]

    def check(messages: list[dict[str, Any]]) -> str | None:
        payload = json.dumps({"messages": messages}, ensure_ascii=False, default=str)
        try:
            out = subprocess.run(argv, input=payload, capture_output=True, text=True, timeout=timeout_s,
                                 stdin=None, check=False)
        except FileNotFoundError:
            return f"safety command {shown} not found"
        except subprocess.TimeoutExpired:
            return f"safety command {shown} gave no answer within {timeout_s:g} s"
        except OSError as exc:
            return f"safety command {shown} could not run: {exc.strerror or exc}"
        if out.returncode == 0:
            return None
        said = (out.stdout.strip() or out.stderr.strip()).splitlines()
        reason = said[0][:MAX_REASON] if said else f"exit status {out.returncode}"
        return f"{shown}: {reason}"

    return check


def entry_point_hook(spec: str, where: str = "gateway.safety_hook") -> SafetyHook:
    """The function named "package.module:function" (ConfigError when it cannot be loaded)."""
    module_name, _, attr = spec.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            target = getattr(target, part)
    except ImportError as exc:
        raise ConfigError(f"{where} = {spec!r}: cannot import {module_name} ({exc})") from None
    except AttributeError:
        raise ConfigError(f"{where} = {spec!r}: {module_name} has no {attr}") from None
    if not callable(target):
        raise ConfigError(f"{where} = {spec!r}: not a function")
    return target


def hooks_from_settings(settings: Settings) -> list[SafetyHook]:
    g = settings.gateway
    where = settings.source_file or "settings"
    hooks: list[SafetyHook] = []
    if g.safety_command:
        hooks.append(command_hook(g.safety_command))
    if g.safety_hook:
        hooks.append(entry_point_hook(g.safety_hook, f"{where}: gateway.safety_hook"))
    return hooks
