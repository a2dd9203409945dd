"""Fuzzing the parsers of text that comes from outside: log lines (template mining and
masking, `aiops logs templates`), `aiops detect` input, the PromQL and SQL that tool
arguments are bound into, declarative tool files, runbooks, and the secret redaction that
all of it passes through before reaching a model.

Properties: no traceback; rejections are one-line BadInputErrors naming the input; a value
bound into a PromQL string or a SQL literal never ends its quotes; redaction restores.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import duckdb
import yaml
from fuzzing import (
    CELL, JSON_VALUE, NASTY, NUMBER_TEXT, TEXT, TIMESTAMP_TEXT, csv_text, encoded, mutated, rejected_cleanly, twin,
)
from hypothesis import strategies as st
from inprocess_cli import run_aiops

from aiops.analytics.logmasking import mask_line
from aiops.analytics.logtemplates import mine_templates
from aiops.gateway.redact import Redactor
from aiops.kb.documents import parse_document
from aiops.sqlbind import sql_literal
from aiops.telemetry.live.promql import is_selector, matchers, quote
from aiops.tooling.declarative import fill_template, load_tool_file

LOG_LINE = st.one_of(
    TEXT, NASTY,
    st.builds(lambda *p: " ".join(p), TIMESTAMP_TEXT, st.sampled_from(["INFO", "ERROR", "[warn]", "E0129", ""]),
              st.sampled_from(["user alice logged in", "GET /api/v1/orders/12 200 13ms", "conn to 10.0.0.5:5432",
                               "id=4bf92f3577b34da6 retry=3", "password=hunter2 for bob@example.com"]), TEXT),
    st.text(alphabet=st.sampled_from(list("ab /=:.-_0123456789\"'<*>[]{}\\\t")), max_size=200),
)


# -- log lines ----------------------------------------------------------------------------------

def log_templates(lines: list[str], threshold: float) -> None:
    """Every line gets one template, equal lines the same one, and a template never has
    more tokens than its line (plus a level word a JSON/logfmt line names)."""
    lines = [line.replace("\n", " ").replace("\r", " ") for line in lines]
    ids, texts = mine_templates(lines, threshold)
    assert len(ids) == len(texts) == len(lines)
    first: dict[str, str] = {}
    for line, tid, text in zip(lines, ids, texts):
        assert len(text.split()) <= len(line.split()) + 1, (line, text)
        assert first.setdefault(line, tid) == tid, line
        mask_line(line)


test_log_lines_mine_to_templates, test_log_lines_mine_to_templates_nightly = twin(
    log_templates, nightly=1500, fast=60, lines=st.lists(LOG_LINE, max_size=30),
    threshold=st.floats(0.01, 1.0))


def logs_templates_cli(data: bytes, fmt: str) -> None:
    """`aiops logs templates`: one row per line, or a clean error."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "app.log"
        path.write_bytes(data)
        result = run_aiops("logs", "templates", "--input", path, "--format", fmt)
        if result.exit_code == 2:
            assert "\n" not in result.stderr.strip() and str(path) in result.stderr
            return
        assert result.exit_code == 0, result.stderr
        lines = data.split(b"\n")
        expected = len(lines) - (1 if lines and lines[-1] == b"" else 0)
        if fmt == "csv":
            rows = list(_csv_rows(result.stdout))
            assert rows[0] == ["line", "template_id", "template"]
            assert [int(r[0]) for r in rows[1:]] == list(range(1, expected + 1))
        elif fmt == "json":
            assert json.loads(result.stdout)["lines"] == expected


def _csv_rows(text: str):
    import csv
    import io

    return csv.reader(io.StringIO(text))


test_logs_templates_command, test_logs_templates_command_nightly = twin(
    logs_templates_cli, nightly=500, fast=20,
    data=st.lists(LOG_LINE, max_size=20).map(lambda ls: "\n".join(ls)).flatmap(encoded),
    fmt=st.sampled_from(["csv", "json", "text"]))


# -- aiops detect ---------------------------------------------------------------------------------

