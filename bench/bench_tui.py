"""Figures for `aiops tui` (headless, textual's test driver): how fast the live view follows a run.

Usage: python bench/bench_tui.py [findings]

- demo: app start -> answer on screen, and the evidence screen of the second hypothesis
  (charts, log templates, trace paths, changes) from keypress to loaded;
- event throughput: a scripted run of one plan and N findings, start -> all shown;
- import cost of the textual app (paid by `aiops tui` only, never by `aiops --help`).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

from aiops.agent.events import Answer, FindingMade, PlanMade, PlannedStep, RunStarted, StepStarted, ToolResultEvent
from aiops.config import Settings
from aiops.domain import Diagnosis, Finding, Incident, TimeWindow


async def demo_figures() -> tuple[float, float]:
    from aiops.resources import demo_bundle
    from aiops.tui.app import AiopsApp
    from aiops.tui.source import bundle_source

    source = bundle_source(demo_bundle(), Settings(), label="demo")
    app = AiopsApp(source)
    try:
        t0 = time.perf_counter()
        async with app.run_test(size=(100, 30)) as pilot:
            await app.run_finished.wait()
            await pilot.pause()
            answer = time.perf_counter() - t0
            await pilot.press("down")
            t1 = time.perf_counter()
            await pilot.press("enter")
            await app.screen.ready.wait()
            await pilot.pause()
            evidence = time.perf_counter() - t1
    finally:
        source.close()
    return answer, evidence


async def throughput(n: int) -> float:
    from aiops.tui.app import AiopsApp
    from aiops.tui.source import InvestigationSource

    window = TimeWindow(0.0, 1800.0)
    incident = Incident("bench", window)

    def run():
        step = PlannedStep("r1-1", "metrics.scan")
        yield RunStarted("bench", "bench", "offline")
        yield PlanMade(1, (step,))
        yield StepStarted(step)
        yield ToolResultEvent(step, "ok", f"{n} findings")
        for i in range(n):
            yield FindingMade(Finding("metric", f"svc-{i % 50}", f"m{i}", 0.5, f"finding {i}"), step_id="r1-1")
        yield Answer(Diagnosis(incident, ()))

    app = AiopsApp(InvestigationSource("bench", run, incident))
    t0 = time.perf_counter()
    async with app.run_test(size=(100, 30)) as pilot:
        await app.run_finished.wait()
        await pilot.pause()
        assert len(app.state.findings) == n
    return time.perf_counter() - t0


def import_cost() -> float:
    code = "import time; t = time.perf_counter(); import aiops.tui.app; print(time.perf_counter() - t)"
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    answer, evidence = asyncio.run(demo_figures())
    print(f"demo: answer on screen {answer:.2f} s after start; evidence of #2 loaded {evidence:.2f} s after enter")
    elapsed = asyncio.run(throughput(n))
    print(f"events: {n + 5} events shown in {elapsed:.2f} s ({(n + 5) / elapsed:,.0f} events/s incl. app start)")
    print(f"import aiops.tui.app (textual): {import_cost() * 1000:.0f} ms")


if __name__ == "__main__":
    main()
