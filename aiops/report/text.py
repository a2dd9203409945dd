"""The rich terminal report: ranked root causes with evidence, a timeline, remediation."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.markup import escape
from rich.text import Text

from aiops.domain import Diagnosis
from aiops.safe_text import map_strings
from aiops.timeutil import to_rfc3339


def _short(text: str, limit: int = 110) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _confidence_style(c: float) -> str:
    return "bold red" if c >= 0.7 else "yellow" if c >= 0.4 else "dim"


def render_text(d: Diagnosis, console: Console, max_causes: int = 5) -> None:
    d = map_strings(d)                 # control characters from the data shown as escapes, never sent
    inc = d.incident
    head = Text()
    head.append(inc.title, style="bold")
    head.append(f"\nwindow {to_rfc3339(inc.window.start)} → {to_rfc3339(inc.window.end)}")
    if inc.alert:
        head.append("\nalert " + " ".join(f"{k}={v}" for k, v in inc.alert.items()))
    head.append(f"\nreasoner {d.reasoner} · run {d.run_id} · trace {d.trace_id or '-'} · {d.duration_s:.2f} s", style="dim")
    if d.prompt_versions:
        head.append("\nprompts " + ", ".join(f"{k} {v}" for k, v in sorted(d.prompt_versions.items())), style="dim")
    console.print(Panel(head, title="aiops diagnosis", border_style="cyan"))

    if not d.root_causes:
        console.print("[bold]No root cause found:[/] no service showed anomalous behaviour in the window.")
    else:
        table = Table(title="Ranked root causes", show_lines=False, expand=True)
        table.add_column("#", justify="right", width=3)
        table.add_column("service", style="bold", overflow="fold")
        table.add_column("fault", overflow="fold")
        table.add_column("conf.", justify="right", width=6)
        table.add_column("summary", overflow="fold", ratio=3)
        for rc in d.root_causes[:max_causes]:
            table.add_row(str(rc.rank), rc.service, rc.fault,
                          Text(f"{rc.confidence:.0%}", style=_confidence_style(rc.confidence)), _short(rc.summary))
        console.print(table)
        top = d.root_causes[0]
        lines = [Text.assemble(("● ", "cyan"), (f"[{e.kind}] ", "bold"), e.summary,
                               (f"  ({e.ref})" if e.ref else "", "dim")) for e in top.evidence]
        console.print(Panel(Group(*lines) if lines else Text("no evidence"),
                            title=f"Evidence for {top.service}", border_style="red"))

    if d.timeline:
        tl = Table(title="Timeline", expand=True, show_header=False)
        tl.add_column("at", style="dim", no_wrap=True)
        tl.add_column("service", style="bold")
        tl.add_column("what", overflow="fold", ratio=3)
        for t in d.timeline:
            tl.add_row(to_rfc3339(t.at), t.service, t.summary)
        console.print(tl)
    if d.remediation:
        console.print(Panel(Text("\n".join(f"{i}. {r}" for i, r in enumerate(d.remediation, 1))),
                            title="Remediation", border_style="green"))
    if d.runbooks:
        console.print("[bold]Runbooks:[/] " + escape("; ".join(f"{r.title} ({r.source})" for r in d.runbooks)))
    if d.missing_evidence:
        console.print("[bold yellow]Could not check:[/] " + escape("; ".join(d.missing_evidence)))
    for n in d.notes:
        console.print(f"[dim]note: {escape(n)}[/]")
