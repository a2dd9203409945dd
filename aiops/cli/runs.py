"""`aiops runs list|show|diff` and `aiops feedback`: the run history and the operator's verdicts."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Optional

import typer

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)
RUN_HELP = "Run id, a unique prefix of one, or `last` (or `latest`)."


def _history():  # noqa: ANN202
    from aiops.cli.global_options import load_cli_settings
    from aiops.history import RunHistory

    settings = load_cli_settings()
    return settings, RunHistory.from_settings(settings)


def _warn(history) -> None:  # noqa: ANN001 - aiops.history.RunHistory
    for text in history.warnings:
        typer.echo(f"warning: {text}", err=True)


def _when(ts: float | None, seconds: bool = True) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M" + (":%S" if seconds else "")) if ts else "-"


def _prompts(versions: Any) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted((versions or {}).items())) or "-"


def _dump(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


@app.command("list")
def list_command(
    limit: int = typer.Option(20, "--limit", "-n", help="How many runs, newest first."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Recorded runs, newest first: status, reasoner, prompt versions, top cause, cost, verdict."""
    from rich.console import Console
    from rich.text import Text

    from aiops.cli.columns import fit_columns
    from aiops.safe_text import printable

    _, history = _history()
    runs = history.runs(limit=limit)
    _warn(history)
    if as_json:
        _dump(runs)
        return
    if not runs:
        typer.echo(f"no runs recorded yet (history: {history.path})")
        return
    console = Console()
    narrow = console.width < 120             # on a narrow terminal: drop the least asked-for columns
    cols = ["run", "started", "state", "incident", "reasoner", "prompts", "top cause", "s", "tokens", "verdict"]
    if narrow:
        cols = [c for c in cols if c not in ("reasoner", "prompts", "tokens")]
    if not any((r["feedback"] or {}).get("verdict") for r in runs):
        cols.remove("verdict")
    rows = []
    for r in runs:
        verdict = (r["feedback"] or {}).get("verdict", "")
        top = f"{r['top_service']} {r['top_confidence']:.0%}" if r.get("top_service") and r["top_confidence"] else "-"
        started = _when(r["started_at"], seconds=False)
        cells = {"run": r["run_id"], "started": started[5:] if narrow else started, "state": r["state"],
                 "incident": r["incident_title"], "reasoner": r["reasoner"], "prompts": _prompts(r["prompt_versions"]),
                 "top cause": top, "s": f"{r['duration_s']:.1f}",
                 "tokens": str((r["prompt_tokens"] or 0) + (r["completion_tokens"] or 0)), "verdict": verdict}
        rows.append([printable(str(cells[c]), keep_lines=False) for c in cols])   # data, escaped
    # one line a run: the incident and the top cause are cut to fit, never wrapped
    head, *lines = fit_columns(cols, rows, console.width, {"incident": 3, "top cause": 2, "prompts": 1})
    console.print(Text(f"{len(runs)} runs, newest first (history: {history.path})", style="dim"), overflow="ellipsis",
                  no_wrap=True)
    console.print(Text(head, style="bold"), no_wrap=True)
    for line in lines:
        console.print(Text(line), no_wrap=True)


