"""Log records: logs.csv, logs.jsonl (columns per the spec) and plain logs/<service>.log files.

The message of a JSON-encoded container log line (`{"log": ..., "stream": ..., "time": ...}`)
or a CRI line (`<time> stdout F <msg>`) is unwrapped. Levels are normalised (see sqlexpr)
and inferred from the message text when the record has none.
"""

from __future__ import annotations

import gzip
import re
import zlib
from pathlib import Path
from typing import BinaryIO, Iterator

from aiops.errors import BundleError
from aiops.logheader import iso_time, leading_time
from aiops.telemetry.formats.sources import (
    Check, LoadResult, QuerySource, Source, StagedInsert, insert_staged, open_csv, open_jsonl, pick,
)
from aiops.telemetry.formats.sqlexpr import (
    epoch_ok_sql, epoch_sql, given_level_sql, ident, level_from_parts_sql, level_parts_sql, level_sql, literal,
    service_sql, text_sql, untrimmed_text_sql,
)
from aiops.telemetry.limits import current_limits, sampling_step
from aiops.telemetry.lines import BoundedLines
from aiops.telemetry.services import service_from_pod

TIMESTAMP = ("timestamp", "time", "ts", "@timestamp")
MESSAGE = ("message", "msg", "log", "body")
SERVICE = ("service", "service_name")
POD = ("pod", "pod_name")
LEVEL = ("level", "severity", "lvl", "severity_text")
TRACE_ID = ("trace_id", "traceid", "traceId")
SPAN_ID = ("span_id", "spanid", "spanId")

# A plain line starts with an RFC 3339 / 'YYYY-MM-DD HH:MM:SS[.fff]' time (optionally in
# brackets) or a unix time in s (10 digits, optional fraction), ms, us or ns.
_ISO = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|z|[+-]\d{2}:?\d{2})?"
_UNIX = r"\d{10}(?:\.\d+)?|\d{13}|\d{16}|\d{19}"
_PLAIN_TS = rf"^(?P<prefix>\[?(?P<ts>{_ISO}|{_UNIX})(?:\]|\b))"
_PLAIN_TS_RE = re.compile(_PLAIN_TS, re.ASCII)   # \d and \b as RE2 (DuckDB) read them
BATCH_RECORDS = 100_000
_READ_ERRORS = (OSError, EOFError, gzip.BadGzipFile, zlib.error)


def load_logs_csv(con, path: Path, name: str) -> LoadResult:
    return _load_table(con, open_csv(con, path, name))


def load_logs_jsonl(con, path: Path, name: str) -> LoadResult:
    return _load_table(con, open_jsonl(con, path, name))


def _load_table(con, src: Source) -> LoadResult:
    cols = src.columns
    ts, message = pick(cols, *TIMESTAMP), pick(cols, *MESSAGE)
    service, pod = pick(cols, *SERVICE), pick(cols, *POD)
    if ts is None:
        raise BundleError(f"{src.name}: missing required column 'timestamp' (columns: {', '.join(cols)})")
    if message is None:
        raise BundleError(f"{src.name}: missing required column 'message' (columns: {', '.join(cols)})")
    if service is None and pod is None:
        raise BundleError(f"{src.name}: missing required column 'service' (or 'pod') (columns: {', '.join(cols)})")
    level, trace_id, span_id = pick(cols, *LEVEL), pick(cols, *TRACE_ID), pick(cols, *SPAN_ID)
    claimed = [c for c in (ts, message, service, pod, level, trace_id, span_id) if c]
    extra = [c for c in cols if c not in claimed]
    msg = "__message"   # unwrapped once, then searched for level hints where no level is given
    hints = level_parts_sql(msg)
    if level is not None:
        hints = f"CASE WHEN {given_level_sql(ident(level))} = '' THEN {hints} END"
    plan = StagedInsert(
        table="logs",
        exprs={
            "ts": epoch_sql(ident(ts), cols[ts]),
            "service": service_sql(service and ident(service), pod and ident(pod)),
            "pod": text_sql(pod and ident(pod)),
            "level": level_sql(level and ident(level), "__level_parts"),
            "message": msg,
            "trace_id": text_sql(trace_id and ident(trace_id)),
            "span_id": text_sql(span_id and ident(span_id)),
            "attrs": src.attrs_sql(extra),
        },
        checks=[Check(ts, epoch_ok_sql(ident(ts), cols[ts]))],
        keep="ts IS NOT NULL",
        pre={msg: f"aiops_unwrap_log({untrimmed_text_sql(ident(message))})", "__level_parts": hints},
    )
    return insert_staged(con, src, plan, claimed)


def _open_binary(path: Path) -> BinaryIO:
    return gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")  # noqa: SIM115


def _count_lines(path: Path) -> int:
    """Lines in the file (a cheap pass over the bytes): an upper bound of its records."""
    n, last = 0, b"\n"
    with _open_binary(path) as fh:
        while chunk := fh.read(1 << 20):
            n += chunk.count(b"\n")
            last = chunk[-1:]
    return n + (last != b"\n")


def _lines(path: Path, cut: list[int]) -> Iterator[tuple[int, str]]:
    """(line number, text) of every line that is not blank: split on \\n only, trailing \\r
    dropped, undecodable bytes replaced, a BOM at the start removed, a line longer than
    `limits.max_line_kb` cut to that length (`cut[0]` counts them)."""
    with _open_binary(path) as fh:
        lines = BoundedLines(fh, current_limits().max_line_bytes)
        for n, raw in enumerate(lines, 1):
            cut[0] = lines.cut
            if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            line = raw.rstrip(b"\n").rstrip(b"\r").decode("utf-8", errors="replace")
            if line.strip(" "):
                yield n, line


