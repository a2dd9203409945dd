"""`aiops runs similar RUN`: the past incidents the memory holds that look like RUN, with
what each was diagnosed as and the cause its verdict confirmed."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Optional

import typer

from aiops.errors import BadInputError


def similar_command(
    run: str = typer.Argument(..., help="Run id or a unique prefix of one (a run the incident memory holds)."),
    limit: int = typer.Option(10, "--limit", "-n", help="How many similar incidents, most similar first."),
    min_similarity: Optional[float] = typer.Option(None, "--min-similarity", help="0..1 (default memory.min_similarity)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Past incidents similar to RUN (services, symptoms, log templates, alert labels) and their confirmed causes."""
    from aiops.cli.global_options import load_cli_settings
    from aiops.memory.recall import overview
    from aiops.memory.store import IncidentMemory

    if limit <= 0:
        raise BadInputError(f"--limit {limit}: must be > 0")
    if min_similarity is not None and not 0 < min_similarity <= 1:
        raise BadInputError(f"--min-similarity {min_similarity}: must be in (0, 1]")
    settings = load_cli_settings()
    memory = IncidentMemory.from_settings(settings)
    if memory is None:
        raise BadInputError("the incident memory is off (memory.enabled = false)")
    pool = memory.incidents()
    target = memory.get(run) if run != "last" else (pool[-1] if pool else None)
    if target is None:
        raise BadInputError(f"run {run!r}: not in the incident memory {memory.path} (runs are remembered when "
                            "diagnosed with memory.enabled; see `aiops runs list`)")
    found = memory.similar(target.signature, min_similarity=min_similarity or settings.memory.min_similarity,
                           limit=limit, exclude=target.run_id, pool=pool)
    rows = [{"run_id": r.past.run_id, "similarity": round(r.similarity, 4), "at": r.past.ts, "title": r.past.title,
             "answer": [{"service": c.service, "fault": c.fault, "confidence": c.confidence} for c in r.past.causes[:1]],
             "verdict": r.past.verdict,
             "confirmed": ({"service": r.past.confirmed.service, "fault": r.past.confirmed.fault}
                           if r.past.confirmed else None)} for r in found]
    if as_json:
        typer.echo(json.dumps({"run_id": target.run_id, "title": target.title, "similar": rows,
                               "summary": overview(found)}, indent=2, ensure_ascii=False))
        return
    typer.echo(f"run {target.run_id}: {target.title}")
    if not rows:
        typer.echo("no similar past incident in the memory")
        return
    typer.echo(overview(found))
    for row, r in zip(rows, found):
        when = datetime.fromtimestamp(row["at"]).strftime("%Y-%m-%d %H:%M") if row["at"] else "-"
        answered = r.past.causes[0].text() if r.past.causes else "-"
        judged = (f"confirmed: {r.past.confirmed.text()}" if r.past.confirmed
                  else (f"verdict {r.past.verdict}" if r.past.verdict else "no verdict"))
        typer.echo(f"  {row['similarity']:.2f}  {row['run_id']}  {when}  {row['title'][:60]}\n"
                   f"        answered {answered}; {judged}")
