"""`aiops eval`: top-k accuracy of the diagnosis over bundles with a truth.toml."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer


def eval_command(
    corpus: Path = typer.Option(..., "--corpus", help="Directory holding evaluation bundles (each with truth.toml)."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    min_top1: Optional[float] = typer.Option(None, "--min-top1", help="Exit 1 when top-1 accuracy is below this (0..1)."),
) -> None:
    """Run the diagnosis on every bundle with a truth.toml; print top-1/3/5 accuracy by fault kind."""
    from rich.console import Console
    from rich.table import Table

    from aiops.cli import load_cli_settings
    from aiops.evaluation.runner import EvalReport, run_eval

    settings = load_cli_settings()
    report = EvalReport()
    err = Console(stderr=True)
    for case in run_eval(corpus, settings):
        report.cases.append(case)
        if not as_json:
            mark = "✔" if case.hit(1) else ("~" if case.hit(3) else "✘")
            err.print(f"{mark} {case.name}: truth {','.join(case.truth)} rank {case.rank or '-'} "
                      f"({case.seconds:.2f} s){' ' + case.error if case.error else ''}")
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    else:
        table = Table(title=f"{len(report.cases)} cases")
        for col in ("fault kind", "cases", "top-1", "top-3", "top-5", "s/case"):
            table.add_column(col, justify="left" if col == "fault kind" else "right")
        for kind, cases in report.by_kind().items():
            table.add_row(kind, str(len(cases)), f"{report.accuracy(1, kind):.0%}", f"{report.accuracy(3, kind):.0%}",
                          f"{report.accuracy(5, kind):.0%}", f"{sum(c.seconds for c in cases) / len(cases):.2f}")
        table.add_row("all", str(len(report.cases)), f"{report.accuracy(1):.0%}", f"{report.accuracy(3):.0%}",
                      f"{report.accuracy(5):.0%}",
                      f"{sum(c.seconds for c in report.cases) / max(len(report.cases), 1):.2f}", style="bold")
        Console().print(table)
    if min_top1 is not None and report.accuracy(1) < min_top1:
        typer.echo(f"top-1 accuracy {report.accuracy(1):.2%} is below --min-top1 {min_top1:.2%}", err=True)
        raise typer.Exit(1)