def _records(path: Path, cut: list[int]) -> Iterator[tuple[int, str | None, str]]:
    """(first line, timestamp text or None, message) of each record: a line that starts with
    a time, and the lines without one that follow it (stack traces). Lines before the first
    timestamped line make one record without a time.

    A time is RFC 3339 / 'YYYY-MM-DD HH:MM:SS' / unix time, or any other header time shape
    with a year that `aiops.logheader` recognises ('2023/01/29 08:43:04', '230129 084304',
    '29/Jan/2023:08:43:04 +0000', 'Jan 29, 2023 8:43:04 AM', ...)."""
    first = ts = None
    parts: list[str] = []
    for n, line in _lines(path, cut):
        m = _PLAIN_TS_RE.match(line)
        if m is not None:
            stamp, rest = m.group("ts").replace(",", "."), line[m.end("prefix"):]
        else:
            lead = leading_time(line) if line[:1] not in (" ", "\t") else None
            stamp = iso_time(lead[0]) if lead is not None else None
            rest = line[lead[1]:] if lead is not None else line
        if stamp is None:
            if first is None:
                first = n
            parts.append(line)
            continue
        if first is not None:
            yield first, ts, "\n".join(parts)
        first, ts = n, stamp
        parts = [rest.lstrip(" ]|-:\t")]
    if first is not None:
        yield first, ts, "\n".join(parts)


def load_plain_log(con, path: Path, name: str) -> LoadResult:
    """One record a line, timestamp first; lines without one continue the record above
    (stack traces). The service (or pod) is the file name without .log/.log.gz.

    The file is streamed and inserted in batches; a file with more records than
    `limits.max_log_records` is sampled (every k-th record) and a warning says so."""
    try:
        lines = _count_lines(path)
    except _READ_ERRORS as exc:
        raise BundleError(f"{name}: cannot read: {exc}") from None
    if lines == 0:
        raise BundleError(f"{name}: empty file (0 bytes)")
    stem = path.name.removesuffix(".gz").removesuffix(".log")
    service = service_from_pod(stem)
    pod = stem if service != stem else ""
    limit = current_limits().max_log_records
    step = sampling_step(lines, limit)
    src = QuerySource(name=name, path=path, columns={}, query="SELECT n, ts_text, message FROM _aiops_lines")
    plan = StagedInsert(
        table="logs",
        exprs={
            "ts": "aiops_epoch_text(ts_text)",
            "service": literal(service),
            "pod": literal(pod),
            "level": level_from_parts_sql("__level_parts"),
            "message": "message",
            "trace_id": "''",
            "span_id": "''",
            "attrs": "'{}'",
        },
        checks=[Check("ts_text", epoch_ok_sql("ts_text"), "unknown timestamp format at the start of the line")],
        keep="ts IS NOT NULL",
        line_column="n",
        pre={"__level_parts": level_parts_sql("message")},
    )
    batch: dict[str, list] = {"n": [], "ts_text": [], "message": []}
    rows = records = untimed = 0
    first_line: tuple[int, str] | None = None
    cut = [0]

    def flush() -> int:
        if not batch["n"]:
            return 0
        try:
            con.execute("CREATE OR REPLACE TEMP TABLE _aiops_lines AS SELECT unnest($n) AS n, "
                        "unnest($ts_text) AS ts_text, unnest($message) AS message", batch)
            added = insert_staged(con, src, plan, []).rows
        finally:
            con.execute("DROP TABLE IF EXISTS _aiops_lines")
        for values in batch.values():
            values.clear()
        return added

    try:
        for n, ts_text, message in _records(path, cut):
            if first_line is None:
                first_line = (n, message.split("\n", 1)[0])
            if ts_text is None:
                untimed += 1
                continue
            records += 1
            if (records - 1) % step:
                continue
            batch["n"].append(n)
            batch["ts_text"].append(ts_text)
            batch["message"].append(message)
            if len(batch["n"]) >= BATCH_RECORDS:
                rows += flush()
        rows += flush()
    except _READ_ERRORS as exc:
        raise BundleError(f"{name}: cannot read: {exc}") from None
    if rows == 0 and first_line is not None:
        no, first = first_line
        raise BundleError(f"{name} line {no}: unknown timestamp format: no timestamp at the start of "
                          f"{first[:80]!r} (expected RFC 3339, 'YYYY-MM-DD HH:MM:SS', unix time or another dated time)")
    warnings = []
    if untimed:
        warnings.append(f"{name}: skipped {untimed} of {records + untimed} lines before the first timestamped line")
    if cut[0]:
        kb = current_limits().max_line_kb
        warnings.append(f"{name}: {cut[0]:,} line(s) longer than limits.max_line_kb = {kb:,} KiB were cut to "
                        f"their first {kb:,} KiB")
    if step > 1:
        warnings.append(f"{name}: about {lines:,} lines exceed limits.max_log_records = {limit:,}: loaded every "
                        f"{step}th of its {records:,} records ({rows:,}); counts from this file are sampled")
    return LoadResult(rows=rows, warnings=tuple(warnings))
