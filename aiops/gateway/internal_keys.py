"""Internal keys: what the agent, a team or a CI job presents instead of a provider key.

Each maps to a provider-key profile and carries quotas. Only a SHA-256 hash is stored;
the plain key (`aiops-ik-...`) is shown once, by `create`. The store is a small JSON file
(mode 0600) replaced atomically under a file lock, so several processes can share it.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import os
import secrets
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from aiops.gateway.errors import GatewayError, InvalidInternalKey

KEY_PREFIX = "aiops-ik-"


@dataclass(frozen=True)
class Quotas:
    """None means unlimited."""

    tokens_per_day: int | None = None
    usd_per_day: float | None = None
    requests_per_min: int | None = None
    max_tokens_per_run: int | None = None

    def describe(self) -> str:
        parts = [
            f"{self.tokens_per_day} tokens/day" if self.tokens_per_day is not None else "",
            f"${self.usd_per_day:g}/day" if self.usd_per_day is not None else "",
            f"{self.requests_per_min} req/min" if self.requests_per_min is not None else "",
            f"{self.max_tokens_per_run} tokens/run" if self.max_tokens_per_run is not None else "",
        ]
        return ", ".join(p for p in parts if p) or "unlimited"


@dataclass(frozen=True)
class KeyRecord:
    key_id: str
    name: str
    key_hash: str
    hint: str                     # first characters of the key, enough to recognise it
    profile: str = "default"      # provider-key profile in the key file
    quotas: Quotas = field(default_factory=Quotas)
    created_at: float = 0.0
    revoked_at: float | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def hash_key(plain: str) -> str:
    return hashlib.sha256(plain.encode("utf-8")).hexdigest()


class InternalKeyStore:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser()

    def create(self, name: str, quotas: Quotas | None = None, profile: str = "default") -> tuple[KeyRecord, str]:
        """A new key: its record, and the plain key (shown to the operator once, never stored)."""
        if not name.strip():
            raise InvalidInternalKey("internal key name must not be empty")
        plain = KEY_PREFIX + secrets.token_urlsafe(24)
        with self._locked() as records:
            if any(r.name == name and r.active for r in records.values()):
                raise InvalidInternalKey(f"an active internal key named {name!r} exists; revoke it first")
            key_id = "k-" + secrets.token_hex(4)
            record = KeyRecord(
                key_id=key_id, name=name, key_hash=hash_key(plain), hint=plain[: len(KEY_PREFIX) + 4],
                profile=profile, quotas=quotas or Quotas(), created_at=time.time(),
            )
            records[key_id] = record
        return record, plain

    def list(self) -> list[KeyRecord]:
        return sorted(self._read().values(), key=lambda r: r.created_at)

    def revoke(self, key_id_or_name: str) -> KeyRecord:
        with self._locked() as records:
            matches = [r for r in records.values() if key_id_or_name in (r.key_id, r.name) and r.active]
            if not matches:
                raise InvalidInternalKey(f"no active internal key with id or name {key_id_or_name!r} in {self.path}")
            if len(matches) > 1:
                raise InvalidInternalKey(f"{key_id_or_name!r} names several keys; revoke by id")
            record = dataclasses.replace(matches[0], revoked_at=time.time())
            records[record.key_id] = record
        return record

    def authenticate(self, plain: str) -> KeyRecord:
        """The record for a presented key; refuses unknown, malformed and revoked keys."""
        if not plain.startswith(KEY_PREFIX):
            raise InvalidInternalKey(f"internal key is malformed (expected {KEY_PREFIX}...)")
        digest = hash_key(plain)
        for record in self._read().values():
            if secrets.compare_digest(record.key_hash, digest):
                if not record.active:
                    raise InvalidInternalKey(f"internal key {record.key_id} ({record.name}) was revoked")
                return record
        raise InvalidInternalKey(f"internal key {plain[: len(KEY_PREFIX) + 4]}... is not known in {self.path}")

    def _read(self) -> dict[str, KeyRecord]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, json.JSONDecodeError) as exc:
            raise GatewayError(f"{self.path}: internal key store is unreadable: {type(exc).__name__}") from None
        records = {}
        for item in raw.get("keys", []):
            item = dict(item)
            item["quotas"] = Quotas(**item.get("quotas", {}))
            records[item["key_id"]] = KeyRecord(**item)
        return records

    @contextmanager
    def _locked(self) -> Iterator[dict[str, KeyRecord]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        with open(lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            records = self._read()
            yield records
            self._write(records)

    def _write(self, records: dict[str, KeyRecord]) -> None:
        payload = {"version": 1, "keys": [dataclasses.asdict(r) for r in records.values()]}
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name, suffix=".tmp")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(payload, f, indent=1)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
