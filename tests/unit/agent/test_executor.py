"""Specialist executors: concurrent steps, per-tool timeouts, refusals as values."""

from __future__ import annotations

import threading

import pytest

from aiops.agent.events import PlannedStep
from aiops.agent.executor import execute
from aiops.tooling import FunctionTool, ToolRegistry, ToolResult, ToolSpec

SCHEMA = {"type": "object", "properties": {"n": {"type": "integer", "default": 0}}, "required": []}


@pytest.fixture
def gate():
    event = threading.Event()
    yield event
    event.set()       # release anything still waiting when the test ends


def _registry(gate: threading.Event) -> ToolRegistry:
    registry = ToolRegistry()
    tools = {
        "t.echo": lambda ctx, a: ToolResult("ok", f"echo {a['n']}"),
        "t.block": lambda ctx, a: ToolResult("ok", "released") if gate.wait(30) else ToolResult("error", "never"),
        "t.crash": lambda ctx, a: 1 / 0,
        "t.both": lambda ctx, a: ToolResult("ok", "saw the other one") if gate.wait(30) else ToolResult("error", ""),
    }
    for name, fn in tools.items():
        registry.register(FunctionTool(ToolSpec(name, f"test tool {name} for the executor", SCHEMA), fn))
    return registry


def _run(registry, state, steps, timeout_s=30.0):
    return list(execute(registry, state, steps, 1, timeout_s))


def test_independent_steps_run_concurrently(state, gate):
    registry = _registry(gate)
    registry.register(FunctionTool(ToolSpec("t.open", "opens the gate the other step waits on", SCHEMA),
                                   lambda ctx, a: (gate.set(), ToolResult("ok", "opened"))[1]), replace=True)
    done = _run(registry, state, [PlannedStep("a", "t.both"), PlannedStep("b", "t.open")])
    # t.both can only finish because t.open ran while it was waiting
    assert {f.record.step.id: f.record.result.summary for f in done} == {"a": "saw the other one", "b": "opened"}


def test_a_slow_tool_times_out_as_an_error_while_the_others_finish(state, gate):
    done = _run(_registry(gate), state, [PlannedStep("a", "t.block"), PlannedStep("b", "t.echo", {"n": 1})],
                timeout_s=0.3)
    by_id = {f.record.step.id: f.record.result for f in done}
    assert by_id["b"].status == "ok"
    assert by_id["a"].status == "error" and "timed out after 0.3 s" in by_id["a"].summary


def test_refusals_and_crashes_are_results_not_exceptions(state, gate):
    steps = [PlannedStep("a", "t.nope"), PlannedStep("b", "t.echo", {"n": "x"}), PlannedStep("c", "t.crash"),
             PlannedStep("d", "t.echo", {"n": 2}), PlannedStep("e", "t.echo", {"n": 2})]
    by_id = {f.record.step.id: f.record.result for f in _run(_registry(gate), state, steps)}
    assert by_id["a"].status == "denied" and "no tool named 't.nope'" in by_id["a"].summary
    assert by_id["b"].status == "denied" and "n = 'x' is not an integer" in by_id["b"].summary
    assert by_id["c"].status == "error" and "ZeroDivisionError" in by_id["c"].summary
    assert by_id["d"].status == "ok"
    assert by_id["e"].status == "denied" and "repeated identical call refused (same as step d)" in by_id["e"].summary


def test_a_repeat_across_rounds_is_refused_too(state, gate):
    registry = _registry(gate)
    _run(registry, state, [PlannedStep("r1-1", "t.echo", {"n": 3})])
    (again,) = _run(registry, state, [PlannedStep("r2-1", "t.echo", {"n": 3})])
    assert again.record.result.status == "denied" and "r1-1" in again.record.result.summary
