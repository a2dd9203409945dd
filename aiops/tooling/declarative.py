"""Declarative tools: YAML files of query templates over the telemetry store or a live
source's HTTP JSON API. Parameters are typed values, bound as SQL literals or URL query
values — never pasted into a shell, a host name or a path.

    name: logs.error_counts
    description: Error log lines per service after the baseline. Use to see who logs errors.
    specialist: logs
    kind: sql                       # or http
    parameters:
      min_count: {type: integer, default: 1, minimum: 0}
    sql: |
      SELECT service, count(*) AS n FROM logs
      WHERE ts >= $baseline_end AND level IN ('error', 'fatal') GROUP BY 1 HAVING n >= $min_count
    max_rows: 30

    kind: http
    source: prometheus              # a configured live source: KIND or KIND.NAME
    path: /api/v1/query             # fixed; GET only
    params: {query: 'topk(5, rate(http_requests_total{service="{service}"}[5m]))'}
    extract: data.result            # dotted path into the JSON answer

SQL templates may use $window_start, $window_end, $baseline_end and $onset besides their
parameters; each file is checked on load (one SELECT statement, no file or network access).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from aiops.errors import BadInputError, one_line
from aiops.tooling.base import SPECIALISTS, ToolContext, ToolResult, ToolSpec
from aiops.tooling.schema import ArgumentError, check_schema
from aiops.yamlfile import load_yaml

_KEYS = {"name", "description", "specialist", "kind", "parameters", "required", "sql", "max_rows",
         "source", "path", "params", "extract"}
_NAME = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
# Table functions and statements that reach outside the store.
_EXTERNAL = re.compile(r"\b(read_\w+|glob|\w+_scan|attach|detach|copy|install|load|export|import|pragma|"
                       r"set|call|httpfs|sniff_csv|query_table)\b\s*\(?", re.IGNORECASE)
_BUILTIN_SQL_NAMES = ("window_start", "window_end", "baseline_end", "onset")


def load_tool_file(path: Path) -> list["DeclarativeTool"]:
    """The tools one YAML file declares (a mapping, or `tools:` holding a list of them)."""
    import yaml

    try:
        doc = load_yaml(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInputError(f"{path}: cannot read: {one_line(exc)}") from None
    except yaml.YAMLError as exc:
        raise BadInputError(f"{path}: not valid YAML: {one_line(exc)}") from None
    items = doc.get("tools") if isinstance(doc, dict) and "tools" in doc else [doc]
    if not isinstance(items, list) or not items:
        raise BadInputError(f"{path}: expected a tool mapping or `tools:` with a list of them")
    return [parse_tool(item, f"{path}#{i + 1}" if len(items) > 1 else str(path)) for i, item in enumerate(items)]


def parse_tool(item: Any, where: str) -> "DeclarativeTool":
    if not isinstance(item, dict):
        raise BadInputError(f"{where}: a tool must be a mapping, got {type(item).__name__}")
    unknown = sorted(set(item) - _KEYS)
    if unknown:
        raise BadInputError(f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(_KEYS))})")
    name = item.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise BadInputError(f"{where}: name = {name!r} must be dotted lower-case, e.g. logs.error_counts")
    desc = item.get("description")
    if not isinstance(desc, str) or len(desc.strip()) < 10:
        raise BadInputError(f"{where}: {name}: description must say what the tool does (a sentence)")
    specialist = item.get("specialist", "analysis")
    if specialist not in SPECIALISTS:
        raise BadInputError(f"{where}: {name}: specialist = {specialist!r} is not one of {', '.join(SPECIALISTS)}")
    kind = item.get("kind")
    props = item.get("parameters") or {}
    if not isinstance(props, dict):
        raise BadInputError(f"{where}: {name}: parameters must be a mapping of name -> schema")
    schema = {"type": "object", "properties": props, "required": list(item.get("required") or [])}
    try:
        check_schema(schema, f"{where}: {name}")
    except ArgumentError as exc:
        raise BadInputError(str(exc)) from None
    max_rows = item.get("max_rows", 50)
    if isinstance(max_rows, bool) or not isinstance(max_rows, int) or not 1 <= max_rows <= 1000:
        raise BadInputError(f"{where}: {name}: max_rows = {max_rows!r} must be an integer from 1 to 1000")
    if kind == "sql":
        sql = item.get("sql")
        if not isinstance(sql, str) or not sql.strip():
            raise BadInputError(f"{where}: {name}: kind sql needs a `sql:` SELECT template")
        _check_sql(sql, set(props) | set(_BUILTIN_SQL_NAMES), f"{where}: {name}")
        spec = ToolSpec(name, desc.strip(), schema, specialist, origin=where)
        return DeclarativeTool(spec, "sql", sql=sql, max_rows=max_rows)
    if kind == "http":
        source, path = item.get("source"), item.get("path")
        if not isinstance(source, str) or not re.fullmatch(r"[a-z_]+(\.[A-Za-z0-9_-]+)?", source):
            raise BadInputError(f"{where}: {name}: source = {source!r} must name a live source kind (or kind.name)")
        if not isinstance(path, str) or not path.startswith("/") or "{" in path or ".." in path:
            raise BadInputError(f"{where}: {name}: path = {path!r} must be a fixed absolute path (no placeholders)")
        params = item.get("params") or {}
        if not isinstance(params, dict) or not all(isinstance(v, (str, int, float)) for v in params.values()):
            raise BadInputError(f"{where}: {name}: params must map query names to template strings")
        for value in params.values():
            for ref in re.findall(r"\{(\w+)\}", str(value)):
                if ref not in props and ref not in _BUILTIN_SQL_NAMES:
                    raise BadInputError(f"{where}: {name}: params refer to undeclared parameter {{{ref}}}")
        extract = item.get("extract", "")
        spec = ToolSpec(name, desc.strip(), schema, specialist, http_methods=("GET",), origin=where)
        return DeclarativeTool(spec, "http", source=source, path=path, params=params, extract=str(extract),
                               max_rows=max_rows)
    raise BadInputError(f"{where}: {name}: kind = {kind!r} must be sql or http")


def _check_sql(sql: str, names: set[str], where: str) -> None:
    import duckdb

    if m := _EXTERNAL.search(re.sub(r"'[^']*'", "''", sql)):
        raise BadInputError(f"{where}: SQL uses {m.group(1)!r}: tools may only read the telemetry tables")
    for ref in re.findall(r"\$([A-Za-z_]\w*)", sql):
        if ref not in names:
            raise BadInputError(f"{where}: SQL refers to ${ref}, which is not a declared parameter")
    probe = re.sub(r"\$([A-Za-z_]\w*)", "NULL", sql)
    try:
        statements = duckdb.extract_statements(probe)
    except duckdb.Error as exc:
        raise BadInputError(f"{where}: SQL does not parse: {one_line(exc)}") from None
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        raise BadInputError(f"{where}: SQL must be exactly one SELECT statement")


def _template_values(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    w = ctx.incident.window
    return {"window_start": w.start, "window_end": w.end, "baseline_end": ctx.baseline_end,
            "onset": ctx.onset if ctx.onset is not None else ctx.baseline_end, **args}


def _promql_escape(value: Any, quote: str) -> str:
    """A value inside a quoted PromQL/LogQL string: no way out of the quotes. A raw
    (backtick) string has no escapes, so a value holding a backtick is refused."""
    text = str(value).replace("\n", " ")
    if quote == "`":
        if "`" in text:
            raise ValueError(f"a value with a backtick cannot go into a raw `...` string: {text[:80]!r}")
        return text
    return text.replace("\\", "\\\\").replace(quote, "\\" + quote)


def fill_template(template: str, values: dict[str, Any]) -> str:
    """Put values into {name} placeholders; inside a quoted string ("...", '...' or `...`) a
    value is escaped so it cannot end the string (a whole-expression placeholder is taken as
    it is). ValueError for a value that no escaping can keep inside its string."""
    out, quoted, i = [], "", 0
    while i < len(template):
        ch = template[i]
        if ch == "\\" and quoted and quoted != "`" and i + 1 < len(template):
            out.append(template[i:i + 2])
            i += 2
            continue
        if ch in "\"'`" and (not quoted or ch == quoted):
            quoted = "" if quoted else ch
        m = re.match(r"\{(\w+)\}", template[i:])
        if m:
            value = values[m.group(1)]
            out.append(_promql_escape(value, quoted) if quoted else str(value))
            i += m.end()
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _dig(doc: Any, path: str) -> Any:
    for part in [p for p in path.split(".") if p]:
        if isinstance(doc, dict):
            doc = doc.get(part)
        elif isinstance(doc, list) and part.isdigit() and int(part) < len(doc):
            doc = doc[int(part)]
        else:
            return None
    return doc


class DeclarativeTool:
    def __init__(self, spec: ToolSpec, kind: str, *, sql: str = "", source: str = "", path: str = "",
                 params: dict[str, Any] | None = None, extract: str = "", max_rows: int = 50) -> None:
        self.spec, self.kind, self.sql, self.source, self.path = spec, kind, sql, source, path
        self.params, self.extract, self.max_rows = params or {}, extract, max_rows

    def _source(self, ctx: ToolContext) -> Any:
        kind, _, name = self.source.partition(".")
        for src in ctx.sources.get(kind, {}).values() if isinstance(ctx.sources.get(kind), dict) else ():
            if not name or src.name == name:
                return src
        return None

    def available(self, ctx: ToolContext) -> str | None:
        if self.kind == "sql":
            return None if ctx.store is not None else "no telemetry store"
        return None if self._source(ctx) is not None else f"no {self.source} source configured"

    def run(self, ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
        values = _template_values(ctx, args)
        if self.kind == "sql":
            return self._run_sql(ctx, values)
        return self._run_http(ctx, values)

    def _run_sql(self, ctx: ToolContext, values: dict[str, Any]) -> ToolResult:
        from aiops.sqlbind import bind_named

        query = bind_named(self.sql, values)
        cols = ctx.store.sql(f"SELECT * FROM ({query}) LIMIT {self.max_rows + 1}")
        names = list(cols)
        n = len(cols[names[0]]) if names else 0
        rows = [{c: _plain(cols[c][i]) for c in names} for i in range(min(n, self.max_rows))]
        if not rows:
            return ToolResult("no_data", "no rows", query=query)
        text = "\n".join(", ".join(f"{k}={v}" for k, v in r.items()) for r in rows)
        return ToolResult("ok", f"{len(rows)} row(s):\n{text}", query=query, data={"rows": rows},
                          truncated=n > self.max_rows)

    def _run_http(self, ctx: ToolContext, values: dict[str, Any]) -> ToolResult:
        src = self._source(ctx)
        params = {k: fill_template(str(v), values) for k, v in self.params.items()}
        query = f"GET {self.path}?" + "&".join(f"{k}={v}" for k, v in params.items())
        try:
            doc = src.get(self.path, params)
        except Exception as exc:  # noqa: BLE001 - a failing source is a value
            describe = getattr(src, "describe", None)
            return ToolResult("error", describe(exc) if describe else one_line(exc), query=query)
        found = _dig(doc, self.extract) if self.extract else doc
        if found in (None, [], {}):
            return ToolResult("no_data", "empty answer", query=query)
        items = found if isinstance(found, list) else [found]
        shown = items[: self.max_rows]
        text = "\n".join(json.dumps(x, sort_keys=True, default=str)[:400] for x in shown)
        return ToolResult("ok", f"{len(items)} item(s):\n{text}", query=query, data={"items": shown},
                          truncated=len(items) > self.max_rows)


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if value is None or value is getattr(__import__("numpy").ma, "masked", object()):
        return None
    if isinstance(value, float):
        return round(value, 6)
    return value
