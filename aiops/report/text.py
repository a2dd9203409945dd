"""The terminal report: what was found and what it rests on, in a screen at 80 columns.

Its first line is the verdict: the most likely root cause, "healthy" (data read and quiet),
or "insufficient evidence" naming what could not be read. Then what the diagnosis rests on
(the sources and modalities read, for how many services, what could not be checked), the
incident, the suspects worth a look (confidence from SHOWN_FROM, the first with its
evidence) and one line for every other service, a short timeline, remediation, runbooks.
`verbose` shows everything: every candidate with all its evidence and references, the
whole timeline, every note.
"""

from __future__ import annotations

from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.markup import escape
from rich.text import Text

from aiops.domain import Coverage, Diagnosis, RootCause, TimelineEntry
from aiops.safe_text import map_strings
from aiops.timeutil import to_rfc3339

SHOWN_FROM = 0.05          # candidates below this confidence fold into one "other services" line
WEAK_BELOW = 0.3           # a top suspect below this confidence is called weak
TOP_EVIDENCE = 4           # evidence lines of the top suspect by default
TIMELINE = 6               # timeline entries by default
MISSING = 3                # "could not check" items by default


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def _pct(c: float) -> str:
    return f"{c:.0%}".replace("%", " %")


def _style(c: float) -> str:
    return "bold red" if c >= 0.7 else "yellow" if c >= WEAK_BELOW else "dim"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _clock(ts: float, window_start: float) -> str:
    """HH:MM:SSZ when the date is the window's (given in the header), else the full time."""
    full = to_rfc3339(ts)
    same_day = full[:10] == to_rfc3339(window_start)[:10]
    return full[11:19] + "Z" if same_day else full


def headline(d: Diagnosis) -> Text:
    """The report's first line: the verdict."""
    if d.verdict == "insufficient_evidence":
        why = "; ".join(d.verdict_reasons) or "no telemetry was read"
        return Text.assemble(("Insufficient evidence: ", "bold red"), why)
    if d.verdict == "healthy" or not d.root_causes:
        why = "; ".join(d.verdict_reasons) or "no service showed anomalous behaviour in the window"
        alerted = any(r.startswith("yet alert ") for r in d.verdict_reasons)
        return Text.assemble(("No anomaly found: " if alerted else "Healthy: ", "bold yellow" if alerted else "bold green"),
                             why)
    top = d.root_causes[0]
    weak = " — weak evidence" if top.confidence < WEAK_BELOW else ""
    return Text.assemble(("Most likely root cause: ", "bold"), (top.service, "bold"),
                         f" ({top.fault.replace('_', ' ')}), confidence ",
                         (_pct(top.confidence), _style(top.confidence)), weak)


def coverage_lines(cov: Coverage, missing: tuple[str, ...], verbose: bool, failed: bool = True) -> list[Text]:
    """What the diagnosis rests on: sources and modalities read, for which services; what not."""
    out = []
    ok = [s for s in cov.sources if s.status == "ok"]
    unread = [s for s in cov.sources if s.status != "ok"]
    read = list(cov.read)
    if read:
        n = len(cov.all_services)
        what = f"{_and(read)} for {n} service{'s' if n != 1 else ''}"
        where = ", ".join(s.name + (f" ({s.detail})" if verbose and s.detail else "") for s in ok)
        out.append(Text.assemble(("Read: ", "bold"), what + (f" from {where}" if where else "")))
    if unread and failed:
        out.append(Text.assemble(("Not read: ", "bold yellow"),
                                 "; ".join(f"{s.name} ({s.detail or s.status})" for s in unread)))
    named = {s.name for s in unread}
    rest = [m for m in missing if not any(m.startswith(n + ":") for n in named)]
    if rest:
        shown = rest if verbose else rest[:MISSING]
        more = f"; and {len(rest) - len(shown)} more (--verbose)" if len(shown) < len(rest) else ""
        out.append(Text.assemble(("Could not check: ", "bold yellow"), "; ".join(shown) + more))
    return out


def _incident(d: Diagnosis, console: Console, verbose: bool) -> None:
    inc = d.incident
    console.rule(Text(inc.title, style="bold"), style="cyan", align="left")
    start, end = to_rfc3339(inc.window.start), to_rfc3339(inc.window.end)
    span = f"{start} → {end[11:]}" if start[:10] == end[:10] else f"{start} → {end}"
    line = Text(f"window {span}")
    if inc.alert:
        line.append(" · alert " + " ".join(f"{k}={v}" for k, v in inc.alert.items()))
    console.print(line)
    meta = f"reasoner {d.reasoner} · run {d.run_id} · {d.duration_s:.2f} s"
    if verbose:
        meta += f" · trace {d.trace_id or '-'}"
        if d.prompt_versions:
            meta += " · prompts " + ", ".join(f"{k} {v}" for k, v in sorted(d.prompt_versions.items()))
    console.print(Text(meta, style="dim"))


def _cause_head(rc: RootCause, width: int) -> Text:
    head = Text(f"{rc.rank:>2}. ")
    head.append(rc.service, style="bold")
    head.append(f"  {rc.fault}")
    pct = _pct(rc.confidence)
    head.append(" " * max(1, width - len(head.plain) - len(pct)))
    head.append(pct, style=_style(rc.confidence))
    return head


def _indented(text: Text) -> Padding:
    return Padding(text, (0, 0, 0, 4), expand=False)