@app.command("show")
def show_command(
    run: str = typer.Argument(..., help=RUN_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the whole record as JSON."),
) -> None:
    """One run: incident, setup, plan step by step, evidence, answer, usage, trace id, verdict."""
    _, history = _history()
    r = history.get(run)
    _warn(history)
    if as_json:
        _dump(r)
        return
    from aiops.safe_text import map_strings

    r = map_strings(r)                 # titles, summaries, errors from the data: control characters escaped
    out = [f"run {r['run_id']}  ({r['state']}{': ' + r['error'] if r.get('error') else ''})",
           f"incident   {r['incident_title']}",
           f"bundle     {r['bundle'] or '-'}",
           f"started    {_when(r['started_at'])}   duration {r['duration_s']:.2f} s",
           f"reasoner   {r['reasoner']}   prompts {_prompts(r['prompt_versions'])}",
           f"trace      {r['trace_id'] or '-'}",
           f"usage      {r['llm_calls']} model calls, {r['prompt_tokens']} + {r['completion_tokens']} tokens, "
           f"${r['cost_usd']:.4f}"]
    plan = r.get("plan") if isinstance(r.get("plan"), dict) else {}
    for rnd in (plan or {}).get("rounds", []):
        out.append(f"\nround {rnd['round']}: {'; '.join(rnd.get('hypotheses') or []) or '-'}")
        for s in (plan or {}).get("steps", []):
            if s.get("round") == rnd["round"]:
                args = json.dumps(s.get("args") or {}, sort_keys=True)
                out.append(f"  {s.get('status', '?'):8} {s['tool']} {args if args != '{}' else ''}".rstrip())
                if s.get("summary"):
                    out.append(f"           {s['summary'].splitlines()[0][:160]}")
        if rnd.get("decision"):
            out.append(f"  -> {rnd['decision']}: {rnd.get('summary', '')}")
    evidence = r.get("evidence") if isinstance(r.get("evidence"), list) else []
    if evidence:
        out.append("\nstrongest evidence:")
        out += [f"  {f['score']:.2f} [{f['kind']}] {f['service']}: {f['summary'][:140]}" for f in evidence[:8]]
    answer = r.get("answer") if isinstance(r.get("answer"), dict) else {}
    if answer:
        out.append("\nanswer:")
        out += [f"  {c['rank']}. {c['service']} {c['fault']} {c['confidence']:.0%}" for c in answer.get("root_causes", [])[:5]]
    for f in r.get("feedback_history") or []:
        out.append(f"\nverdict {f['verdict']} ({_when(f['ts'])})" + (f": true cause {f['root_cause']}" if f["root_cause"] else "")
                   + (f" — {f['note']}" if f["note"] else "") + (f"\n  eval case: {f['case_dir']}" if f["case_dir"] else ""))
    typer.echo("\n".join(out))


@app.command("diff")
def diff_command(
    run_a: str = typer.Argument(..., help=RUN_HELP),
    run_b: str = typer.Argument(..., help=RUN_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """What changed between two runs: setup, ranking, tool calls, evidence, usage."""
    from aiops.history import diff_runs

    _, history = _history()
    d = diff_runs(history.get(run_a), history.get(run_b))
    if as_json:
        _dump(d)
        return
    out = [f"a = {d['a']}   b = {d['b']}",
           f"top cause: {d['top'][0]} -> {d['top'][1]}" + ("  (same)" if d["same_top"] else "  (CHANGED)")]
    for k, (va, vb) in d["setup"].items():
        out.append(f"{k}: {_fmt(va)} -> {_fmt(vb)}")
    if d["ranking"]:
        out.append("\nranking:")
        for m in d["ranking"]:
            out.append(f"  {m['service']}: {_cause(m['a'])} -> {_cause(m['b'])}")
    for key, title in (("calls_only_in_a", "tool calls only in a"), ("calls_only_in_b", "tool calls only in b")):
        if d[key]:
            out.append(f"\n{title}:")
            out += [f"  {c['status'] or '?':8} {c['tool']} {json.dumps(c['args'], sort_keys=True)}" for c in d[key]]
    if d["calls_status_changed"]:
        out.append("\nsame call, different outcome:")
        out += [f"  {c['tool']} {json.dumps(c['args'], sort_keys=True)}: {c['a']} -> {c['b']}" for c in d["calls_status_changed"]]
    for key, title in (("findings_only_in_a", "evidence only in a"), ("findings_only_in_b", "evidence only in b")):
        if d[key]:
            out.append(f"\n{title}:")
            out += [f"  {f['score']:.2f} [{f['kind']}] {f['service']}: {f['summary'][:120]}" for f in d[key][:10]]
    out.append("\nusage:")
    for k, (va, vb) in d["usage"].items():
        out.append(f"  {k}: {va:g} -> {vb:g}")
    if any(d["verdicts"]):
        out.append(f"verdicts: {d['verdicts'][0] or '-'} -> {d['verdicts'][1] or '-'}")
    typer.echo("\n".join(out))


def _fmt(value: Any) -> str:
    return _prompts(value) if isinstance(value, dict) else str(value or "-")


def _cause(c: dict | None) -> str:
    return f"#{c['rank']} {c['fault']} {c['confidence']:.0%}" if c else "not listed"


def feedback_command(
    run: str = typer.Argument(..., help=RUN_HELP),
    verdict: str = typer.Option(..., "--verdict", help="correct or wrong."),
    root_cause: Optional[str] = typer.Option(None, "--root-cause", help="The true root-cause service. With --verdict "
                                             "wrong, the run's bundle becomes an evaluation case."),
    kind: Optional[str] = typer.Option(None, "--kind", help="The true fault kind (optional, free vocabulary)."),
    note: str = typer.Option("", "--note", help="Free text kept with the verdict."),
    add_case: bool = typer.Option(False, "--add-case", help="With --verdict correct: keep the run as a regression case too."),
) -> None:
    """Judge a run. A wrong verdict with the true cause turns its bundle into an evaluation case."""
    from aiops.evaluation.feedback import give_feedback

    settings, history = _history()
    outcome = give_feedback(history, settings, run, verdict, root_cause or "", kind or "", note, add_case)
    typer.echo(f"feedback recorded: run {outcome.run_id} is {outcome.verdict}")
    if outcome.case_dir is not None:
        typer.echo(f"new evaluation case: {outcome.case_dir} (run `aiops eval` to score it)")
    if outcome.warning:
        typer.echo(f"note: {outcome.warning}", err=True)


def _register_similar() -> None:
    from aiops.cli.runs_similar import similar_command

    app.command("similar")(similar_command)


_register_similar()
