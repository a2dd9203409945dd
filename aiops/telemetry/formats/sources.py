"""Bundle files opened as DuckDB relations, and the one staged insert every tabular format uses.

A `Source` knows its columns (name -> DuckDB type), the SQL that reads it, how to turn the
columns nobody claimed into a JSON object, and how a row number maps to a line of the file.
`insert_staged` reads a source once into a temporary table, checks the columns that must
parse (timestamps, numbers) and names the first bad value with its line, then appends the
good rows to the target table. DuckDB errors become one-line `BundleError`s naming the file.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from aiops.errors import BundleError
from aiops.telemetry.formats.sqlexpr import ident, labels_sql, literal
from aiops.telemetry.limits import current_limits

# What DuckDB raises for unreadable input (malformed CSV/JSON, not Parquet, bad values).
# Binder/parser errors are bugs in our SQL and are left alone.
READ_ERRORS = (duckdb.InvalidInputException, duckdb.IOException, duckdb.ConversionException)
JSONL_SAMPLE_LINES = 10_000   # lines read to learn which keys a JSONL file has
_STAGE = "_aiops_stage"


@dataclass(frozen=True)
class LoadResult:
    rows: int
    warnings: tuple[str, ...] = ()


def open_text(path: Path) -> io.TextIOBase:
    """A text stream over a plain or gzip-compressed file (BOM stripped)."""
    if path.name.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", errors="replace", newline="")
    return open(path, encoding="utf-8-sig", errors="replace", newline="")


def duckdb_error(name: str, exc: Exception) -> BundleError:
    """A one-line BundleError from a DuckDB reader error, keeping the line and reason."""
    text = str(exc)
    text = re.sub(r"^[A-Za-z ]*Error: ", "", text.strip())
    m = re.search(r"CSV Error on Line: (\d+)\s*\n(?:Original Line: (.*?)\n)?\s*(.+?)\n", text + "\n", re.S)
    if m:
        line, original, reason = m.group(1), m.group(2), m.group(3).strip()
        shown = f": {original.strip()[:120]!r}" if original else ""
        return BundleError(f"{name} line {line}: malformed CSV row ({reason}){shown}")
    m = re.search(r"Malformed JSON.*? (at byte \d+ in line \d+|in line \d+|at byte \d+)[^:]*: (.*)", text)
    if m:
        return BundleError(f"{name}: malformed JSON {m.group(1)}: {m.group(2).strip()}")
    first = text.splitlines()[0] if text else type(exc).__name__
    first = first.replace(f'in file "{name}"', "").strip()
    return BundleError(f"{name}: cannot read: {first}")


@dataclass
class Source:
    name: str                       # bundle-relative path, used in messages
    path: Path
    columns: dict[str, str]         # column name -> DuckDB type
    first_line: int = 1             # file line of row 0 (CSV: 2, after the header)
    row_word: str = "line"

    def from_sql(self, wanted: list[str]) -> str:
        raise NotImplementedError

    def attrs_sql(self, extra: list[str]) -> str:
        """JSON object (sorted keys) of the columns in `extra` (the ones no field claimed)."""
        return labels_sql([(c, ident(c)) for c in extra])

    def where(self, row: int) -> str:
        return f"{self.name} {self.row_word} {self.first_line + row}"


class CsvSource(Source):
    def from_sql(self, wanted: list[str]) -> str:
        cols = "{" + ", ".join(f"{literal(c)}: 'VARCHAR'" for c in self.columns) + "}"
        return (f"read_csv({literal(str(self.path))}, header = true, auto_detect = false, columns = {cols}, "
                "delim = ',', quote = '\"', escape = '\"', strict_mode = true, null_padding = false)")


class ParquetSource(Source):
    def from_sql(self, wanted: list[str]) -> str:
        return f"read_parquet({literal(str(self.path))})"


@dataclass
class JsonlSource(Source):
    """One JSON object a line. Fields are parsed once into a struct; the rest stay JSON."""

    row_word: str = "record"

    def from_sql(self, wanted: list[str]) -> str:
        spec = json.dumps({c: "VARCHAR" for c in wanted})
        return (f"(SELECT json AS __json, unnest(from_json(json, {literal(spec)})) "
                f"FROM read_json_objects({literal(str(self.path))}, format = 'newline_delimited'))")

    def attrs_sql(self, extra: list[str]) -> str:
        claimed = json.dumps({c: None for c in self.columns if c not in extra})
        return f"CAST(json_merge_patch(__json, {literal(claimed)}) AS VARCHAR)"


@dataclass
class QuerySource(Source):
    """Rows produced by a SQL query (used for nested JSON documents)."""

    query: str = ""

    def from_sql(self, wanted: list[str]) -> str:
        return f"({self.query})"


def open_csv(con, path: Path, name: str) -> CsvSource:
    header = _csv_header(path, name)
    return CsvSource(name=name, path=path, columns={c: "VARCHAR" for c in header}, first_line=2)


def _csv_header(path: Path, name: str) -> list[str]:
    try:
        with open_text(path) as fh:
            first = fh.readline()
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise BundleError(f"{name}: cannot read: {exc}") from None
    if not first:
        raise BundleError(f"{name}: empty file (no header row)")
    if not first.strip():
        raise BundleError(f"{name} line 1: empty header row")
    header = [c.strip() for c in next(csv.reader([first]))]
    _check_width(name, len(header), "line 1: ")
    for i, col in enumerate(header, 1):
        if not col:
            raise BundleError(f"{name} line 1: column {i} has no name")
        if "\x00" in col:
            raise BundleError(f"{name} line 1: column {i} name {col!r} holds a NUL character")
    seen: dict[str, str] = {}
    for col in header:          # DuckDB column names are case-insensitive: 'Time' and 'time' clash
        other = seen.get(col.lower())
        if other is not None:
            same = "" if other == col else f" (same as {other!r}: column names are case-insensitive)"
            raise BundleError(f"{name} line 1: duplicate column {col!r}{same}")
        seen[col.lower()] = col
    return header


def _check_width(name: str, n: int, where: str = "", what: str = "columns") -> None:
    """BundleError for a file wider than limits.max_columns (each column costs a label)."""
    limit = current_limits().max_columns
    if n > limit:
        raise BundleError(f"{name} {where}{n:,} {what}: more than limits.max_columns = {limit:,} "
                          "(raise it to load the file)")


def open_parquet(con, path: Path, name: str) -> ParquetSource:
    if path.stat().st_size == 0:
        raise BundleError(f"{name}: empty file (0 bytes)")
    try:
        desc = con.execute(f"DESCRIBE SELECT * FROM read_parquet({literal(str(path))})").fetchall()
    except READ_ERRORS as exc:  # not a Parquet file, truncated, ...
        raise duckdb_error(name, exc) from None
    _check_width(name, len(desc))
    return ParquetSource(name=name, path=path, columns={r[0]: str(r[1]) for r in desc}, first_line=0, row_word="row")


def open_jsonl(con, path: Path, name: str) -> JsonlSource:
    """Learn the keys from the first JSONL_SAMPLE_LINES records (fields are VARCHAR)."""
    if _is_empty(path, name):
        raise BundleError(f"{name}: empty file (0 bytes)")
    try:
        rows = con.execute(
            f"SELECT json_type(json), json_keys(json) FROM read_json_objects({literal(str(path))}, "
            f"format = 'newline_delimited') LIMIT {JSONL_SAMPLE_LINES}").fetchall()
    except READ_ERRORS as exc:
        raise duckdb_error(name, exc) from None
    keys: dict[str, str] = {}
    folded: set[str] = set()
    for i, (jtype, names) in enumerate(rows):
        if jtype != "OBJECT":
            raise BundleError(f"{name} record {i + 1}: expected a JSON object, got {jtype}")
        for k in names:
            # DuckDB struct fields are case-insensitive: of 'Time' and 'time' the first seen is
            # a field, the other stays in the record's attributes
            if k not in keys and k.lower() not in folded and "\x00" not in k:
                keys[k] = "VARCHAR"
                folded.add(k.lower())
        if len(keys) > current_limits().max_columns:
            _check_width(name, len(keys), f"record {i + 1}: ", "keys")
    return JsonlSource(name=name, path=path, columns=keys, first_line=1)


def _is_empty(path: Path, name: str) -> bool:
    if path.stat().st_size == 0:
        return True
    if path.name.endswith(".gz"):
        try:
            with gzip.open(path, "rb") as fh:
                return not fh.read(1)
        except (OSError, EOFError, zlib.error) as exc:
            raise BundleError(f"{name}: not a valid gzip file: {exc}") from None
    return False


def pick(columns: dict[str, str], *aliases: str) -> str | None:
    """The first column named like one of the aliases (exact, then case-insensitive)."""
    for a in aliases:
        if a in columns:
            return a
    lower = {c.lower(): c for c in columns}
    for a in aliases:
        if a.lower() in lower:
            return lower[a.lower()]
    return None


@dataclass(frozen=True)
class Check:
    """A source column whose non-empty values must parse (`ok` is SQL over the source)."""

    column: str
    ok: str
    what: str = "unknown timestamp format"


@dataclass
class StagedInsert:
    table: str
    exprs: dict[str, str]                 # target column -> SQL over the source
    checks: list[Check] = field(default_factory=list)
    keep: str = "true"                    # SQL over target columns: rows to keep
    dropped_reason: str = "rows without a usable timestamp"
    line_column: str | None = None        # source column holding the file line, if known
    pre: dict[str, str] = field(default_factory=dict)   # computed once per row, in order, before `exprs`


def insert_staged(con, src: Source, plan: StagedInsert, wanted: list[str]) -> LoadResult:
    """Read `src` once, validate, append good rows to `plan.table`; returns rows added."""
    cols = ", ".join(f"{sql} AS {ident(name)}" for name, sql in plan.exprs.items())
    line = f", {plan.line_column} AS _line" if plan.line_column else ""
    bad = line + "".join(f", CASE WHEN NOT ({c.ok}) THEN CAST({ident(c.column)} AS VARCHAR) END AS _bad{i}"
                  for i, c in enumerate(plan.checks))
    try:
        source = src.from_sql(wanted)
        for name, sql in plan.pre.items():   # each may use the ones before it
            source = f"(SELECT *, {sql} AS {ident(name)} FROM {source})"
        total = con.execute(f"CREATE OR REPLACE TEMP TABLE {_STAGE} AS SELECT {cols}{bad} FROM {source}").fetchone()[0]
    except READ_ERRORS as exc:
        raise duckdb_error(src.name, exc) from None
    try:
        for i, check in enumerate(plan.checks):
            row = "_line" if plan.line_column else f"rowid - (SELECT min(rowid) FROM {_STAGE})"
            hit = con.execute(f"SELECT {row}, _bad{i} FROM {_STAGE} "
                              f"WHERE _bad{i} IS NOT NULL ORDER BY rowid LIMIT 1").fetchone()
            if hit:
                where = f"{src.name} line {hit[0]}" if plan.line_column else src.where(hit[0])
                column = f"column {check.column!r}: " if not plan.line_column else ""
                raise BundleError(f"{where}: {column}{check.what}: {hit[1][:80]!r}")
        targets = ", ".join(ident(n) for n in plan.exprs)
        kept = con.execute(f"INSERT INTO {plan.table} ({targets}) SELECT {targets} FROM {_STAGE} "
                           f"WHERE {plan.keep}").fetchone()[0]
    finally:
        con.execute(f"DROP TABLE IF EXISTS {_STAGE}")
    warnings = ()
    if kept < total:
        warnings = (f"{src.name}: skipped {total - kept} of {total} {plan.dropped_reason}",)
    return LoadResult(rows=kept, warnings=warnings)
