"""`AiopsApp`: runs an investigation in a worker thread and shows it live.

The investigation (any callable returning an iterator of `aiops.agent.events`, see
`aiops.tui.source`) runs in a textual thread worker; each event comes back to the UI
thread as a `RunEvent` message and is folded into `RunState`. A re-run bumps the
generation, so messages of an older run that is still finishing are dropped.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Iterable

from rich.text import Text
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, get_current_worker

from aiops.config import Settings
from aiops.domain import Incident, TimeWindow
from aiops.errors import AiopsError, one_line
from aiops.safe_text import map_strings, printable
from aiops.tui.command_line import COMMANDS, CommandError, parse_command, parse_range
from aiops.tui.evidence import EvidenceTarget, merged_findings, onset_of
from aiops.tui.evidence.logs import LogTemplateCache
from aiops.tui.export import FORMATS, default_path, export_report, parse_format
from aiops.tui.messages import Catalog, RunEnded, RunEvent, RunFailed
from aiops.tui.plot import clock
from aiops.tui.pump import EVENT, FAILED, EventPump
from aiops.tui.run_state import RankedView, RunState
from aiops.tui.screens.answer import AnswerScreen
from aiops.tui.screens.evidence import EvidenceScreen
from aiops.tui.screens.export import ExportScreen
from aiops.tui.screens.help import HelpScreen
from aiops.tui.screens.investigation import InvestigationScreen
from aiops.tui.screens.metric import MetricScreen
from aiops.tui.source import EventSource, InvestigationSource, replay
from aiops.tui.widgets.styles import theme_styles


def theme_names() -> list[str]:
    """The textual themes `--theme` accepts."""
    from textual.theme import BUILTIN_THEMES

    return sorted(BUILTIN_THEMES)


FLUSH_S = 0.05          # redraw the live view at most 20 times a second
CANCEL_CHECK_S = 0.1    # how often the worker looks for a cancellation while the source is busy


class AiopsApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "aiops"
    BINDINGS = [
        Binding("q", "quit", "quit"),
        Binding("question_mark,f1", "help", "help"),
        Binding("e", "export", "export"),
        Binding("r", "rerun", "re-run"),
    ]

    def __init__(self, source: InvestigationSource, settings: Settings | None = None,
                 export_dir: Path | None = None, theme: str | None = None) -> None:
        super().__init__()
        self.source = source
        self.settings = settings or Settings()
        self.export_dir = export_dir
        self.state = RunState()
        self.generation = 0
        self.running = False
        self.started_at = 0.0
        self.finished_in = 0.0
        self.time_range: TimeWindow | None = None
        self.logs_cache = LogTemplateCache()
        self.services: list[str] = []
        self.metrics: list[str] = []
        self.last_export: Path | None = None
        self._pending: set[str] = set()          # parts of the main screen waiting for a redraw
        self.run_finished = asyncio.Event()      # set when the current run has ended (answer or failure)
        self.catalog_ready = asyncio.Event()     # set when the store's services and metrics are known
        self.main = InvestigationScreen()
        if theme:
            self.theme = theme

    # -- lifecycle --------------------------------------------------------------------
    async def on_mount(self) -> None:
        await self.push_screen(self.main)
        self.sub_title = self.source.label
        if self.source.store is not None:
            self.run_worker(self._load_catalog, thread=True, group="catalog", exit_on_error=False)
        if self.source.past is not None:
            self._show_past()
        elif self.source.can_run:
            self.start_run()
        self.set_interval(0.5, self._tick)

    def _load_catalog(self) -> None:
        store = self.source.store
        self.post_message(Catalog(store.services(), store.metric_names()))

    def on_catalog(self, message: Catalog) -> None:
        self.services, self.metrics = message.services, message.metrics
        words = [f"service {s}" for s in self.services] + [f"metric {m}" for m in self.metrics]
        words += [f"export {f}" for f in FORMATS] + ["range onset-10m onset+10m", "range reset", "rerun", "help"]
        self.main.set_suggestions(words)
        self.catalog_ready.set()

    def _show_past(self) -> None:
        self.state = RunState()
        self.main.reset_run()
        for event in replay(self.source.past):
            self.main.show(self.state, self.state.apply(event))
        self.finished_in = self.source.past.duration_s
        self.run_finished.set()
        self._tick()

    # -- running ----------------------------------------------------------------------
    def start_run(self, run: EventSource | None = None) -> Worker | None:
        run = run or self.source.run
        if run is None:
            self.notify("nothing to re-run: this is a past report; open it with --bundle DIR to re-run",
                        severity="warning")
            return None
        self.generation += 1
        self.state = RunState()
        self.main.reset_run()
        self.running, self.started_at = True, time.monotonic()
        self.run_finished.clear()
        self._pending = set()
        self._tick()
        generation = self.generation
        return self.run_worker(lambda: self._investigate(generation, run), thread=True, group="investigation",
                               exclusive=True, exit_on_error=False, name=f"investigation-{generation}")

    def _investigate(self, generation: int, run: EventSource) -> None:
        """The worker: relay events from the pump (the source runs on its own daemon thread,
        so a tool that hangs never holds up quitting or a re-run) to the UI as messages."""
        worker = get_current_worker()
        pump = EventPump(run, name=f"aiops-investigation-{generation}").start()
        try:
            while True:
                item = pump.get(timeout=CANCEL_CHECK_S)
                if item is None:
                    if worker.is_cancelled:
                        return
                    continue
                kind, payload = item
                if kind == EVENT:      # text from the data: control characters escaped before any widget
                    self.post_message(RunEvent(generation, map_strings(payload)))
                elif kind == FAILED:
                    self.post_message(RunFailed(generation, printable(str(payload), keep_lines=False)))
                else:
                    self.post_message(RunEnded(generation))
                    return
        finally:
            pump.stop()

    def on_run_event(self, message: RunEvent) -> None:
        """Fold the event in now; redraw at most every FLUSH_S (a burst of findings is one redraw)."""
        if message.generation != self.generation:
            return
        changed = self.state.apply(message.event)
        if changed:
            if not self._pending:
                self.set_timer(FLUSH_S, self._redraw_live)
            self._pending |= changed

    def _redraw_live(self) -> None:
        if self._pending:
            changed, self._pending = self._pending, set()
            self.main.show(self.state, changed)

    def on_run_failed(self, message: RunFailed) -> None:
        if message.generation == self.generation:
            self.main.show(self.state, self.state.fail(message.reason))
            self.notify(f"investigation failed: {message.reason}", severity="error", timeout=8)

    def on_run_ended(self, message: RunEnded) -> None:
        if message.generation != self.generation:
            return
        self._redraw_live()
        self.running = False
        self.finished_in = time.monotonic() - self.started_at
        if self.state.diagnosis is None and not self.state.failure:
            self.main.show(self.state, self.state.fail("the run ended without an answer"))
        self._tick()
        self.run_finished.set()

    def _tick(self) -> None:
        styles = theme_styles(self)
        s = self.state
        text = Text()
        if self.running:
            done, total = s.progress()
            running = ", ".join(v.step.tool for v in s.running_steps())
            text.append("● running", style=f"bold {styles.warn}")
            text.append(f"  round {s.current_round or 1} · {done}/{total} steps"
                        + (f" · {running}" if running else "") + f" · {len(s.findings)} findings"
                        f" · {time.monotonic() - self.started_at:.1f} s")
        elif s.failure:
            text.append("✘ failed", style=f"bold {styles.error}")
            text.append(f"  {s.failure}")
        elif s.diagnosis is not None:
            top = s.diagnosis.root_causes[0] if s.diagnosis.root_causes else None
            past = self.source.past is s.diagnosis
            text.append("✔ past run" if past else "✔ done", style=f"bold {styles.ok}")
            text.append(f"  {top.service} {top.confidence:.0%}" if top else "  no root cause found")
            text.append(f" · {len(s.diagnosis.root_causes)} ranked · {self.finished_in:.1f} s · run {s.run_id}")
        else:
            text.append("idle", style=styles.muted)
        if self.time_range is not None:
            text.append(f" · range {clock(self.time_range.start)}–{clock(self.time_range.end)}", style=styles.accent)
        if s.title:
            text.append(f" · {s.title}", style=styles.muted)
        self.main.set_status(text)

    # -- drill-downs ------------------------------------------------------------------
    @property
    def incident(self) -> Incident | None:
        if self.source.incident is not None:
            return self.source.incident
        return self.state.diagnosis.incident if self.state.diagnosis else None

    def mining_window(self) -> TimeWindow | None:
        """Logs are mined over the incident window (and the drill-down range if wider)."""
        inc = self.incident
        if inc is None:
            return self.time_range
        if self.time_range is None:
            return inc.window
        return TimeWindow(min(inc.window.start, self.time_range.start), max(inc.window.end, self.time_range.end))

    def evidence_target(self, service: str, ranked: RankedView | None = None) -> EvidenceTarget:
        inc = self.incident
        findings = merged_findings(service, self.state.findings, ranked.evidence if ranked else ())
        d = self.state.diagnosis
        top = bool(d and d.root_causes and d.root_causes[0].service == service)
        heading = (f"#{ranked.rank} {service} · {ranked.fault.replace('_', ' ')} · {ranked.confidence:.0%}"
                   if ranked else f"{service} · drill-down")
        window = self.time_range or (inc.window if inc else TimeWindow(0.0, 1.0))
        return EvidenceTarget(service=service, heading=heading, summary=ranked.summary if ranked else "",
                              findings=findings, evidence=ranked.evidence if ranked else (), window=window,
                              onset=onset_of(inc, findings), runbooks=d.runbooks if d else (),
                              remediation=d.remediation if d and top else ())

    def open_evidence(self, service: str, ranked: RankedView | None = None) -> EvidenceScreen:
        if ranked is None:
            ranked = next((r for r in self.state.ranked if r.service == service), None)
        screen = EvidenceScreen(self.evidence_target(service, ranked))
        self.push_screen(screen)
        return screen

    def open_metric(self, metric: str, service: str | None = None) -> MetricScreen | None:
        if self.source.store is None:
            self.notify("no telemetry: open the report with --bundle DIR to chart metrics", severity="warning")
            return None
        if self.metrics and metric not in self.metrics:
            self.notify(f"no metric named {metric!r} in this incident", severity="warning")
            return None
        inc = self.incident
        screen = MetricScreen(metric, service, self.time_range or inc.window, onset_of(inc, ()))
        self.push_screen(screen)
        return screen

    def run_command(self, text: str) -> None:
        """Run one command-line command; a bad one is a notification, never an exception."""
        try:
            cmd = parse_command(text)
            if cmd.name == "service":
                known = self.services or [r.service for r in self.state.ranked]
                if known and cmd.args[0] not in known:
                    raise CommandError(f"no service named {cmd.args[0]!r} in this incident")
                self.open_evidence(cmd.args[0])
            elif cmd.name == "metric":
                self.open_metric(cmd.args[0], cmd.args[1] if len(cmd.args) > 1 else None)
            elif cmd.name == "range":
                inc = self.incident
                if inc is None:
                    raise CommandError("no incident window yet")
                self.time_range = parse_range(cmd.args, inc.window, inc.started_at)
                self._tick()
                self.notify("drill-downs use " + (f"{clock(self.time_range.start)}–{clock(self.time_range.end)}"
                                                  if self.time_range else "the incident window"))
            elif cmd.name == "export":
                fmt = parse_format(cmd.args[0])
                self.export(fmt, Path(cmd.args[1]) if len(cmd.args) > 1 else None)
            elif cmd.name == "ask":
                self.ask(" ".join(cmd.args))
            elif cmd.name == "rerun":
                self.action_rerun()
            elif cmd.name == "help":
                self.action_help()
            elif cmd.name == "quit":
                self.exit()
        except (CommandError, AiopsError) as exc:
            self.notify(str(exc), severity="error")

    # -- follow-up questions ----------------------------------------------------------
    def ask(self, question: str) -> AnswerScreen | None:
        """Ask the model about the answered run, in a worker; the answer opens in a screen."""
        followup = self.state.followup
        if followup is None:
            self.notify("no answer yet: ask once the investigation has answered", severity="warning")
            return None
        if not followup.available:
            self.notify("follow-up questions need a model (LLM mode); use the drill-down commands", severity="warning")
            return None
        screen = AnswerScreen(question)
        self.push_screen(screen)

        def work() -> None:
            from aiops.agent.events import ToolResultEvent

            try:
                for event in followup.ask(question):
                    if isinstance(event, ToolResultEvent):
                        line = f"{event.step.tool}: {event.status}"
                        self.call_from_thread(screen.add_check, line)
                    elif hasattr(event, "text"):
                        self.call_from_thread(screen.set_answer, event.text)
            except Exception as exc:  # noqa: BLE001 - shown, never raised into the UI
                self.call_from_thread(screen.set_answer, f"the question failed: {one_line(exc)}")

        self.run_worker(work, thread=True, group="followup", exit_on_error=False)
        return screen

    # -- export -----------------------------------------------------------------------
    def export(self, fmt: str, path: Path | None = None) -> Path | None:
        d = self.state.diagnosis
        if d is None:
            self.notify("no answer yet: export once the investigation has answered", severity="warning")
            return None
        path = path or default_path(d, fmt, self.export_dir)
        try:
            written = export_report(d, fmt, path, self.settings.diagnose.max_root_causes)
        except (AiopsError, OSError) as exc:
            self.notify(f"export failed: {one_line(exc)}", severity="error", timeout=8)
            return None
        self.last_export = written
        self.notify(f"wrote {written}")
        return written

    # -- actions ----------------------------------------------------------------------
    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_rerun(self) -> None:
        self.start_run()

    def action_export(self, fmt: str = "json") -> None:
        d = self.state.diagnosis
        if d is None:
            self.notify("no answer yet: export once the investigation has answered", severity="warning")
            return

        def done(choice: tuple[str, Path] | None) -> None:
            if choice is not None:
                self.export(*choice)

        self.push_screen(ExportScreen(default_path(d, fmt, self.export_dir), fmt), done)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help: keys and commands", "show the help screen", self.action_help)
        if self.source.can_run:
            yield SystemCommand("Re-run the investigation", "start the investigation again", self.action_rerun)
        for fmt in FORMATS:
            yield SystemCommand(f"Export report as {fmt}", f"write the report as {fmt}",
                                lambda fmt=fmt: self.action_export(fmt))
        yield SystemCommand("Time range for drill-downs…", COMMANDS["range"][1],
                            lambda: self.main.action_command_line("range "))
        yield SystemCommand("Reset the time range", "drill into the whole incident window",
                            lambda: self.run_command("range reset"))
        for service in self.services or [r.service for r in self.state.ranked]:
            yield SystemCommand(f"Evidence: {service}", f"charts, logs, traces and changes of {service}",
                                lambda s=service: self.open_evidence(s), discover=False)
        for metric in self.metrics:
            yield SystemCommand(f"Metric: {metric}", f"chart every series of {metric}",
                                lambda m=metric: self.open_metric(m), discover=False)
