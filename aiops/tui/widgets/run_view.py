"""The live view of a run: plan tree, step log, ranked hypotheses and the selected one's summary.

Each widget has a `show(state)` that brings it up to date with a `RunState`; they keep
what the operator did (cursor, scroll) across updates.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable, RichLog, Static, Tree
from textual.widgets.tree import TreeNode

from aiops.timeutil import to_rfc3339
from aiops.tui.run_state import RankedView, RunState, StepView
from aiops.tui.widgets.styles import theme_styles

ICONS = {"planned": "·", "running": "▶", "ok": "✔", "no_data": "–", "error": "✘", "denied": "⊘"}


class PlanTree(Tree[str]):
    """Rounds with their steps; a step's icon and colour follow its state."""

    def __init__(self, **kwargs) -> None:  # noqa: ANN003
        super().__init__("plan", **kwargs)
        self.show_root = False
        self.guide_depth = 2
        self._rounds: dict[int, TreeNode[str]] = {}
        self._steps: dict[str, TreeNode[str]] = {}
        self._notes: dict[int, int] = {}

    def reset_plan(self) -> None:
        self.clear()
        self._rounds.clear()
        self._steps.clear()
        self._notes.clear()

    def show(self, state: RunState) -> None:
        styles = theme_styles(self.app)
        for number in sorted(state.rounds):
            rnd = state.rounds[number]
            node = self._rounds.get(number)
            steps = state.steps_of(number)
            done = sum(s.finished for s in steps)
            label = Text(f"round {number}", style="bold")
            label.append(f"  {done}/{len(steps)} steps", style=styles.muted)
            if rnd.playbooks:
                label.append(f"  playbooks: {', '.join(rnd.playbooks)}", style=styles.accent)
            if rnd.reflection is not None:
                label.append(f"  → {rnd.reflection.decision}", style=styles.primary)
            if node is None:
                node = self._rounds[number] = self.root.add(label, data=f"round:{number}", expand=True)
                for h in rnd.hypotheses:
                    node.add_leaf(Text(f"testing: {h}", style=styles.muted), data=f"round:{number}")
            else:
                node.set_label(label)
            for step in steps:
                leaf = self._steps.get(step.step.id)
                text = self._step_label(step)
                if leaf is None:
                    self._steps[step.step.id] = node.add_leaf(text, data=step.step.id)
                else:
                    leaf.set_label(text)
            if rnd.reflection is not None and self._notes.get(number) is None:
                node.add_leaf(Text(f"reflection: {rnd.reflection.summary}", style=styles.primary), data=f"round:{number}")
                self._notes[number] = 1

    def _step_label(self, step: StepView) -> Text:
        styles = theme_styles(self.app)
        text = Text(ICONS.get(step.state, "?") + " ", style=styles.status(step.state))
        text.append(step.step.tool, style="bold" if step.state == "running" else "")
        if step.step.specialist and step.step.specialist != step.step.tool:
            text.append(f" [{step.step.specialist}]", style=styles.muted)
        if step.finished:
            text.append(f" {step.duration_s:.1f}s", style=styles.muted)
        if step.findings:
            text.append(f" · {step.findings} findings", style=styles.accent)
        if step.summary:
            text.append(f" — {step.summary}", style=styles.muted)
        elif step.step.reason:
            text.append(f" — {step.step.reason}", style=styles.muted)
        return text


class StepLog(RichLog):
    """Everything the run did, in arrival order; writes only the entries not shown yet."""

    def __init__(self, **kwargs) -> None:  # noqa: ANN003
        super().__init__(wrap=True, markup=False, highlight=False, max_lines=5000, min_width=20, **kwargs)
        self._shown = 0

    def reset_log(self) -> None:
        self.clear()
        self._shown = 0

    def show(self, state: RunState) -> None:
        styles = theme_styles(self.app)
        lines = []
        for entry in state.log[self._shown:]:
            style = {"result": styles.status(entry.status), "finding": styles.muted, "reflection": styles.primary,
                     "answer": f"bold {styles.ok}", "error": f"bold {styles.error}", "plan": styles.accent}.get(entry.kind, "")
            text = Text(entry.text, style=style)
            if entry.detail:
                text.append(f"  [{entry.detail}]", style=styles.muted)
            lines.append(text)
        if lines:
            self.write(Text("\n").join(lines))      # one write per redraw: a burst of findings is cheap
        self._shown = len(state.log)


def confidence_bar(confidence: float, style: str, muted: str, width: int = 5) -> Text:
    filled = int(round(max(0.0, min(1.0, confidence)) * width))
    bar = Text("━" * filled, style=style)
    bar.append("─" * (width - filled), style=muted)
    bar.append(f" {confidence:4.0%}", style=style)
    return bar


class HypothesisTable(DataTable):
    """Ranked hypotheses; Enter opens the evidence of the highlighted one."""

    def __init__(self, **kwargs) -> None:  # noqa: ANN003
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self.ranked: list[RankedView] = []

    def on_mount(self) -> None:
        self.add_column("#", key="rank", width=2)
        self.add_column("service", key="service")
        self.add_column("confidence", key="confidence", width=10)
        self.add_column("fault", key="fault")

    @property
    def selected(self) -> RankedView | None:
        if not self.ranked or self.cursor_row < 0 or self.cursor_row >= len(self.ranked):
            return None
        return self.ranked[self.cursor_row]

    def show(self, ranked: list[RankedView]) -> None:
        keep = self.selected.service if self.selected else None
        self.ranked = list(ranked)
        self.clear()
        styles = theme_styles(self.app)
        for r in ranked:
            style = styles.error if r.confidence >= 0.5 else styles.warn if r.confidence >= 0.2 else styles.muted
            fault = r.fault.replace("_", " ") + ("" if r.status == "open" else f" ({r.status})")
            self.add_row(str(r.rank), r.service, confidence_bar(r.confidence, style, styles.muted), fault,
                         key=r.service)
        services = [r.service for r in ranked]
        if keep in services:
            self.move_cursor(row=services.index(keep), animate=False)


class HypothesisDetail(Static):
    """The highlighted hypothesis in a few lines: summary, recorded evidence, what to do."""

    def show(self, ranked: RankedView | None, state: RunState) -> None:
        styles = theme_styles(self.app)
        if ranked is None:
            self.update(Text("No hypothesis yet: the ranking appears after the first reflection.", style=styles.muted))
            return
        text = Text()
        text.append(f"#{ranked.rank} {ranked.service}", style=f"bold {styles.primary}")
        if ranked.component:
            text.append(f" ({ranked.component})", style=styles.muted)
        text.append(f" · {ranked.fault.replace('_', ' ')} · {ranked.confidence:.0%}\n")
        if ranked.summary:
            text.append(ranked.summary + "\n")
        findings = state.findings_for(ranked.service)
        lines = [(e.kind, e.summary, e.at) for e in ranked.evidence] or [(f.kind, f.summary, f.onset) for f in findings[:6]]
        for kind, summary, at in lines:
            text.append("● ", style=styles.accent)
            text.append(f"[{kind}] ", style="bold")
            text.append(summary)
            if at is not None:
                text.append(f"  @{to_rfc3339(at)[11:19]}", style=styles.muted)
            text.append("\n")
        if state.diagnosis and state.diagnosis.root_causes and state.diagnosis.root_causes[0].service == ranked.service:
            for r in state.diagnosis.remediation:
                text.append("→ ", style=styles.ok)
                text.append(r + "\n")
        text.append("enter: evidence (charts, logs, traces, changes, runbooks)", style=styles.muted)
        self.update(text)
