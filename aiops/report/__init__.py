"""Renderers: turn a Diagnosis into text, JSON (the spec document), Markdown or HTML.

    render(diagnosis, "html", max_causes=10) -> str
"""

from aiops.report.render import FORMATS, render

__all__ = ["FORMATS", "render"]