def _varied(evidence: list, n: int) -> list:
    """`n` of the evidence lines, one of each kind (metric, log, knowledge ...) first, in order."""
    kinds: dict[str, int] = {}
    for i, e in enumerate(evidence):
        kinds.setdefault(e.kind, i)
    chosen = sorted(kinds.values())[:n]
    chosen += [i for i in range(len(evidence)) if i not in chosen][: n - len(chosen)]
    return [evidence[i] for i in sorted(chosen)]


def _cause(rc: RootCause, console: Console, evidence: int | None, verbose: bool) -> None:
    width = console.width
    console.print(_cause_head(rc, width))
    body = width - 4
    summary = rc.summary.removeprefix(f"{rc.service}: ")        # the service heads the entry already
    console.print(_indented(Text(summary if verbose else _cut(summary, 2 * body))))
    if evidence == 0:
        return
    pool = [e for e in rc.evidence if verbose or e.summary not in summary]   # not the summary's again
    items = pool if evidence is None else _varied(pool, evidence)
    for e in items:
        line = Text.assemble(("• ", "cyan"), (f"{e.kind} ", "bold"))
        line.append(e.summary if verbose else _cut(e.summary, 2 * body - 2 - len(e.kind) - 1))
        if e.ref and (verbose or e.kind == "knowledge"):
            line.append(f"  ({e.ref})", style="dim")
        console.print(_indented(line))
    if len(items) < len(pool):
        console.print(_indented(Text(f"… {len(pool) - len(items)} more (--verbose)", style="dim")))


def _others(d: Diagnosis, shown: list[RootCause]) -> str:
    names = {rc.service for rc in shown}
    listed = [rc.service for rc in d.root_causes if rc.service not in names]
    rest = sorted(set(d.coverage.all_services) - names - set(listed))
    others = listed + rest
    if not others:
        return ""
    n = len(others)
    return (f"{n} other service{'s' if n != 1 else ''}: no anomaly above {_pct(SHOWN_FROM)} confidence"
            f" — {', '.join(others)}")


def _causes(d: Diagnosis, console: Console, max_causes: int, verbose: bool) -> None:
    if verbose:
        shown = list(d.root_causes[:max_causes])
    else:
        shown = [rc for rc in d.root_causes[:max_causes] if rc.confidence >= SHOWN_FROM] or list(d.root_causes[:1])
    console.print()
    console.print(Text("Suspects", style="bold underline"))
    for i, rc in enumerate(shown):
        _cause(rc, console, None if verbose else (TOP_EVIDENCE if i == 0 else 0), verbose)
    others = _others(d, shown)
    if others:
        console.print(Text(others if verbose else _cut(others, 2 * console.width), style="dim"))


def _timeline(d: Diagnosis, console: Console, verbose: bool) -> None:
    if not d.timeline:
        return
    console.print()
    console.print(Text("Timeline", style="bold underline"))
    groups: list[list[TimelineEntry]] = []
    for t in d.timeline:           # by default one line for a service's signals that start together
        if not verbose and groups and (groups[-1][0].service, groups[-1][0].at) == (t.service, t.at):
            groups[-1].append(t)
        else:
            groups.append([t])
    shown = groups if verbose else groups[:TIMELINE]
    for group in shown:
        t = group[0]
        line = Text.assemble((_clock(t.at, d.incident.window.start), "dim"), " ", (t.service, "bold"), " ")
        more = f" (+{len(group) - 1} more)" if len(group) > 1 else ""
        line.append(t.summary if verbose else _cut(t.summary, console.width - len(line.plain) - len(more)))
        line.append(more, style="dim")
        console.print(line)
    if len(shown) < len(groups):
        console.print(Text(f"… {len(groups) - len(shown)} more (--verbose)", style="dim"))


def render_text(d: Diagnosis, console: Console, max_causes: int = 5, verbose: bool = False) -> None:
    d = map_strings(d)                 # control characters from the data shown as escapes, never sent
    console.print(headline(d))
    if d.reasoner_note:
        console.print(Text.assemble(("Reasoner: ", "bold yellow"), d.reasoner_note))
    blind = d.verdict == "insufficient_evidence"      # the headline named the failed sources already
    for line in coverage_lines(d.coverage, d.missing_evidence, verbose, failed=not blind or verbose):
        console.print(line)
    _incident(d, console, verbose)
    if d.verdict == "root_cause" and d.root_causes:
        _causes(d, console, max_causes, verbose)
    elif verbose and d.root_causes:
        _causes(d, console, max_causes, verbose)
    _timeline(d, console, verbose)
    if d.remediation and d.verdict == "root_cause":
        console.print()
        console.print(Text("Remediation", style="bold underline"))
        steps = Table.grid(padding=(0, 1))
        steps.add_column(justify="right", no_wrap=True)
        steps.add_column()
        for i, r in enumerate(d.remediation, 1):
            steps.add_row(f"{i}.", Text(r))
        console.print(steps)
    if d.runbooks and (verbose or d.verdict == "root_cause"):
        console.print()
        console.print(Text("Runbooks", style="bold underline"))
        for r in d.runbooks:
            line = Text.assemble("• ", (r.source, "dim"), " — ")
            line.append(r.title if verbose else _cut(r.title, console.width - len(line.plain)))
            console.print(line)
    notes = [n for n in d.notes if n != d.reasoner_note and (verbose or not (
        n.startswith("reflection: ") or any(n in m for m in d.missing_evidence)))]
    if notes:
        console.print()
        for n in notes:
            console.print(Text(f"note: {n}", style="dim"))
