"""`aiops eval`: accuracy, latency and cost of the diagnosis over a suite of bundles with a truth.toml."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional, Tuple

import typer


def _table(title: str, label: str, groups: dict, report) -> "object":  # noqa: ANN001
    from rich.table import Table

    from aiops.evaluation.runner import best_baseline

    # tokens and cost only when a model answered: offline, the table fits 80 columns
    paid = any(c.llm_calls for c in report.cases)
    table = Table(title=title)
    cols = (label, "cases", "top-1", "top-3", "top-5", "best trivial top-1/3", "s/case")
    for col in cols + (("tokens/case", "$/case") if paid else ()):
        table.add_column(col, justify="left" if col == label else "right")

    def row(name: str, cases: list, **style: str) -> None:
        s = report.stats(cases)
        b1, t1 = best_baseline(s, 1)
        b3, t3 = best_baseline(s, 3)
        trivial = f"{t1:.0%} / {t3:.0%}" if b1 else "-"
        cost = (f"{s['tokens_per_case']:.0f}", f"{s['cost_usd_per_case']:.4f}") if paid else ()
        table.add_row(name, str(s["cases"]), f"{s['top1']:.0%}", f"{s['top3']:.0%}", f"{s['top5']:.0%}", trivial,
                      f"{s['mean_seconds']:.2f}", *cost, **style)

    for name, cases in groups.items():
        row(name, cases)
    row("all", report.cases, style="bold")
    return table


def eval_command(
    corpus: Optional[List[Path]] = typer.Option(None, "--corpus", help="Directory of evaluation bundles (each with "
                                                "truth.toml); repeatable. Default: the feedback suite "
                                                "([evaluation] suite_dir)."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    min_top1: Optional[float] = typer.Option(None, "--min-top1", help="Exit 1 when top-1 accuracy is below this (0..1) "
                                             "or below the best trivial ranking of the same cases; with --compare, the "
                                             "second (candidate) version is gated."),
    compare: Optional[Tuple[str, str]] = typer.Option(None, "--compare", help="Run the suite with each of two prompt "
                                                      "versions forced (e.g. --compare v2 v3) and say which is better."),
    model: Optional[str] = typer.Option(None, "--model", help="Model for the LLM reasoner (sets models.planner)."),
    reasoner: Optional[str] = typer.Option(None, "--reasoner", help="auto, offline or llm."),
) -> None:
    """Score the diagnosis on every bundle with a truth.toml: top-1/3/5, seconds, tokens and cost, by fault kind,
    tag and prompt version."""
    from rich.console import Console

    from aiops.cli.global_options import load_cli_settings
    from aiops.evaluation.feedback import suite_dir
    from aiops.evaluation.runner import EvalReport, run_eval

    settings = load_cli_settings({"models.planner": model, "diagnose.reasoner": reasoner})
    corpora = list(corpus) if corpus else [suite_dir(settings)]
    if not corpus and not corpora[0].is_dir():
        from aiops.errors import BadInputError

        raise BadInputError(f"no evaluation suite yet at {corpora[0]}: give --corpus DIR, or turn wrong runs into "
                            "cases with `aiops feedback RUN --verdict wrong --root-cause SERVICE`")
    err = Console(stderr=True)
    if compare:
        _compare(corpora, settings, list(compare), as_json, min_top1)
        return
    if settings.diagnose.reasoner == "llm":      # a model is measured beside the offline reasoner
        _versus(corpora, settings, as_json, min_top1)
        return
    report = EvalReport()
    for case in run_eval(corpora, settings):
        report.cases.append(case)
        if not as_json:
            mark = "✔" if case.hit(1) else ("~" if case.hit(3) else "✘")
            err.print(f"{mark} {case.name}: truth {','.join(case.truth)} rank {case.rank or '-'} "
                      f"({case.seconds:.2f} s){' ' + case.error if case.error else ''}", markup=False)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    else:
        out = Console()
        out.print(_table(f"{len(report.cases)} cases by fault kind", "fault kind", report.groups("kind"), report))
        if any(c.tags for c in report.cases):
            out.print(_table("by tag", "tag", report.groups("tag"), report))
        out.print(_table("by prompt version", "prompts", report.groups("prompt"), report))
        out.print(_baseline_table(report))
    if min_top1 is not None:
        _gate(report, min_top1)


def _baseline_table(report) -> "object":  # noqa: ANN001
    """The agent beside every trivial ranking of the same cases (aiops.evaluation.baselines)."""
    from rich.table import Table

    s = report.stats()
    table = Table(title="the agent beside trivial rankings of the same data")
    for col in ("ranking", "top-1", "top-3", "top-5"):
        table.add_column(col, justify="left" if col == "ranking" else "right")
    table.add_row("aiops", f"{s['top1']:.0%}", f"{s['top3']:.0%}", f"{s['top5']:.0%}", style="bold")
    for name, b in s["baselines"].items():
        table.add_row(name.replace("_", " "), f"{b['top1']:.0%}", f"{b['top3']:.0%}", f"{b['top5']:.0%}")
    return table


def _gate(report, min_top1: float) -> None:  # noqa: ANN001
    """Exit 1 when top-1 is below --min-top1 or below the best trivial ranking's top-1."""
    from aiops.evaluation.runner import best_baseline

    top1 = report.accuracy(1)
    if top1 < min_top1:
        typer.echo(f"top-1 accuracy {top1:.2%} is below --min-top1 {min_top1:.2%}", err=True)
        raise typer.Exit(1)
    name, best = best_baseline(report.stats(), 1)
    if name and top1 < best:
        typer.echo(f"top-1 accuracy {top1:.2%} is below the trivial ranking {name.replace('_', ' ')} ({best:.2%})",
                   err=True)
        raise typer.Exit(1)


