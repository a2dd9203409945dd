"""The executor: run a round's steps concurrently, each with its own timeout.

One pool of MAX_WORKERS threads runs every step, whatever kind of evidence its tool reads
(a step's `specialist` is a label for people and models, not a separate executor). A step
that is refused (unknown tool, invalid arguments, not available here, a repeat of an earlier
identical call, over budget) or that fails or times out becomes a result with a status —
never an exception — and the run goes on. Results are reported as they finish; the caller
merges them in plan order.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

from aiops.agent.events import PlannedStep
from aiops.agent.state import RunState, StepRecord, call_key
from aiops.errors import AiopsError, one_line
from aiops.tooling import ArgumentError, ToolRegistry, ToolResult, validate_args

if TYPE_CHECKING:
    from aiops.agent.run_trace import StepSpans

MAX_WORKERS = 4


@dataclass(frozen=True)
class Finished:
    index: int
    record: StepRecord


def _refusal(registry: ToolRegistry, state: RunState, step: PlannedStep) -> tuple[ToolResult | None, dict]:
    """A denied result when the step may not run, else (None, validated args)."""
    tool = registry.resolve(step.tool)
    if tool is None:
        return ToolResult("denied", f"no tool named {step.tool!r}"), {}
    try:
        args = validate_args(tool.spec.parameters, step.args)
    except ArgumentError as exc:
        return ToolResult("denied", f"invalid arguments for {tool.spec.name}: {exc}"), {}
    key = call_key(tool.spec.name, args)
    if key in state.seen:
        return ToolResult("denied", f"repeated identical call refused (same as step {state.seen[key]}); "
                                    "use the earlier result"), args
    reason = tool.available(state.context())
    if reason:
        return ToolResult("no_data", f"not available here: {reason}"), args
    return None, args


def _run_one(registry: ToolRegistry, state: RunState, step: PlannedStep, args: dict,
             started: dict[int, float], index: int, spans: StepSpans | None = None) -> ToolResult:
    started[index] = time.monotonic()
    tool = registry.get(step.tool)
    try:
        with spans.running(index, step) if spans is not None else contextlib.nullcontext():
            return tool.run(state.context(), args)
    except AiopsError as exc:
        return ToolResult("error", one_line(exc))
    except Exception as exc:  # noqa: BLE001 - one failing tool never sinks a diagnosis
        return ToolResult("error", f"{type(exc).__name__}: {one_line(exc)}")


def execute(registry: ToolRegistry, state: RunState, steps: list[PlannedStep], round_no: int,
            timeout_s: float, deadline: float | None = None, spans: StepSpans | None = None) -> Iterator[Finished]:
    """Run `steps`; yields each as it finishes (refusals first, in plan order).

    Each step has `timeout_s` from the moment it starts running; `deadline` (monotonic
    time) ends every step still running or waiting when the run's wall-time budget is spent.
    `spans` (aiops.agent.run_trace.StepSpans) opens each step's trace span in its worker thread.
    """
    pending: dict[cf.Future, tuple[int, PlannedStep]] = {}
    started: dict[int, float] = {}
    pool = cf.ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="aiops-tool")
    try:
        for i, step in enumerate(steps):
            refused, args = _refusal(registry, state, step)
            if refused is None:
                state.seen[call_key(registry.get(step.tool).spec.name, args)] = step.id
                pending[pool.submit(_run_one, registry, state, step, args, started, i, spans)] = (i, step)
            else:
                yield Finished(i, StepRecord(step, round_no, refused, 0.0))
        while pending:
            now = time.monotonic()
            limits = [started[i] + timeout_s for i, _ in pending.values() if i in started]
            if deadline is not None:
                limits.append(deadline)
            wait = max(0.0, min(limits) - now) if limits else timeout_s
            done, _ = cf.wait(pending, timeout=wait, return_when=cf.FIRST_COMPLETED)
            for fut in sorted(done, key=lambda f: pending[f][0]):
                i, step = pending.pop(fut)
                yield Finished(i, StepRecord(step, round_no, fut.result(), time.monotonic() - started.get(i, now)))
            now = time.monotonic()
            over_budget = deadline is not None and now >= deadline
            for fut, (i, step) in sorted(pending.items(), key=lambda kv: kv[1][0]):
                timed_out = i in started and now >= started[i] + timeout_s
                if not (timed_out or over_budget):
                    continue
                fut.cancel()
                del pending[fut]
                why = f"timed out after {timeout_s:g} s" if timed_out else "the run's wall-time budget ran out"
                yield Finished(i, StepRecord(step, round_no, ToolResult("error", why), now - started.get(i, now)))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
