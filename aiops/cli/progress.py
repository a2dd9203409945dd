"""Live progress on stderr while the diagnosis loop runs (quiet for machine formats)."""

from __future__ import annotations

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.tree import Tree

from aiops.agent.events import Answer, FindingMade, PlanMade, Reflection, StepStarted, ToolResultEvent
from aiops.safe_text import printable


def _safe(text: str) -> str:
    """Data shown in a markup string: control characters escaped, markup brackets literal."""
    return escape(printable(str(text), keep_lines=False))

_ICON = {"ok": "[green]✔[/]", "no_data": "[dim]–[/]", "error": "[red]✘[/]", "denied": "[red]⊘[/]"}


class ProgressView:
    """A rich live tree: plan steps with their state, findings count, reflections."""

    def __init__(self, console: Console, enabled: bool) -> None:
        self.console = console
        self.enabled = enabled
        self.tree = Tree("[bold cyan]investigating[/]")
        self.nodes: dict[str, object] = {}
        self.findings = 0
        self.live = Live(self.tree, console=console, transient=True, refresh_per_second=8) if enabled else None

    def __enter__(self) -> "ProgressView":
        if self.live:
            self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live:
            self.live.__exit__(*exc)

    def update(self, event: object) -> None:
        if not self.enabled:
            return
        if isinstance(event, PlanMade):
            plan = self.tree.add(f"plan (round {event.round}): " + _safe(", ".join(event.hypotheses or ())))
            for step in event.steps:
                self.nodes[step.id] = plan.add(f"[dim]… {_safe(step.tool)}[/]")
        elif isinstance(event, StepStarted):
            node = self.nodes.get(event.step.id)
            if node is not None:
                node.label = f"[yellow]▶[/] {_safe(event.step.tool)}"
        elif isinstance(event, ToolResultEvent):
            node = self.nodes.get(event.step.id)
            if node is not None:
                node.label = f"{_ICON.get(event.status, '?')} {_safe(event.step.tool)}: {_safe(event.summary)}"
        elif isinstance(event, FindingMade):
            self.findings += 1
            self.tree.label = f"[bold cyan]investigating[/] · {self.findings} findings"
        elif isinstance(event, Reflection):
            self.tree.add(f"[magenta]reflection:[/] {_safe(event.summary)}")
        elif isinstance(event, Answer):
            self.tree.label = "[bold green]done[/]"
