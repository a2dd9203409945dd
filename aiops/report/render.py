"""One entry for every diagnosis report: `render(diagnosis, fmt)`, used by `aiops diagnose`
and the TUI's export. A new format is a module here and a branch below."""

from __future__ import annotations

from aiops.domain import Diagnosis
from aiops.errors import BadInputError

FORMATS = ("text", "json", "markdown", "html")
TEXT_WIDTH = 120          # the text report's width when it goes to a file


def render(diagnosis: Diagnosis, fmt: str, max_causes: int = 5, *, width: int = TEXT_WIDTH,
           color: bool = False, verbose: bool = False) -> str:
    """The report as one string ending in a newline. `width`, `color` (ANSI styles) and
    `verbose` (every candidate, all evidence, every note) apply to the text report only."""
    if fmt == "json":
        from aiops.report.json_report import render_json

        return render_json(diagnosis) + "\n"
    if fmt == "markdown":
        from aiops.report.markdown import render_markdown

        return render_markdown(diagnosis, max_causes) + "\n"
    if fmt == "html":
        from aiops.report.html import render_html

        return render_html(diagnosis, max_causes)
    if fmt == "text":
        return _text(diagnosis, max_causes, width, color, verbose)
    raise BadInputError(f"report format {fmt!r} is not one of {', '.join(FORMATS)}")


def _text(diagnosis: Diagnosis, max_causes: int, width: int, color: bool, verbose: bool) -> str:
    import io

    from rich.console import Console

    from aiops.report.text import render_text

    console = Console(record=True, width=width, file=io.StringIO(), force_terminal=color,
                      color_system="auto" if color else None)
    render_text(diagnosis, console, max_causes, verbose)
    text = console.export_text(styles=color)
    return text if color else "\n".join(line.rstrip() for line in text.split("\n"))   # no padding to the width
