"""Reading knowledge files into titled, tagged chunks split by headings.

Markdown (`.md`, `.markdown`), plain text (`.txt`, `.text`) and HTML (`.html`, `.htm`,
converted to Markdown first). An optional YAML front-matter block (between `---` lines at
the top) gives `title`, `tags`, `faults` (fault kinds the document addresses) and
`services` (services it is specific to; none = applies to every service).

Markdown and HTML are split at every heading (ATX `#` or setext underlines, never inside
code fences); the section is the heading path below the title ("Checks > PromQL"). Plain
text is split into paragraph groups. Long sections are cut at paragraph breaks.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from aiops.errors import BadInputError
from aiops.kb.html_markdown import html_to_markdown
from aiops.yamlfile import load_yaml

FORMATS: dict[str, str] = {
    ".md": "markdown", ".markdown": "markdown",
    ".txt": "text", ".text": "text",
    ".html": "html", ".htm": "html",
}
MAX_CHUNK_CHARS = 1800
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_SETEXT = re.compile(r"^(=+|-+)\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


class DocumentError(BadInputError):
    """A knowledge file that cannot be read (encoding, front matter, type)."""


@dataclass(frozen=True)
class ChunkText:
    section: str
    text: str


@dataclass(frozen=True)
class ParsedDocument:
    title: str
    format: str
    tags: tuple[str, ...]
    faults: tuple[str, ...]
    services: tuple[str, ...]
    chunks: tuple[ChunkText, ...]


def index_text(title: str, section: str, text: str) -> str:
    """What is embedded and keyword-indexed for a chunk: its context plus its body."""
    return f"{title}\n{section}\n{text}" if section else f"{title}\n{text}"


def content_hash(title: str, section: str, text: str) -> str:
    return hashlib.sha256(index_text(title, section, text).encode("utf-8")).hexdigest()[:32]


def file_format(path: Path) -> str | None:
    return FORMATS.get(path.suffix.lower())


def parse_document(path: Path, data: bytes) -> ParsedDocument:
    """Parse one file's bytes. Raises DocumentError naming the file for unusable input."""
    fmt = file_format(path)
    if fmt is None:
        raise DocumentError(f"{path}: unsupported file type {path.suffix or '(none)'!r} (supported: {', '.join(sorted(FORMATS))})")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    meta, body = _split_front_matter(path, text)
    html_title = ""
    if fmt == "html":
        html_title, body = html_to_markdown(body)
    if fmt == "text":
        first_title, sections = "", _text_sections(body)
    else:
        first_title, sections = _markdown_sections(body)
    title = _meta_text(path, meta, "title") or html_title or first_title or _title_from_name(path)
    chunks = tuple(
        ChunkText(section=section, text=piece)
        for section, text in sections
        for piece in _cut(text)
    )
    return ParsedDocument(
        title=title,
        format=fmt,
        tags=_meta_list(path, meta, "tags"),
        faults=_meta_list(path, meta, "faults"),
        services=_meta_list(path, meta, "services"),
        chunks=chunks,
    )


def _split_front_matter(path: Path, text: str) -> tuple[dict[str, object], str]:
    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---", 4)
    if end < 0:
        return {}, text
    block, rest = text[4:end], text[end + 4:]
    if rest and not rest.startswith("\n"):
        return {}, text
    try:
        meta = load_yaml(block)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        raise DocumentError(f"{path}: front matter is not valid YAML{where}") from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise DocumentError(f"{path}: front matter must be a mapping of keys (title, tags, faults, services)")
    return meta, rest.lstrip("\n")


def _meta_text(path: Path, meta: dict[str, object], key: str) -> str:
    value = meta.get(key)
    if value is None:
        return ""
    if not isinstance(value, (str, int, float)):
        raise DocumentError(f"{path}: front matter {key} = {value!r} must be text")
    return " ".join(str(value).split())


def _meta_list(path: Path, meta: dict[str, object], key: str) -> tuple[str, ...]:
    value = meta.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        items = [v for v in re.split(r"[,\s]+", value) if v]
    elif isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        items = [str(v) for v in value]
    else:
        raise DocumentError(f"{path}: front matter {key} = {value!r} must be a list of names")
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item.strip().lower(), None)
    return tuple(k for k in seen if k)


def _title_from_name(path: Path) -> str:
    return re.sub(r"[-_]+", " ", path.stem).strip().capitalize() or path.name


def _markdown_sections(body: str) -> tuple[str, list[tuple[str, str]]]:
    """(first H1 text, [(section path, text)]) split at headings outside code fences."""
    lines = body.split("\n")
    headings: list[tuple[int, str]] = []  # stack of (level, text)
    sections: list[tuple[str, str]] = []
    current: list[str] = []
    first_title = ""
    fenced = False

    def flush() -> None:
        text = "\n".join(current).strip()
        if text:
            path = " > ".join(h for lvl, h in headings if not (lvl == 1 and h == first_title))
            sections.append((path, text))
        current.clear()

    def open_heading(level: int, text: str) -> None:
        nonlocal first_title
        flush()
        if level == 1 and not first_title:
            first_title = text
        while headings and headings[-1][0] >= level:
            headings.pop()
        headings.append((level, text))

    i = 0
    while i < len(lines):
        line = lines[i]
        if _FENCE.match(line):
            fenced = not fenced
            current.append(line)
        elif not fenced and (m := _HEADING.match(line)):
            open_heading(len(m.group(1)), _inline_text(m.group(2)))
        elif (not fenced and line.strip() and i + 1 < len(lines) and _SETEXT.match(lines[i + 1])
              and (not current or not current[-1].strip()) and not line.lstrip().startswith(("-", "*", "|", ">"))):
            open_heading(1 if lines[i + 1].startswith("=") else 2, _inline_text(line.strip()))
            i += 1
        else:
            current.append(line)
        i += 1
    flush()
    return first_title, sections


def _inline_text(text: str) -> str:
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return " ".join(text.replace("`", "").replace("*", "").split())


def _text_sections(body: str) -> list[tuple[str, str]]:
    text = body.strip()
    return [("", text)] if text else []


def _cut(text: str) -> list[str]:
    """Split a long section at blank lines (outside fences) into pieces <= MAX_CHUNK_CHARS."""
    if len(text) <= MAX_CHUNK_CHARS:
        return [text]
    blocks: list[str] = []
    current: list[str] = []
    fenced = False
    for line in text.split("\n"):
        if _FENCE.match(line):
            fenced = not fenced
        if not line.strip() and not fenced and current:
            blocks.append("\n".join(current))
            current = []
        elif line.strip() or current:
            current.append(line)
    if current:
        blocks.append("\n".join(current))
    pieces: list[str] = []
    buf = ""
    for block in blocks:
        while len(block) > MAX_CHUNK_CHARS * 2:  # one giant paragraph: hard cut at a line/space
            cut = block.rfind("\n", 0, MAX_CHUNK_CHARS)
            cut = cut if cut > 0 else block.rfind(" ", 0, MAX_CHUNK_CHARS)
            cut = cut if cut > 0 else MAX_CHUNK_CHARS
            if buf:
                pieces.append(buf)
                buf = ""
            pieces.append(block[:cut].strip())
            block = block[cut:].strip()
        if buf and len(buf) + len(block) + 2 > MAX_CHUNK_CHARS:
            pieces.append(buf)
            buf = block
        else:
            buf = f"{buf}\n\n{block}" if buf else block
    if buf:
        pieces.append(buf)
    return [p for p in pieces if p.strip()]