@st.composite
def series_files(draw) -> bytes:
    header = draw(st.one_of(st.just(["timestamp", "value"]), st.just(["value", "timestamp", "x"]),
                            st.lists(st.one_of(st.sampled_from(["timestamp", "value", "Timestamp"]), TEXT), max_size=3)))
    base = draw(st.integers(1_600_000_000, 1_700_000_000))
    regular = [[str(base + 60 * i), repr(draw(st.floats(-1e6, 1e6)))] for i in range(draw(st.integers(0, 40)))]
    odd = draw(st.lists(st.lists(st.one_of(TIMESTAMP_TEXT, NUMBER_TEXT, CELL), min_size=0, max_size=3), max_size=6))
    rows = regular + odd
    draw(st.randoms()).shuffle(rows)
    return draw(encoded(csv_text(header, rows, draw(st.booleans()))))


def detect_cli(data: bytes, detector: str, non_causal: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "series.csv"
        path.write_bytes(data)
        args = ["detect", "--input", path, "--detector", detector, "--format", "csv"] + (["--non-causal"] if non_causal else [])
        result = run_aiops(*args)
        if result.exit_code == 2:
            assert "\n" not in result.stderr.strip() and str(path) in result.stderr, result.stderr
            return
        assert result.exit_code == 0, result.stderr
        out = list(_csv_rows(result.stdout))
        assert out[0] == ["timestamp", "value", "score", "anomaly"]
        for row in out[1:]:
            assert 0.0 <= float(row[2]) <= 1.0 and row[3] in ("0", "1"), row


test_detect_command, test_detect_command_nightly = twin(
    detect_cli, nightly=600, fast=20, data=series_files(),
    detector=st.sampled_from(["ensemble", "seasonal_mad", "level_shift", "spike", "ewma", "holt"]),
    non_causal=st.booleans())


# -- PromQL and SQL binding -----------------------------------------------------------------------

def _promql_string_end(text: str, start: int, q: str) -> int:
    """Index of the quote that closes the PromQL string opened at `start` (escapes honoured;
    raw backtick strings have none)."""
    i = start + 1
    while i < len(text):
        if text[i] == "\\" and q != "`":
            i += 2
            continue
        if text[i] == q:
            return i
        i += 1
    return -1


def _unescape(body: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body, flags=re.S)


def promql_binding(value: object, q: str, prefix: str) -> None:
    """A value put into a quoted PromQL string by a tool template stays inside the string."""
    template = f'{prefix}{{job={q}{{v}}{q}, code=~{q}5..{q}}}'
    try:
        out = fill_template(template, {"v": value})
    except ValueError:
        assert q == "`" and "`" in str(value)       # a raw string cannot hold a backtick: refused
        return
    start = len(prefix) + len("{job=")
    end = _promql_string_end(out, start, q)
    assert end != -1 and out[end + 1:] == f', code=~{q}5..{q}}}', out
    body = out[start + 1:end]
    expected = str(value).replace("\n", " ")
    assert (body if q == "`" else _unescape(body)) == expected, (out, value)
    assert _unescape(quote(str(value))[1:-1]) == str(value)
    matchers(str(value), namespace=str(value))
    is_selector(str(value))


test_promql_values_stay_quoted, test_promql_values_stay_quoted_nightly = twin(
    promql_binding, nightly=1000, fast=60, value=st.one_of(CELL, st.integers(), st.floats()),
    q=st.sampled_from(['"', "'", "`"]), prefix=st.sampled_from(["up", "rate(http_requests_total", ""]))

_CON = duckdb.connect()


def sql_binding(value: object) -> None:
    """A tool argument bound into SQL reads back as itself (no way out of the literal)."""
    if isinstance(value, str) and "\x00" in value:
        value = value.replace("\x00", "")
    try:
        literal = sql_literal(value)
    except ValueError:
        assert isinstance(value, float)      # NaN / inf are refused, never bound
        return
    got = _CON.execute(f"SELECT {literal} AS v").fetchone()[0]
    if isinstance(value, str):
        assert got == value
    elif isinstance(value, bool) or value is None:
        assert got == value
    elif isinstance(value, float):      # DuckDB reads 0.05 as a DECIMAL: compare as numbers
        assert float(got) == value or abs(float(got) - value) <= abs(value) * 1e-12
    else:
        assert int(got) == value


test_sql_values_stay_literal, test_sql_values_stay_literal_nightly = twin(
    sql_binding, nightly=1000, fast=60,
    value=st.one_of(CELL, st.booleans(), st.none(), st.floats(), st.integers(-(2 ** 62), 2 ** 62)))


# -- declarative tool files and runbooks ------------------------------------------------------------

TOOL = st.fixed_dictionaries({}, optional={
    "name": st.one_of(st.sampled_from(["logs.fuzz_counts", "x", "a.b"]), TEXT),
    "description": st.one_of(st.just("Counts error lines per service, for fuzzing."), TEXT, JSON_VALUE),
    "specialist": st.one_of(st.sampled_from(["logs", "metrics", "spy"]), JSON_VALUE),
    "kind": st.sampled_from(["sql", "http", "shell", None]),
    "parameters": st.one_of(st.dictionaries(st.one_of(st.sampled_from(["service", "n"]), TEXT), st.one_of(
        st.fixed_dictionaries({"type": st.sampled_from(["string", "integer", "object", "nope"])}), JSON_VALUE),
        max_size=3), JSON_VALUE),
    "sql": st.one_of(st.sampled_from([
        "SELECT service, count(*) AS n FROM logs WHERE service = $service GROUP BY 1",
        "SELECT * FROM read_csv('/etc/passwd')", "DELETE FROM logs", "SELECT 1; DROP TABLE logs",
        "ATTACH 'x.db'", "COPY logs TO '/tmp/x.csv'", "SELECT $undeclared", "SELECT * FROM glob('/*')"]), TEXT),
    "source": st.one_of(st.sampled_from(["prometheus", "prometheus.main", "../etc"]), TEXT),
    "path": st.one_of(st.sampled_from(["/api/v1/query", "/api/{x}", "../admin", "http://evil/"]), TEXT),
    "params": JSON_VALUE, "max_rows": JSON_VALUE, "extract": JSON_VALUE, "required": JSON_VALUE,
    "method": st.sampled_from(["POST", "DELETE"]), "read_only": st.booleans()})
YAML_BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi")) + "tools: [*i]\n"


@st.composite
def tool_files(draw) -> bytes:
    how = draw(st.sampled_from(["one", "list", "text", "bomb"]))
    if how == "bomb":
        return YAML_BOMB.encode()
    if how == "text":
        return draw(st.one_of(TEXT, NASTY)).encode()
    tools = draw(st.lists(TOOL, min_size=1, max_size=3))
    text = yaml.safe_dump(tools[0] if how == "one" else {"tools": tools}, allow_unicode=True)
    return draw(st.one_of(st.just(text.encode()), mutated(text.encode())))


def tool_file(data: bytes) -> None:
    """A tool file loads (and every tool is read-only) or is refused naming the file."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tool.yaml"
        path.write_bytes(data)
        tools = []
        rejected_cleanly(lambda: tools.extend(load_tool_file(path)), [str(path)])
        for tool in tools:
            assert tool.spec.read_only and set(tool.spec.http_methods) <= {"GET"}


test_tool_files_load_or_name_the_file, test_tool_files_load_or_name_the_file_nightly = twin(
    tool_file, nightly=800, fast=30, data=tool_files())

RUNBOOK = st.builds(
    lambda front, body: (f"---\n{front}\n---\n" if front is not None else "") + body,
    st.one_of(st.none(), st.sampled_from(["title: x\ntags: [a]", "title: [1, 2]", "tags: 3", ": :", YAML_BOMB]),
              TEXT),
    st.lists(st.one_of(TEXT, NASTY, st.sampled_from(["# Title", "## Checks", "- item", "```", "<h1>x</h1>"])),
             max_size=12).map("\n".join))


def runbook(text: bytes, suffix: str) -> None:
    path = Path("knowledge") / f"fuzz{suffix}"
    rejected_cleanly(lambda: parse_document(path, text), [str(path)])


test_runbooks_parse_or_name_the_file, test_runbooks_parse_or_name_the_file_nightly = twin(
    runbook, nightly=800, fast=30, text=RUNBOOK.flatmap(encoded), suffix=st.sampled_from([".md", ".txt", ".html", ".yaml"]))


# -- redaction ----------------------------------------------------------------------------------------

def redaction_round_trip(text: str) -> None:
    """Whatever redaction replaces, restore puts back exactly (the operator's local view)."""
    if "[REDACTED_" in text:
        return
    redactor = Redactor(pii=True)
    out, found = redactor.redact(text)
    assert Redactor.restore(out, redactor.mapping) == text
    assert redactor.redact(out)[0] == out              # a placeholder is never redacted again


test_redaction_restores_exactly, test_redaction_restores_exactly_nightly = twin(
    redaction_round_trip, nightly=1500, fast=60, text=st.one_of(LOG_LINE, st.lists(LOG_LINE, max_size=5).map("\n".join)))
