"""The call ledger: one row per provider attempt, cache hit or refusal, in a DuckDB file.

Durability first: a row is appended to a JSON-lines write-ahead file and fsynced before
`record()` returns, so a killed process loses nothing. Rows are folded into DuckDB in
batches (a DuckDB commit costs tens of milliseconds and DuckDB admits one writing
process); a fold that finds the database locked leaves the rows in the write-ahead file
for the next one. Every reader sees DuckDB rows plus the rows still waiting.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from aiops import journal
from aiops.gateway.errors import LedgerBusy, LedgerUnavailable

# Outcomes of attempts that reached a provider (they count against requests/min).
SENT_OUTCOMES = ("ok", "rate_limited", "timeout", "server_error", "connection_error", "context_too_long",
                 "auth_error", "not_found", "bad_request", "content_policy", "error")
_SENT_SQL = "outcome IN ({}) AND NOT cache_hit".format(", ".join(f"'{o}'" for o in SENT_OUTCOMES))
FOLD_BYTES = 64 * 1024
USAGE_GROUPS = {
    "key": "coalesce(nullif(key_id, ''), '(none)')",
    "model": "model",
    "day": "strftime(make_timestamp(CAST(ts * 1000000 AS BIGINT)), '%Y-%m-%d')",   # UTC days
    "alias": "alias",
}


@dataclass(frozen=True)
class LedgerRow:
    alias: str
    model: str
    outcome: str
    operation: str = "chat"
    key_id: str = ""
    run_id: str = ""
    provider: str = ""
    attempt: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    latency_s: float = 0.0
    cache_hit: bool = False
    error: str = ""
    ts: float = field(default_factory=time.time)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)


COLUMNS = [f.name for f in dataclasses.fields(LedgerRow)]
_SQL_TYPES = {"int": "BIGINT", "float": "DOUBLE", "bool": "BOOLEAN", "str": "VARCHAR"}
_SCHEMA = "CREATE TABLE IF NOT EXISTS calls ({}, PRIMARY KEY (id))".format(
    ", ".join(f"{f.name} {_SQL_TYPES[str(f.type)]}" for f in dataclasses.fields(LedgerRow))
)
_JSON_COLUMNS = "{" + ", ".join(f"'{f.name}': '{_SQL_TYPES[str(f.type)]}'" for f in dataclasses.fields(LedgerRow)) + "}"


@dataclass(frozen=True)
class Totals:
    tokens: int = 0
    cost_usd: float = 0.0
    requests: int = 0


class Ledger:
    def __init__(self, path: str | os.PathLike[str], lock_wait_s: float = 2.0, sleep: Callable[[float], None] = time.sleep) -> None:
        self.path = Path(path).expanduser()
        self.wal_path = self.path.with_name(self.path.name + ".pending.jsonl")
        self._lock_wait_s = lock_wait_s
        self._sleep = sleep
        self._stored_cache: dict[str | None, tuple[Any, float, list[tuple[float, int, float, bool]]]] = {}

    # --- writing -------------------------------------------------------------------
    def record(self, row: LedgerRow) -> None:
        """Append one row durably (fsync) before returning; LedgerUnavailable when it cannot
        be written (disk full, read-only): a half-written line is skipped by every reader."""
        try:
            journal.append(self.wal_path, dataclasses.asdict(row))
        except OSError as exc:
            raise LedgerUnavailable(f"{self.wal_path}: cannot write the ledger ({exc.strerror or exc}); "
                                    "no model call is made without a ledger record") from None

    def ensure_writable(self) -> None:
        """LedgerUnavailable unless a row could be appended now (checked before each call is
        sent: a read-only or missing data directory stops the call, not its bookkeeping)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(self.wal_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        except OSError as exc:
            raise LedgerUnavailable(f"{self.wal_path}: cannot write the ledger ({exc.strerror or exc}); "
                                    "no model call is made without a ledger record") from None

    def maybe_fold(self) -> None:
        """Fold when enough rows are waiting; cheap otherwise. Never fails: the rows are safe
        in the write-ahead file until a fold succeeds."""
        try:
            if self.wal_path.stat().st_size >= FOLD_BYTES:
                self.fold()
        except (OSError, LedgerBusy, LedgerUnavailable):
            pass

    def fold(self) -> bool:
        """Move waiting rows into DuckDB. False when the database is locked elsewhere."""
        return journal.drain(self.wal_path, _whole_row, self._store_rows)

    def _store_rows(self, rows: list[dict[str, Any]]) -> bool:
        try:
            con = self._connect(read_only=False, wait=False)
        except (LedgerBusy, LedgerUnavailable):
            return False
        batch = self.wal_path.with_name(self.wal_path.name + ".batch")
        import duckdb

        try:
            # one bulk read of the checked rows: row-by-row inserts cost ~10 ms a row
            with os.fdopen(os.open(batch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as f:
                f.writelines(json.dumps(r) + "\n" for r in rows)
            con.execute(_SCHEMA)
            con.execute(
                f"INSERT OR IGNORE INTO calls ({', '.join(COLUMNS)}) SELECT {', '.join(COLUMNS)} "
                f"FROM read_json(?, format = 'newline_delimited', columns = {_JSON_COLUMNS})",
                [str(batch)],
            )
        except (OSError, duckdb.Error):
            return False                # disk full, read-only: the rows wait in the write-ahead file
        finally:
            con.close()
            batch.unlink(missing_ok=True)
        return True

    # --- reading -------------------------------------------------------------------
    def totals(self, since: float, key_id: str | None = None) -> Totals:
        """Tokens, cost and provider requests since `since` (optionally for one key)."""
        with self._wal_lock(fcntl.LOCK_SH) as fd:
            pending = [(r["ts"], r["prompt_tokens"] + r["completion_tokens"], r["cost_usd"],
                        r["outcome"] in SENT_OUTCOMES and not r["cache_hit"])
                       for r in _parse_wal(fd) if key_id is None or r["key_id"] == key_id]
            stored = self._stored_usage(since, key_id)
        tokens, cost, requests = 0, 0.0, 0
        for ts, t, c, sent in stored + pending:
            if ts >= since:
                tokens, cost, requests = tokens + t, cost + c, requests + int(sent)
        return Totals(int(tokens), float(cost), requests)

    def _stored_usage(self, since: float, key_id: str | None) -> list[tuple[float, int, float, bool]]:
        """(ts, tokens, cost, sent) of folded rows since the UTC day of `since`, kept in memory
        until the database file changes: a quota check then costs no DuckDB round trip."""
        stamp = tuple((p.stat().st_mtime_ns, p.stat().st_size) if p.exists() else None
                      for p in (self.path, self.path.with_name(self.path.name + ".wal")))
        if stamp[0] is None:
            return []
        cached = self._stored_cache.get(key_id)
        if cached is not None and cached[0] == stamp and cached[1] <= since:
            return cached[2]
        day_start = since - since % 86400
        where, params = "ts >= ?", [day_start]
        if key_id is not None:
            where, params = where + " AND key_id = ?", params + [key_id]
        rows = self._query(f"SELECT ts, prompt_tokens + completion_tokens, cost_usd, {_SENT_SQL} FROM calls WHERE {where}", params)
        self._stored_cache[key_id] = (stamp, day_start, rows)
        return rows

    def rows(self, since: float | None = None) -> list[dict[str, Any]]:
        """Every row (oldest first), folded or waiting."""
        since = since or 0.0
        self.fold()
        with self._wal_lock(fcntl.LOCK_SH) as fd:
            pending = _parse_wal(fd)
            stored = [dict(zip(COLUMNS, values)) for values in
                      self._query(f"SELECT {', '.join(COLUMNS)} FROM calls WHERE ts >= ?", [since])]
        seen = {r["id"] for r in stored}
        merged = stored + [r for r in pending if r["id"] not in seen and r["ts"] >= since]
        return sorted(merged, key=lambda r: r["ts"])

    def usage(self, by: str, since: float | None = None) -> list[dict[str, Any]]:
        """Calls, tokens, cost, cache hits and failures grouped by key, model, day or alias."""
        if by not in USAGE_GROUPS:
            raise ValueError(f"usage by {by!r}: expected one of {', '.join(USAGE_GROUPS)}")
        if not self.fold():
            raise LedgerBusy(f"{self.path}: the ledger is locked by another process; try again")
        names = ["grp", "requests", "cache_hits", "failures", "prompt_tokens", "completion_tokens", "cost_usd", "avg_latency_s"]
        sql = (
            f"SELECT {USAGE_GROUPS[by]} AS grp, count(*) FILTER (WHERE {_SENT_SQL}), count(*) FILTER (WHERE cache_hit), "
            "count(*) FILTER (WHERE outcome <> 'ok'), coalesce(sum(prompt_tokens), 0), coalesce(sum(completion_tokens), 0), "
            "coalesce(sum(cost_usd), 0), coalesce(avg(latency_s) FILTER (WHERE outcome = 'ok' AND NOT cache_hit), 0) "
            "FROM calls WHERE ts >= ? GROUP BY grp ORDER BY grp"
        )
        return [dict(zip(names, values)) for values in self._query(sql, [since or 0.0])]

    # --- plumbing ------------------------------------------------------------------
    def _query(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        import duckdb

        if not self.path.exists():
            return []
        con = self._connect(read_only=True, wait=True)
        try:
            return con.execute(sql, params).fetchall()
        except duckdb.CatalogException:   # a database file without the table yet
            return []
        finally:
            con.close()

    def _connect(self, read_only: bool, wait: bool):  # -> duckdb.DuckDBPyConnection
        import duckdb

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LedgerUnavailable(f"{self.path}: cannot create the ledger's directory ({exc.strerror or exc})") from None
        deadline = time.monotonic() + (self._lock_wait_s if wait else 0.0)
        delay = 0.01
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=read_only)
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower():
                    raise LedgerUnavailable(f"{self.path}: cannot open the ledger ({_first_line(exc)})") from None
                if time.monotonic() >= deadline:
                    raise LedgerBusy(f"{self.path}: the ledger is locked by another process ({_first_line(exc)})") from None
                self._sleep(delay)
                delay = min(delay * 2, 0.2)
            except duckdb.Error as exc:       # not a DuckDB file, a newer format, ...
                raise LedgerUnavailable(f"{self.path}: cannot open the ledger ({_first_line(exc)})") from None

    @contextmanager
    def _wal_lock(self, mode: int) -> Iterator[int]:
        with journal.locked(self.wal_path, mode) as fd:
            yield fd


def _whole_row(row: dict[str, Any]) -> bool:
    return set(COLUMNS) <= set(row)


def _parse_wal(fd: int) -> list[dict[str, Any]]:
    return journal.records(fd, _whole_row)


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
