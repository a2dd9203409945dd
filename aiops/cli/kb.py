"""`aiops kb add|sync|watch|search|stats|remove`: the knowledge base of runbooks.

The shipped runbooks (knowledge/) are synced into the store automatically unless
kb.include_builtin is false. Progress goes to stderr; `--format json` output to stdout.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, List, Optional

import typer

from aiops.errors import BadInputError

app = typer.Typer(no_args_is_help=True)

_FORMATS = ("text", "json")
_DB_HELP = "Knowledge-base file to use instead of kb.path (default <data_dir>/kb.duckdb)."


def _check_format(fmt: str) -> None:
    if fmt not in _FORMATS:
        raise BadInputError(f"--format {fmt!r}: use one of {', '.join(_FORMATS)}")


def _progress(message: str) -> None:
    typer.echo(message, err=True)


def gateway_embedder(settings: Any) -> Any:
    """The litellm embedder wired to the model gateway (kb.embed_model = a [models] alias)."""
    from aiops.agent.session import gateway_embedder as wired
    from aiops.gateway import Gateway

    return wired(settings, Gateway.from_settings(settings))


def _embedder(settings: Any) -> Any:
    from aiops.kb import embedder_from_settings

    return gateway_embedder(settings) if settings.kb.embedder == "litellm" else embedder_from_settings(settings)


def _open(db: Optional[Path], quiet: bool = False) -> Any:
    """The store for writing: held only while this command applies its change, then the
    snapshot that searches read is published."""
    from aiops.cli.global_options import load_cli_settings
    from aiops.kb import open_knowledge_base

    settings = load_cli_settings()
    return open_knowledge_base(settings, db=db, embedder=_embedder(settings), progress=None if quiet else _progress)


def _open_reading(db: Optional[Path]) -> Any:
    """The published snapshot, read-only: never blocked by `kb watch` or another writer."""
    from aiops.cli.global_options import load_cli_settings
    from aiops.kb.builtin import open_reading_kb

    settings = load_cli_settings()
    return open_reading_kb(settings, db=db, embedder=_embedder(settings))


def _finish(report: Any) -> None:
    typer.echo(report.summary(), err=True)
    if report.errors:
        first_file, first_reason = report.errors[0]
        more = f" (and {len(report.errors) - 1} more)" if len(report.errors) > 1 else ""
        raise BadInputError(f"{first_file}: {first_reason}{more}")


@app.command("add")
def add_command(
    paths: List[Path] = typer.Argument(..., help="Markdown, text or HTML files, or directories (recursive)."),
    db: Optional[Path] = typer.Option(None, "--db", help=_DB_HELP),
) -> None:
    """Add or refresh documents (chunked by heading, embedded, indexed)."""
    with _open(db) as kb:
        _finish(kb.add(paths))


@app.command("sync")
def sync_command(
    directory: Path = typer.Argument(..., help="Directory whose files the knowledge base should mirror."),
    db: Optional[Path] = typer.Option(None, "--db", help=_DB_HELP),
) -> None:
    """Mirror a directory: add new files, re-embed only changed chunks, drop deleted files."""
    if not directory.is_dir():
        raise BadInputError(f"{directory}: not a directory")
    with _open(db) as kb:
        _finish(kb.sync(directory))


@app.command("watch")
def watch_command(
    directory: Path = typer.Argument(..., help="Directory to keep in sync."),
    interval: Optional[float] = typer.Option(None, "--interval", help="Seconds between polls (default kb.watch_interval_s)."),
    iterations: Optional[int] = typer.Option(None, "--iterations", help="Stop after this many polls (default: until Ctrl-C)."),
    db: Optional[Path] = typer.Option(None, "--db", help=_DB_HELP),
) -> None:
    """Sync a directory now and again whenever its files change (polling; Ctrl-C stops)."""
    from aiops.cli.global_options import load_cli_settings
    from aiops.kb import watch_directory
    from aiops.kb.snapshot import DirectoryWatch

    if not directory.is_dir():
        raise BadInputError(f"{directory}: not a directory")
    if interval is not None and interval <= 0:
        raise BadInputError(f"--interval {interval!r}: must be > 0")
    if iterations is not None and iterations <= 0:
        raise BadInputError(f"--iterations {iterations!r}: must be > 0")
    every = interval or load_cli_settings().kb.watch_interval_s

    def on_report(report: Any) -> None:
        if report.changed or report.errors:
            typer.echo(report.summary(), err=True)
        for file, reason in report.errors:
            typer.echo(f"skipped {file}: {reason}", err=True)

    def apply() -> Any:      # the write lock is held only while a batch is applied
        with _open(db, quiet=True) as kb:
            return kb.sync(directory)

    typer.echo(f"watching {directory} every {every:g}s (Ctrl-C to stop)", err=True)
    try:
        watch_directory(DirectoryWatch(directory, apply), every, iterations, on_report)
    except KeyboardInterrupt:
        typer.echo("stopped", err=True)


@app.command("search")
def search_command(
    query: str = typer.Argument(..., help="What you are looking for, in your own words."),
    k: int = typer.Option(5, "--k", "-k", help="How many results."),
    tag: Optional[List[str]] = typer.Option(None, "--tag", help="Only documents with this tag (repeatable: all must match)."),
    service: Optional[str] = typer.Option(None, "--service", help="Only documents for this service or for any service."),
    mode: str = typer.Option("hybrid", "--mode", help="hybrid (default), keyword (BM25 only) or vector."),
    all_sections: bool = typer.Option(False, "--all-sections", help="Allow several sections of one document."),
    fmt: str = typer.Option("text", "--format", "-f", help="text or json"),
    db: Optional[Path] = typer.Option(None, "--db", help=_DB_HELP),
) -> None:
    """Search runbooks and documents: keywords and meaning, fused."""
    from aiops.kb.knowledge_base import SEARCH_MODES

    _check_format(fmt)
    if k <= 0:
        raise BadInputError(f"--k {k!r}: must be > 0")
    if mode not in SEARCH_MODES:
        raise BadInputError(f"--mode {mode!r}: use one of {', '.join(SEARCH_MODES)}")
    with _open_reading(db) as kb:
        hits = kb.search(query, k=k, tags=tag, service=service, per_source=None if all_sections else 1, mode=mode)
    if fmt == "json":
        typer.echo(json.dumps({"query": query, "hits": [h.to_dict() for h in hits]}, indent=2))
        return
    if not hits:
        typer.echo("no matching documents")
        return
    from aiops.safe_text import printable as p

    for rank, hit in enumerate(hits, start=1):
        where = p(f"{hit.source}" + (f"  [{hit.section}]" if hit.section else ""), keep_lines=False)
        typer.echo(f"{rank}. {hit.score:.3f}  {p(hit.title, keep_lines=False)}\n   {where}")
        snippet = p(" ".join(hit.text.split()), keep_lines=False)
        typer.echo(f"   {snippet[:200]}{'...' if len(snippet) > 200 else ''}")


@app.command("stats")
def stats_command(
    fmt: str = typer.Option("text", "--format", "-f", help="text or json"),
    db: Optional[Path] = typer.Option(None, "--db", help=_DB_HELP),
) -> None:
    """Documents, chunks, embedder and size of the knowledge base."""
    _check_format(fmt)
    with _open_reading(db) as kb:
        stats = kb.stats()
    if fmt == "json":
        typer.echo(json.dumps(stats, indent=2))
        return
    origin = ", ".join(f"{n} {name}" for name, n in stats["by_origin"].items()) or "none"
    typer.echo(f"path:      {stats['path']} ({stats['size_bytes'] / 1e6:.1f} MB)")
    typer.echo(f"documents: {stats['documents']} ({origin})")
    typer.echo(f"chunks:    {stats['chunks']}  postings: {stats['postings']}")
    typer.echo(f"embedder:  {stats['embedder']} (dim {stats['dim']})")


@app.command("remove")
def remove_command(
    targets: List[str] = typer.Argument(..., help="Document sources, file paths, or directories (everything under them)."),
    db: Optional[Path] = typer.Option(None, "--db", help=_DB_HELP),
) -> None:
    """Remove documents from the knowledge base (the files themselves are untouched)."""
    from aiops.kb import BUILTIN_PREFIX

    with _open(db, quiet=True) as kb:
        if kb_builtin_only := [t for t in targets if t.startswith(BUILTIN_PREFIX)]:
            raise BadInputError(f"{kb_builtin_only[0]}: shipped runbooks are kept in sync automatically; set kb.include_builtin = false to leave them out")
        removed = kb.remove(targets)
    for source in removed:
        typer.echo(f"removed {source}", err=True)
    typer.echo(f"{len(removed)} documents removed", err=True)
