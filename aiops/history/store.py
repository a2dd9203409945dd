"""The run history: every diagnosis and every verdict on one, in a local DuckDB file.

Durability and speed first, like the gateway ledger: a record is appended to a JSON-lines
write-ahead file and fsynced before `write()` returns (a killed process loses nothing, a
torn last line is skipped), and records are folded into DuckDB in batches, by readers and
once enough are waiting. DuckDB admits one writing process; a fold that finds the database
locked leaves the records waiting. A run is written twice: when it starts (status
"running") and when it ends ("ok" or "failed"); the later record replaces the earlier, so
a run whose process died shows as running, and as "crashed" once its process is gone.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from aiops import journal
from aiops.config import Settings
from aiops.errors import AiopsError, BadInputError, WriteError, disk_refused, os_reason
from aiops.redaction import Redactor
from aiops.sqlbind import sql_literal

FOLD_BYTES = 256 * 1024
_T = {"s": "VARCHAR", "f": "DOUBLE", "i": "BIGINT"}
RUN_COLUMNS = {
    "run_id": "s", "updated_at": "f", "started_at": "f", "finished_at": "f", "status": "s", "error": "s",
    "incident_title": "s", "incident": "s", "bundle": "s", "reasoner": "s", "prompt_versions": "s",
    "plan": "s", "evidence": "s", "answer": "s", "top_service": "s", "top_confidence": "f",
    "llm_calls": "i", "prompt_tokens": "i", "completion_tokens": "i", "cost_usd": "f", "duration_s": "f",
    "trace_id": "s", "pid": "i", "host": "s", "version": "s",
}
FEEDBACK_COLUMNS = {
    "id": "s", "run_id": "s", "ts": "f", "verdict": "s", "root_cause": "s", "kind": "s", "note": "s", "case_dir": "s",
}
JSON_FIELDS = ("incident", "prompt_versions", "plan", "evidence", "answer")   # stored as JSON text
LIST_FIELDS = [c for c in RUN_COLUMNS if c not in ("plan", "evidence", "answer", "incident")]
_TABLES = {"runs": (RUN_COLUMNS, "run_id"), "feedback": (FEEDBACK_COLUMNS, "id")}
# columns that are identifiers, never free text: stored as they are
_IDENTIFIERS = frozenset({"table", "run_id", "id", "status", "trace_id", "verdict", "kind", "host", "version"})


class HistoryBusy(AiopsError):
    """The history database is held by another process longer than we wait."""


class HistoryUnwritable(WriteError):
    """The history database cannot be created or written (disk full, read-only): exit 3; the
    records stay in the write-ahead file and are folded in by the next reader that can."""


def history_path(settings: Settings) -> Path:
    return Path(settings.history.path).expanduser() if settings.history.path else settings.data_dir / "runs.duckdb"


def _schema(table: str) -> str:
    columns, key = _TABLES[table]
    return f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(f'{c} {_T[t]}' for c, t in columns.items())}, PRIMARY KEY ({key}))"


def _blank(table: str) -> dict[str, Any]:
    return {c: ("" if t == "s" else 0 if t == "i" else 0.0) for c, t in _TABLES[table][0].items()}


def process_alive(pid: int, host: str) -> bool | None:
    """Whether the process that wrote a record still runs (None: another host, cannot tell)."""
    if host != socket.gethostname() or pid <= 0:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunHistory:
    def __init__(self, path: str | os.PathLike[str], lock_wait_s: float = 2.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.path = Path(path).expanduser()
        self.wal_path = self.path.with_name(self.path.name + ".pending.jsonl")
        self._lock_wait_s = lock_wait_s
        self._sleep = sleep
        self.redactor = Redactor()         # one per history object (a run): stable placeholders
        self.warnings: list[str] = []      # what a reader should tell the operator (a fold that failed)

    @classmethod
    def from_settings(cls, settings: Settings) -> "RunHistory":
        return cls(history_path(settings))

    # --- writing -------------------------------------------------------------------------
    def write(self, table: str, row: dict[str, Any]) -> None:
        """Append one record durably (fsync) before returning; OSError when the disk refuses."""
        columns = _TABLES[table][0]
        record = {"table": table} | {c: row.get(c, _blank(table)[c]) for c in columns}
        record = self._redacted(record)     # evidence, tool results, titles: no secret reaches the file
        for name in JSON_FIELDS:
            if name in record and not isinstance(record[name], str):
                record[name] = json.dumps(record[name], ensure_ascii=False, default=str)
        journal.append(self.wal_path, record)

    def _redacted(self, record: dict[str, Any]) -> dict[str, Any]:
        """Every free-text value (and every string inside a JSON field) with secrets replaced."""
        return {k: v if k in _IDENTIFIERS or not isinstance(v, (str, list, dict)) else self.redactor.redact_value(v)
                for k, v in record.items()}

    def maybe_fold(self) -> None:
        try:
            if self.wal_path.stat().st_size >= FOLD_BYTES:
                self.fold()
        except (FileNotFoundError, HistoryBusy, HistoryUnwritable):
            pass                           # housekeeping: the records wait for the next reader

    def fold(self) -> bool:
        """Move waiting records into DuckDB. False when the database is locked elsewhere."""
        return journal.drain(self.wal_path, _whole_record, self._store_records)

    def _store_records(self, records: list[dict[str, Any]]) -> bool:
        try:
            con = self._connect(read_only=False, wait=False)
        except HistoryBusy:
            return False
        try:
            self._insert(con, records)
        except (duckdb_error(), OSError) as exc:
            raise self._unwritable("cannot store the waiting records", exc) from None   # they stay waiting
        finally:
            con.close()
        return True

    def _insert(self, con: Any, records: list[dict[str, Any]]) -> None:
        for table, (columns, key) in _TABLES.items():
            latest: dict[str, dict[str, Any]] = {}
            for r in records:
                if r["table"] == table:
                    latest[r[key]] = r            # the journal is in time order: the last wins
            if not latest:
                continue
            batch = self.wal_path.with_name(f"{self.wal_path.name}.{table}.batch")
            try:
                with open(batch, "w", encoding="utf-8") as f:
                    f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in latest.values())
                spec = "{" + ", ".join(f"'{c}': '{_T[t]}'" for c, t in columns.items()) + "}"
                con.execute(_schema(table))
                # the path as a literal: a bound parameter makes DuckDB import pandas (~0.8 s)
                con.execute(f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) SELECT {', '.join(columns)} "
                            f"FROM read_json({sql_literal(str(batch))}, format = 'newline_delimited', "
                            f"columns = {spec})")
            finally:
                batch.unlink(missing_ok=True)

    def _unwritable(self, what: str, exc: BaseException) -> HistoryUnwritable:
        reason = os_reason(exc) if isinstance(exc, OSError) else (str(exc).splitlines() or [""])[0][:200]
        if disk_refused(exc) and "disk full" not in reason:
            reason += " (disk full)"
        waiting = _count_lines(self.wal_path)
        held = f"; {waiting} record(s) wait in {self.wal_path} and are stored once it can be written" if waiting else ""
        return HistoryUnwritable(f"run history {self.path}: {what}: {reason}{held}")

    # --- reading -------------------------------------------------------------------------
    def _rows(self, table: str, where: str = "", params: list[Any] | None = None,
              columns: list[str] | None = None) -> list[dict[str, Any]]:
        cols, key = _TABLES[table]
        names = columns or list(cols)
        try:
            self.fold()
        except HistoryUnwritable as exc:   # read what there is: the database and the journal
            if exc.message not in self.warnings:
                self.warnings.append(exc.message)
        if not self.wal_path.exists() and not self.path.exists():
            return []                              # nothing recorded yet: reading creates nothing
        with self._wal_lock(fcntl.LOCK_SH) as fd:
            pending = [r for r in _parse_wal(fd) if r["table"] == table]
            stored = [dict(zip(names, values)) for values in
                      self._query(f"SELECT {', '.join(names)} FROM {table} {where}", params or [], table)]
        merged = {r[key]: r for r in stored}
        for r in pending:
            merged[r[key]] = {c: r.get(c) for c in names}
        return list(merged.values())

    def runs(self, limit: int | None = None, full: bool = False) -> list[dict[str, Any]]:
        """Runs, newest first (without plan/evidence/answer unless `full`), each with its latest verdict."""
        rows = self._rows("runs", columns=None if full else LIST_FIELDS)
        rows.sort(key=lambda r: r["started_at"], reverse=True)
        rows = rows[:limit] if limit else rows
        verdicts = self.verdicts()
        # redacted again on the way out: records written before redaction reached the history
        return [self._redacted(_decode(r)) | {"state": run_state(r), "feedback": verdicts.get(r["run_id"])}
                for r in rows]

    def get(self, ref: str) -> dict[str, Any]:
        """One run, whole, by id, unique id prefix or `last` / `latest` (BadInputError otherwise)."""
        ids = [(r["run_id"], r["started_at"]) for r in self._rows("runs", columns=["run_id", "started_at"])]
        if ref in ("last", "latest"):
            if not ids:
                raise BadInputError(f"no run recorded yet in {self.path}")
            run_id = max(ids, key=lambda x: x[1])[0]
        else:
            found = [i for i, _ in ids if i == ref] or [i for i, _ in ids if ref and i.startswith(ref)]
            if not found:
                raise BadInputError(f"run {ref!r}: no such run in {self.path} (see `aiops runs list`)")
            if len(found) > 1:
                raise BadInputError(f"run {ref!r} is ambiguous: {', '.join(sorted(found)[:5])}")
            run_id = found[0]
        [row] = [r for r in self._rows("runs", "WHERE run_id = ?", [run_id]) if r["run_id"] == run_id]
        feedback = sorted((f for f in self._rows("feedback", "WHERE run_id = ?", [run_id]) if f["run_id"] == run_id),
                          key=lambda f: f["ts"])
        feedback = [self._redacted(f) for f in feedback]
        return self._redacted(_decode(row)) | {"state": run_state(row), "feedback": feedback[-1] if feedback else None,
                                               "feedback_history": feedback}

    def verdicts(self) -> dict[str, dict[str, Any]]:
        """run id -> its latest feedback."""
        out: dict[str, dict[str, Any]] = {}
        for f in sorted(self._rows("feedback"), key=lambda f: f["ts"]):
            out[f["run_id"]] = f
        return out

    # --- plumbing ------------------------------------------------------------------------
    def _query(self, sql: str, params: list[Any], table: str) -> list[tuple[Any, ...]]:
        import duckdb

        if not self.path.exists() or _empty(self.path):
            return []
        con = self._connect(read_only=True, wait=True)
        try:
            return con.execute(sql, params).fetchall()
        except duckdb.CatalogException:   # a database without this table yet
            return []
        finally:
            con.close()

    def _connect(self, read_only: bool, wait: bool) -> Any:
        import duckdb

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self._unwritable("cannot create its directory", exc) from None
        if not read_only and (not self.path.exists() or _empty(self.path)):
            self._create()
        deadline = time.monotonic() + (self._lock_wait_s if wait else 0.0)
        delay = 0.01
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=read_only)
            except duckdb.IOException as exc:
                first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
                if "lock" not in first.lower():
                    raise BadInputError(f"run history {self.path}: cannot open it ({first}); move the file aside "
                                        "to start a new history") from None
                if time.monotonic() >= deadline:
                    raise HistoryBusy(f"{self.path}: the run history is locked by another process ({first})") from None
                self._sleep(delay)
                delay = min(delay * 2, 0.2)

    def _create(self) -> None:
        """A new database, whole or not at all: built beside the path and linked into place, so
        a full disk never leaves a torn or empty file that every later run trips on. An empty
        file (left by an older version on a full disk) holds nothing and is replaced."""
        import duckdb

        tmp = self.path.with_name(f".{self.path.name}.creating-{os.getpid()}")
        try:
            con = duckdb.connect(str(tmp))
            try:
                for table in _TABLES:
                    con.execute(_schema(table))
                con.execute("CHECKPOINT")
            finally:
                con.close()
            if _empty(self.path):
                self.path.unlink()
            try:
                os.link(tmp, self.path)
            except FileExistsError:
                pass                      # another process created it meanwhile: use theirs
        except (duckdb.Error, OSError) as exc:
            raise self._unwritable("cannot create the database", exc) from None
        finally:
            for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
                leftover.unlink(missing_ok=True)

    @contextmanager
    def _wal_lock(self, mode: int) -> Iterator[int]:
        with journal.locked(self.wal_path, mode) as fd:
            yield fd


def duckdb_error() -> type[BaseException]:
    import duckdb

    return duckdb.Error


def _empty(path: Path) -> bool:
    try:
        return path.stat().st_size == 0
    except FileNotFoundError:
        return False


def _count_lines(path: Path) -> int:
    try:
        with open(path, "rb") as fh:
            return sum(1 for line in fh if line.strip())
    except OSError:
        return 0


def run_state(row: dict[str, Any]) -> str:
    """ok | failed | running | crashed (a running record whose process is gone)."""
    status = row.get("status") or ""
    if status == "running" and process_alive(int(row.get("pid") or 0), row.get("host") or "") is False:
        return "crashed"
    return status


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for name in JSON_FIELDS:
        if isinstance(out.get(name), str) and out[name]:
            try:
                out[name] = json.loads(out[name])
            except json.JSONDecodeError:
                pass
    return out


def _whole_record(r: dict[str, Any]) -> bool:
    return r.get("table") in _TABLES and set(_TABLES[r["table"]][0]) <= set(r)


def _parse_wal(fd: int) -> list[dict[str, Any]]:
    return journal.records(fd, _whole_record)