def _compare(corpora: list[Path], settings, versions: list[str], as_json: bool, min_top1: float | None) -> None:  # noqa: ANN001
    from rich.console import Console
    from rich.table import Table

    from aiops.evaluation.compare import compare_versions

    result = compare_versions(corpora, settings, versions)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2))
    else:
        table = Table(title=f"prompt versions over {len(result.reports[versions[0]].cases)} cases")
        for col in ("version", "top-1", "top-3", "top-5", "s/case", "tokens/case", "$/case", "errors", "right only here"):
            table.add_column(col, justify="left" if col == "version" else "right")
        for v in versions:
            s = result.reports[v].stats()
            table.add_row(v, f"{s['top1']:.0%}", f"{s['top3']:.0%}", f"{s['top5']:.0%}", f"{s['mean_seconds']:.2f}",
                          f"{s['tokens_per_case']:.0f}", f"{s['cost_usd_per_case']:.4f}", str(s["errors"]),
                          str(len(result.only_right[v])), style="bold" if v == result.better else "")
        out = Console()
        out.print(table)
        verdict = f"better: {result.better} ({result.reason})" if result.better else f"no winner: {result.reason}"
        out.print(verdict, markup=False)
    candidate = result.reports[versions[1]]
    if min_top1 is not None and candidate.accuracy(1) < min_top1:
        typer.echo(f"{versions[1]}: top-1 accuracy {candidate.accuracy(1):.2%} is below --min-top1 {min_top1:.2%}",
                   err=True)
        raise typer.Exit(1)


def _versus(corpora: list[Path], settings, as_json: bool, min_top1: float | None) -> None:  # noqa: ANN001
    """`--reasoner llm`: every case offline and with the model, side by side."""
    from rich.console import Console
    from rich.table import Table

    from aiops.evaluation.runner import EvalReport
    from aiops.evaluation.versus import run_versus, versus_dict

    if not settings.models.planner:
        from aiops.errors import BadInputError

        raise BadInputError("--reasoner llm needs a model: --model, or models.planner in the config")
    err = Console(stderr=True)
    pairs = []
    for pair in run_versus(corpora, settings):
        pairs.append(pair)
        if not as_json:
            o, m = pair.offline, pair.llm
            err.print(f"{pair.name}: truth {','.join(o.truth)} | offline rank {o.rank or '-'} ({o.seconds:.1f} s) | "
                      f"llm rank {m.rank or '-'} ({m.seconds:.1f} s, {m.llm_calls} calls, {m.tokens} tokens, "
                      f"${m.cost_usd:.4f}){' — offline took over' if pair.took_over else ''}"
                      f"{' ' + m.error if m.error else ''}", markup=False)
    doc = versus_dict(pairs)
    if as_json:
        typer.echo(json.dumps(doc, indent=2))
    else:
        cases = Table(title=f"{len(pairs)} cases: offline reasoner vs {settings.models.planner}")
        for col in ("case", "truth", "offline rank", "offline s", "llm rank", "llm s", "calls", "tokens", "$", "note"):
            cases.add_column(col, justify="left" if col in ("case", "truth", "note") else "right")
        for c in doc["cases"]:
            o, m = c["offline"], c["llm"]
            note = "offline took over" if "took over" in m["reasoner"] else (m["error"] or "")
            cases.add_row(c["name"], ",".join(c["truth"]), str(o["rank"] or "-"), f"{o['seconds']:.1f}",
                          str(m["rank"] or "-"), f"{m['seconds']:.1f}", str(m["llm_calls"]), str(m["tokens"]),
                          f"{m['cost_usd']:.4f}", note)
        totals = Table(title="accuracy, time and cost per case")
        for col in ("reasoner", "cases", "top-1", "top-3", "top-5", "s/case", "tokens/case", "$/case", "took over"):
            totals.add_column(col, justify="left" if col == "reasoner" else "right")
        for name, s in (("offline", doc["offline"]), (f"llm ({settings.models.planner})", doc["llm"])):
            totals.add_row(name, str(s["cases"]), f"{s['top1']:.0%}", f"{s['top3']:.0%}", f"{s['top5']:.0%}",
                           f"{s['mean_seconds']:.2f}", f"{s['tokens_per_case']:.0f}", f"{s['cost_usd_per_case']:.4f}",
                           str(doc["llm_took_over"]) if name != "offline" else "-")
        out = Console()
        out.print(cases)
        out.print(totals)
        out.print(_baseline_table(EvalReport([p.offline for p in pairs])))   # what both must beat
    llm = EvalReport([p.llm for p in pairs])
    if min_top1 is not None and llm.accuracy(1) < min_top1:
        typer.echo(f"llm: top-1 accuracy {llm.accuracy(1):.2%} is below --min-top1 {min_top1:.2%}", err=True)
        raise typer.Exit(1)
