"""The tool protocol: one registry, read-only only, typed arguments, declarative tools."""

from __future__ import annotations

import textwrap

import pytest

from aiops.errors import BadInputError
from aiops.tooling import default_registry
from aiops.tooling import (
    ArgumentError, FunctionTool, ToolRefused, ToolRegistry, ToolResult, ToolSpec, validate_args,
)
from aiops.tooling.declarative import fill_template, load_tool_file


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_every_shipped_tool_is_read_only_and_described_for_a_model(settings):
    registry = default_registry(settings)
    assert not registry.problems, registry.problems
    names = {s.name for s in registry.specs()}
    assert {"metrics.scan", "logs.scan", "traces.scan", "changes.scan", "logs.search", "metrics.detect",
            "metrics.exhaustion", "traces.paths", "events.list", "knowledge.search", "logs.error_counts",
            "prometheus.instant_query"} <= names
    for spec in registry.specs():
        assert spec.read_only
        assert set(spec.http_methods) <= {"GET", "HEAD"}, spec.name
        assert len(spec.description) > 40, spec.name
        fn = spec.function_schema()["function"]
        assert fn["name"].replace("__", ".") == spec.name and fn["parameters"]["type"] == "object"


def test_a_writing_tool_or_a_write_verb_is_refused_at_registration():
    registry = ToolRegistry()
    writer = FunctionTool(ToolSpec("k8s.delete_pod", "Deletes a pod, which no aiops tool may do.", read_only=False),
                          lambda ctx, args: ToolResult("ok", ""))
    with pytest.raises(ToolRefused, match="only read-only"):
        registry.register(writer)
    poster = FunctionTool(ToolSpec("http.post", "Posts to an endpoint, which is a write.", http_methods=("POST",)),
                          lambda ctx, args: ToolResult("ok", ""))
    with pytest.raises(ToolRefused, match="POST"):
        registry.register(poster)
    assert len(registry) == 0


def test_arguments_are_checked_against_the_schema_with_defaults_filled():
    schema = {"type": "object", "required": ["pattern"], "properties": {
        "pattern": {"type": "string", "maxLength": 10}, "limit": {"type": "integer", "minimum": 1, "default": 5},
        "mode": {"type": "string", "enum": ["a", "b"]}}}
    assert validate_args(schema, {"pattern": "x"}) == {"pattern": "x", "limit": 5}
    with pytest.raises(ArgumentError, match="missing required argument pattern"):
        validate_args(schema, {})
    with pytest.raises(ArgumentError, match="unknown argument.*shell"):
        validate_args(schema, {"pattern": "x", "shell": "rm -rf /"})
    with pytest.raises(ArgumentError, match="limit = 0 is below 1"):
        validate_args(schema, {"pattern": "x", "limit": 0})
    with pytest.raises(ArgumentError, match="mode = 'c' is not one of"):
        validate_args(schema, {"pattern": "x", "mode": "c"})
    with pytest.raises(ArgumentError, match="longer than 10"):
        validate_args(schema, {"pattern": "x" * 11})


def test_a_declarative_sql_tool_runs_on_the_store_with_values_bound_as_literals(tmp_path, state):
    path = _write(tmp_path, "t.yaml", """\
        name: logs.lines_of
        description: Count the log lines of one service after the baseline.
        specialist: logs
        kind: sql
        parameters:
          service: {type: string}
        required: [service]
        sql: SELECT service, count(*) AS n FROM logs WHERE service = $service AND ts >= $baseline_end GROUP BY 1
        """)
    (tool,) = load_tool_file(path)
    ok = tool.run(state.context(), validate_args(tool.spec.parameters, {"service": "inventory"}))
    assert ok.status == "ok" and "service=inventory" in ok.summary and ok.data["rows"][0]["n"] > 0
    assert "'inventory'" in ok.query
    hostile = tool.run(state.context(), {"service": "x' OR 1=1 --"})
    assert hostile.status == "no_data"   # the quote stayed inside the literal


@pytest.mark.parametrize("body, message", [
    ("kind: sql\nsql: DELETE FROM logs", "exactly one SELECT"),
    ("kind: sql\nsql: SELECT * FROM read_csv('/etc/passwd')", "'read_csv'"),
    ("kind: sql\nsql: SELECT 1; SELECT 2", "exactly one SELECT"),
    ("kind: sql\nsql: SELECT $nope", "$nope, which is not a declared parameter"),
    ("kind: http\nsource: prometheus\npath: /api/{x}", "fixed absolute path"),
    ("kind: shell\nsql: ls", "kind = 'shell' must be sql or http"),
    ("kind: sql\nsql: SELECT 1\ncommand: ls", "unknown key(s) command"),
])
def test_a_bad_tool_file_is_refused_in_one_line_naming_the_file(tmp_path, body, message):
    path = _write(tmp_path, "bad.yaml", "name: x.y\ndescription: Does something or other.\n" + body + "\n")
    with pytest.raises(BadInputError) as err:
        load_tool_file(path)
    assert str(path) in str(err.value) and message in str(err.value) and "\n" not in str(err.value)


def test_a_broken_tool_file_does_not_stop_the_others(tmp_path):
    _write(tmp_path, "a.yaml", "name: x.good\ndescription: A fine tool that counts logs.\nkind: sql\n"
                               "sql: SELECT count(*) AS n FROM logs\n")
    _write(tmp_path, "b.yaml", "name: [unclosed\n")
    registry = ToolRegistry()
    assert registry.load_directory(tmp_path) == 1
    assert len(registry.problems) == 1 and "b.yaml" in registry.problems[0]


def test_values_cannot_break_out_of_a_quoted_promql_string():
    assert fill_template('rate(x{service="{s}"}[5m])', {"s": 'a"} or vector(1) #'}) == \
        'rate(x{service="a\\"} or vector(1) #"}[5m])'
    assert fill_template("{q}", {"q": 'up{job="a"}'}) == 'up{job="a"}'


def test_plugins_register_through_the_entry_point_hook():
    class EntryPoint:
        name = "demo"

        def load(self):
            def register(registry):
                registry.register(FunctionTool(ToolSpec("demo.hello", "A plug-in tool that answers hello."),
                                               lambda ctx, args: ToolResult("ok", "hello")))
            return register

    class Broken:
        name = "broken"

        def load(self):
            raise ImportError("no module named nowhere")

    registry = ToolRegistry()
    registry.load_plugins([EntryPoint(), Broken()])
    assert "demo.hello" in registry and "demo__hello" in registry
    assert registry.problems == ["plug-in broken: ImportError: no module named nowhere"]
