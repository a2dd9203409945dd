"""Runbooks a diagnosis cites, read from their source for rendering as Markdown."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aiops.domain import RunbookRef
from aiops.resources import content_dir

MAX_BYTES = 256 * 1024


@dataclass(frozen=True)
class RunbookView:
    ref: RunbookRef
    path: Path | None
    markdown: str


def resolve_source(source: str) -> Path | None:
    """A runbook's file: the path as given (absolute or from the working directory), else
    the shipped knowledge directory (`knowledge/x.md` -> <content>/knowledge/x.md)."""
    raw = Path(source).expanduser()
    knowledge = content_dir("knowledge")
    rel = Path(*raw.parts[1:]) if raw.parts[:1] == ("knowledge",) else raw
    for candidate in (raw, knowledge / rel):
        if candidate.is_file():
            return candidate
    return None


def load_runbook(ref: RunbookRef) -> RunbookView:
    path = resolve_source(ref.source)
    if path is None:
        return RunbookView(ref, None, f"# {ref.title}\n\n*Source `{ref.source}` is not on this machine.*\n")
    data = path.read_bytes()[:MAX_BYTES]
    text = data.decode("utf-8", errors="replace")
    if path.suffix.lower() not in (".md", ".markdown"):
        text = f"# {ref.title}\n\n```\n{text}\n```\n"
    return RunbookView(ref, path, strip_front_matter(text))


def strip_front_matter(text: str) -> str:
    """Drop a leading YAML front-matter block (`---` ... `---`), which is metadata, not prose."""
    if not text.startswith("---\n"):
        return text
    end = text.find("\n---\n", 4)
    return text if end < 0 else text[end + 5:].lstrip("\n")
