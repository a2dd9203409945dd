"""Exporting the report from the app: JSON (the spec document), Markdown or HTML, atomically."""

from __future__ import annotations

from pathlib import Path

from aiops.domain import Diagnosis
from aiops.errors import BadInputError

FORMATS = {"json": ".json", "markdown": ".md", "html": ".html"}
_ALIASES = {"json": "json", "md": "markdown", "markdown": "markdown", "html": "html", "htm": "html"}


def parse_format(text: str) -> str:
    fmt = _ALIASES.get(text.strip().lower())
    if fmt is None:
        raise BadInputError(f"export format {text!r} is not one of json, markdown, html")
    return fmt


def format_of_path(path: Path, default: str = "json") -> str:
    """The format a file name asks for by its suffix (.json, .md, .html), else `default`."""
    return _ALIASES.get(Path(path).suffix.lstrip(".").lower(), default)


def default_path(diagnosis: Diagnosis, fmt: str, directory: Path | None = None) -> Path:
    name = f"aiops-{diagnosis.run_id or 'report'}{FORMATS[fmt]}"
    return (directory or Path(".")) / name


def export_report(diagnosis: Diagnosis, fmt: str, path: Path, max_causes: int = 10) -> Path:
    """Write the report; BadInputError (one line) when the directory does not exist."""
    from aiops.report import render
    from aiops.report.files import write_atomic

    path = Path(path).expanduser()
    if path.is_dir():
        raise BadInputError(f"{path}: is a directory; give a file name")
    write_atomic(path, render(diagnosis, parse_format(fmt), max_causes))
    return path
