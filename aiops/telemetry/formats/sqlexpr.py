"""SQL that normalises raw columns: timestamps, numbers, text, labels JSON, service, level.

Every bundle format loads through DuckDB's own readers and these expressions, so one rule
(say, how a timestamp's unit is guessed) holds for every file. The expressions are
installed once per connection as TEMP macros (`install_macros`) and composed by the
builders below, which return SQL text.

Level vocabulary after normalisation: trace, debug, info, warn, error, fatal; any other
value is kept lower-cased; '' when unknown.
"""

from __future__ import annotations

from aiops.telemetry.services import service_from_pod_sql
from aiops.timeutil import MAX_EPOCH_S, MIN_EPOCH_S


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A quoted SQL string literal."""
    return "'" + str(text).replace("'", "''") + "'"


_NUMERIC_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                  "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "REAL")

# A message whose record has no level: one regex pass finds the first of a logfmt/JSON
# `level=` key (k), an upper-case level word (w), a bracketed lower-case one (b), or an
# exception (e, counts as error). See level_parts_sql / level_from_parts_sql.
_LEVEL_ANY = (r"""(?i:\b(?:level|severity|lvl)["']?\s*[=:]\s*["']?([a-z]+))"""
              r"|\b(FATAL|PANIC|CRITICAL|CRIT|SEVERE|ERROR|ERR|WARNING|WARN|INFO|NOTICE|DEBUG|TRACE)\b"
              r"|(?i:\[(fatal|error|warn|warning|info|debug|trace)\])"
              r"|(Exception\b|Error:|Traceback \(most recent call last\)|\bpanic:)")
_CRI = r"^\S+ (?:stdout|stderr) [FP] (.*)$"
_LEVEL_SYNONYMS = {"warning": "warn", "err": "error", "severe": "error", "critical": "fatal", "crit": "fatal",
                   "panic": "fatal", "emerg": "fatal", "emergency": "fatal", "alert": "fatal", "notice": "info",
                   "information": "info", "informational": "info", "dbg": "debug"}
_LEVEL_MAP = "MAP {" + ", ".join(f"'{k}': '{v}'" for k, v in _LEVEL_SYNONYMS.items()) + "}"

MACROS = {
    # Unix seconds kept only between the years 1 and 9999 (aiops.timeutil's range); NULL outside.
    "aiops_epoch_in_range": ("s", f"CASE WHEN s BETWEEN {MIN_EPOCH_S!r} AND {MAX_EPOCH_S!r} THEN s END"),
    # Numeric timestamp -> unix seconds, by magnitude (s, ms, us, ns); NULL if not finite.
    "aiops_epoch_num": ("d", """aiops_epoch_in_range(CASE WHEN NOT isfinite(d) THEN NULL
        WHEN abs(d) >= 1e17 THEN d / 1e9 WHEN abs(d) >= 1e14 THEN d / 1e6
        WHEN abs(d) >= 1e11 THEN d / 1e3 ELSE d END)"""),
    # Text timestamp (unix number or RFC 3339 / 'YYYY-MM-DD HH:MM:SS[.fff]') -> unix seconds.
    # ('2023-01-29 08:30:00,123' too: log4j's decimal comma.)
    "aiops_epoch_text": ("x", """coalesce(aiops_epoch_num(try_cast(x AS DOUBLE)),
        aiops_epoch_in_range(epoch(try_cast(replace(x, ',', '.') AS TIMESTAMPTZ))))"""),
    # Text -> finite double; NULL for empty, NaN and +-Inf.
    "aiops_number": ("x", """CASE WHEN isfinite(try_cast(x AS DOUBLE)) THEN try_cast(x AS DOUBLE) END"""),
    # True when x is empty or parses as a number (NaN/Inf included: they mean missing).
    "aiops_is_number": ("x", "try_cast(x AS DOUBLE) IS NOT NULL OR x IS NULL OR trim(x) = ''"),
    "aiops_service_from_pod": ("p", service_from_pod_sql("p")),
    # (a map lookup, not CASE l WHEN ...: DuckDB would repeat `l` once per branch)
    "aiops_level": ("l", f"""coalesce({_LEVEL_MAP}[lower(trim(l))], coalesce(lower(trim(l)), ''))"""),
    # A JSON-encoded container log line {"log": "...", "stream": ..., "time": ...} or a CRI
    # line '<time> stdout F <msg>' -> the message it carries (trailing newline removed).
    "aiops_unwrap_log": ("m", f"""CASE
        WHEN starts_with(m, '{{') AND json_valid(m) AND json_type(m) = 'OBJECT'
             AND json_type(m, '$.log') = 'VARCHAR'
        THEN rtrim(json_extract_string(m, '$.log'), chr(10) || chr(13))
        WHEN (contains(m, ' stdout ') OR contains(m, ' stderr ')) AND regexp_matches(m, {literal(_CRI)})
        THEN regexp_extract(m, {literal(_CRI)}, 1)
        ELSE rtrim(m, chr(10) || chr(13)) END"""),
}


def install_macros(con) -> None:
    """Create the TEMP macros above on a DuckDB connection (idempotent)."""
    for name, (arg, body) in MACROS.items():
        con.execute(f"CREATE OR REPLACE TEMP MACRO {name}({arg}) AS ({body})")


def is_numeric_type(dtype: str) -> bool:
    return dtype.upper().startswith(_NUMERIC_TYPES) or dtype.upper().startswith("DECIMAL")


def epoch_sql(col: str, dtype: str = "VARCHAR") -> str:
    """SQL for a column holding a timestamp of any accepted kind -> DOUBLE unix seconds."""
    t = dtype.upper()
    if is_numeric_type(t):
        return f"aiops_epoch_num(CAST({col} AS DOUBLE))"
    if t.startswith(("TIMESTAMP", "DATE")):
        return f"aiops_epoch_in_range(epoch(CAST({col} AS TIMESTAMPTZ)))"
    return f"aiops_epoch_text(CAST({col} AS VARCHAR))"


def epoch_ok_sql(col: str, dtype: str = "VARCHAR") -> str:
    """True when the timestamp cell is empty or parses."""
    if is_numeric_type(dtype) or dtype.upper().startswith(("TIMESTAMP", "DATE")):
        return "true"
    return f"({epoch_sql(col, dtype)} IS NOT NULL OR {col} IS NULL OR trim(CAST({col} AS VARCHAR)) = '')"


def number_sql(col: str, dtype: str = "VARCHAR") -> str:
    """SQL for a finite DOUBLE or NULL (empty, NaN, Inf)."""
    if is_numeric_type(dtype):
        return f"CASE WHEN isfinite(CAST({col} AS DOUBLE)) THEN CAST({col} AS DOUBLE) END"
    return f"aiops_number(CAST({col} AS VARCHAR))"


def number_ok_sql(col: str, dtype: str = "VARCHAR") -> str:
    if is_numeric_type(dtype):
        return "true"
    return f"aiops_is_number(CAST({col} AS VARCHAR))"


def text_sql(col: str | None) -> str:
    """Trimmed text, '' for NULL or an absent column."""
    if col is None:
        return "''"
    x = f"CAST({col} AS VARCHAR)"
    # trim() only where needed: it costs ~3x a plain copy on a million rows
    return f"coalesce(CASE WHEN {x} LIKE ' %' OR {x} LIKE '% ' THEN trim({x}) ELSE {x} END, '')"


def untrimmed_text_sql(col: str) -> str:
    """Text as is (messages keep their indentation), '' for NULL."""
    return f"coalesce(CAST({col} AS VARCHAR), '')"


WIDE_LABELS = 32      # label columns from which labels_sql builds its JSON through a struct


def labels_sql(pairs: list[tuple[str, str]]) -> str:
    """A JSON object (sorted keys) of the non-empty values of (key, column SQL) pairs.

    json_object() where every value is present (the common case, and the fastest way);
    otherwise a merge patch onto {} drops the members whose value is NULL.
    """
    if not pairs:
        return "'{}'"
    if len(pairs) > WIDE_LABELS:
        # DuckDB plans the expression below (and text_sql's CASE) in time quadratic in its
        # width (250 columns 1 s, 2,000 columns 200 s); a struct of trimmed values turned
        # into JSON is linear and gives the same text
        fields = ", ".join(f"{ident(key)} := nullif(trim(CAST({col} AS VARCHAR)), '')" for key, col in sorted(pairs))
        return f"CAST(json_merge_patch('{{}}', to_json(struct_pack({fields}))) AS VARCHAR)"
    items = [(literal(key), text_sql(col)) for key, col in sorted(pairs)]
    present = " AND ".join(f"{v} <> ''" for _, v in items)
    full = "json_object(" + ", ".join(f"{k}, {v}" for k, v in items) + ")"
    sparse = "json_object(" + ", ".join(f"{k}, nullif({v}, '')" for k, v in items) + ")"
    return f"CAST(CASE WHEN {present} THEN {full} ELSE json_merge_patch('{{}}', {sparse}) END AS VARCHAR)"


def service_sql(service: str | None, pod: str | None, fallbacks: list[str] = ()) -> str:
    """service column -> derived from pod -> first non-empty fallback label -> ''.

    A CASE, not coalesce(): DuckDB evaluates every coalesce argument on every row, and the
    pod rule (three regexes) should only run where the service is missing.
    """
    options = []
    if service is not None:
        options.append(text_sql(service))
    if pod is not None:
        options.append(f"aiops_service_from_pod({text_sql(pod)})")
    options += [text_sql(col) for col in fallbacks]
    if not options:
        return "''"
    return "CASE " + " ".join(f"WHEN {o} <> '' THEN {o}" for o in options) + " ELSE '' END"


def level_parts_sql(message: str) -> str:
    """The level hints in a message, as a struct (k, w, b, e) of strings ('' = none)."""
    return f"regexp_extract({message}, {literal(_LEVEL_ANY)}, ['k', 'w', 'b', 'e'])"


def level_from_parts_sql(parts: str) -> str:
    """Normalised level from level_parts_sql's struct (computed once per row, in a column)."""
    return (f"aiops_level(CASE WHEN {parts}.k <> '' THEN {parts}.k WHEN {parts}.w <> '' THEN {parts}.w "
            f"WHEN {parts}.b <> '' THEN {parts}.b WHEN {parts}.e <> '' THEN 'error' ELSE '' END)")


def given_level_sql(level: str) -> str:
    return f"aiops_level({text_sql(level)})"


def level_sql(level: str | None, parts: str) -> str:
    """Normalised level from the level column, else from the message's level hints `parts`
    (a column holding level_parts_sql(message), NULL where the level column has a value)."""
    inferred = level_from_parts_sql(parts)
    if level is None:
        return inferred
    given = given_level_sql(level)
    return f"CASE WHEN {given} <> '' THEN {given} ELSE {inferred} END"
