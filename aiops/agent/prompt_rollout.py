"""Which prompt versions a run uses: the newest, a pinned set, or a gray-rollout canary.

    [prompts]
    version = "v2"                 # stable: each prompt's newest version <= v2 ("" = newest)
    [prompts.canary]
    version = "v3"                 # the canary: each prompt's newest version <= v3
    percent = 10                   # share of runs in the canary
    by = "run"                     # hash of the run id ("run") or of the incident ("incident")

A version "vN" names the prompt set as of N: each prompt's newest version <= N, so a new
planner v3 can ship without a reflector v3. While a canary runs, the other runs use the
pinned version, or else each prompt's newest version *below* the canary: dropping a v3
file in and starting a 10 % canary exposes 10 % of runs, not all of them.

The split is deterministic: a run is in the canary when the SHA-256 of its key falls in
the first `percent` of the hash space, so the same run id (or incident) always gets the same
prompts, and over many runs the share converges on `percent`.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiops.agent.prompts import Prompt, PromptStore
from aiops.config import Settings
from aiops.domain import Incident
from aiops.errors import ConfigError

_STORES: dict[tuple[str, ...], PromptStore] = {}
_STORES_LOCK = threading.Lock()


def prompt_store(settings: Settings) -> PromptStore:
    """One store per set of prompt directories for the whole process: a long-running process
    (the TUI) keeps it, and sees an edited file on the next read (mtime, size, inode)."""
    key = tuple(str(Path(p).expanduser()) for p in settings.prompts.paths)
    with _STORES_LOCK:
        store = _STORES.get(key)
        if store is None:
            store = _STORES[key] = PromptStore([Path(p) for p in key])
        return store


def canary_bucket(key: str) -> float:
    """Where `key` falls in [0, 100): uniform over keys, the same for the same key."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % 10_000 / 100.0


def incident_key(incident: Incident) -> str:
    return f"{incident.title}|{incident.window.start:.0f}|{incident.window.end:.0f}"


def _number(version: str) -> int:
    return int(version[1:])


def _newest_at_most(store: PromptStore, name: str, ceiling: int | None) -> str | None:
    eligible = [v for v in store.versions(name) if ceiling is None or _number(v) <= ceiling]
    return eligible[-1] if eligible else None


def _known(store: PromptStore) -> str:
    return "; ".join(f"{n}: {', '.join(store.versions(n))}" for n in store.names()) or "no prompts"


def _require_version(store: PromptStore, key: str, version: str) -> None:
    if not any(version in store.versions(n) for n in store.names()):
        raise ConfigError(f"{key} = {version!r}: no prompt has a {version}.md file ({_known(store)})")


@dataclass(frozen=True)
class PromptAssignment:
    arm: str                                   # newest | pinned | stable | canary
    versions: dict[str, str] = field(default_factory=dict)   # prompt name -> version


def _resolve(store: PromptStore, ceiling: int | None, arm: str, key: str) -> PromptAssignment:
    versions: dict[str, str] = {}
    for name in store.names():
        version = _newest_at_most(store, name, ceiling)
        if version is None:
            raise ConfigError(f"{key}: prompt {name!r} has no version <= v{ceiling} (known: "
                              f"{', '.join(store.versions(name))})")
        versions[name] = version
    return PromptAssignment(arm, versions)


def assign_prompts(settings: Settings, store: PromptStore, run_id: str, incident: Incident | None) -> PromptAssignment:
    """The prompt versions of run `run_id` (ConfigError when a configured version does not exist)."""
    pinned = settings.prompts.version
    canary = settings.prompts.canary
    if pinned:
        _require_version(store, "prompts.version", pinned)
    c_version, c_percent = canary.get("version", ""), float(canary.get("percent", 0.0))
    if c_version and c_percent > 0:
        _require_version(store, "prompts.canary.version", c_version)
        key = incident_key(incident) if canary.get("by") == "incident" and incident is not None else run_id
        if canary_bucket(key) < c_percent:
            return _resolve(store, _number(c_version), "canary", "prompts.canary.version")
        if pinned:
            return _resolve(store, _number(pinned), "stable", "prompts.version")
        return _resolve(store, _number(c_version) - 1, "stable",
                        f"prompts.canary.version = {c_version!r} (the other runs need an older version)")
    if pinned:
        return _resolve(store, _number(pinned), "pinned", "prompts.version")
    return _resolve(store, None, "newest", "prompts")


class AssignedPrompts:
    """What the LLM reasoner reads its prompts from: the run's versions, re-read when edited.

    Each read is noted on the active span (the planning or reflection step of the trace).
    """

    def __init__(self, store: PromptStore, assignment: PromptAssignment) -> None:
        self.store = store
        self.assignment = assignment

    @property
    def assigned(self) -> dict[str, str]:
        return dict(self.assignment.versions)

    def get(self, name: str, version: str | None = None) -> Prompt:
        prompt = self.store.get(name, version or self.assignment.versions.get(name))
        _note_on_span(prompt)
        return prompt


def _note_on_span(prompt: Prompt) -> None:
    from opentelemetry import trace

    span: Any = trace.get_current_span()
    if span.is_recording():
        span.set_attribute("aiops.prompt.name", prompt.name)
        span.set_attribute("aiops.prompt.version", prompt.version)


def prompts_for_run(settings: Settings, run_id: str, incident: Incident | None) -> AssignedPrompts:
    store = prompt_store(settings)
    return AssignedPrompts(store, assign_prompts(settings, store, run_id, incident))
