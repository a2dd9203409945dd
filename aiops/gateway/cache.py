"""Exact-match response cache: model chain + normalised (redacted) messages + tools, with a TTL.

One JSON file per entry under the cache directory (mode 0600, written atomically), so any
number of processes can share it. Entries hold redacted text only: no secret reaches disk.
The cache is an optimisation: an entry that cannot be read or written (disk full, read-only)
is a miss, never a failed call.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from aiops.gateway.completion import Message


def normalise_messages(messages: list[Message]) -> list[dict[str, Any]]:
    """Drop empty fields, trim text, collapse single text parts, renumber tool-call ids.

    Providers mint random tool-call ids; numbering them by order of appearance makes the
    same conversation produce the same key however the ids were spelt.
    """
    ids: dict[str, str] = {}

    def call_id(value: str) -> str:
        return ids.setdefault(value, f"call_{len(ids) + 1}")

    out = []
    for message in messages:
        m: dict[str, Any] = {}
        for key, value in message.items():
            if value is None or value == [] or value == "":
                continue
            if key == "content":
                value = _normalise_content(value)
            elif key == "tool_call_id":
                value = call_id(value)
            elif key == "tool_calls":
                value = [
                    {"id": call_id(c.get("id", "")), "name": c.get("function", {}).get("name", ""),
                     "arguments": _canonical_arguments(c.get("function", {}).get("arguments", ""))}
                    for c in value
                ]
            m[key] = value
        out.append(m)
    return out


def _normalise_content(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict) and value[0].get("type") == "text":
        return str(value[0].get("text", "")).strip()
    return value


def _canonical_arguments(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return json.loads(raw or "{}")
        except json.JSONDecodeError:
            return raw.strip()
    return raw


def cache_key(models: tuple[str, ...], messages: list[Message], tools: list[dict[str, Any]] | None, operation: str = "chat") -> str:
    payload = {"op": operation, "models": list(models), "messages": normalise_messages(messages), "tools": tools or []}
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ResponseCache:
    def __init__(self, directory: str | os.PathLike[str], ttl_s: float, clock: Callable[[], float] = time.time) -> None:
        self.directory = Path(directory).expanduser()
        self.ttl_s = ttl_s
        self._clock = clock

    def get(self, key: str) -> dict[str, Any] | None:
        path = self._path(key)
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(entry, dict) or not isinstance(entry.get("value"), dict):
                return None
            if self._clock() - float(entry.get("stored_at", 0)) > self.ttl_s:
                path.unlink(missing_ok=True)
                return None
        except (OSError, ValueError, TypeError, RecursionError):   # unreadable, torn, not ours
            return None
        return entry.get("value")

    def put(self, key: str, value: dict[str, Any]) -> bool:
        """Store an entry; False when it cannot be written (the call is simply not cached)."""
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        except OSError:
            return False
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({"stored_at": self._clock(), "value": value}, f)
            os.replace(tmp, path)
        except OSError:
            Path(tmp).unlink(missing_ok=True)
            return False
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return True

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"
