"""HTML to Markdown, with the standard library only (enough for exported wiki pages).

Headings become `#` lines (so chunking by heading works the same as for Markdown),
paragraphs and list items keep their breaks, `<pre>` becomes a fenced block, tables become
pipe rows, and script/style/nav content is dropped. The `<title>` is returned separately.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIP = {"script", "style", "noscript", "nav", "footer", "svg", "head"}
_BLOCK = {"p", "div", "section", "article", "main", "header", "blockquote", "ul", "ol", "dl", "table", "tr", "figure", "br", "hr", "dd", "dt"}


class _MarkdownWriter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.title = ""
        self._skip_depth = 0
        self._in_title = False
        self._pre = 0
        self._list_depth = 0
        self._cells: list[str] | None = None
        self._cell: list[str] | None = None

    def _emit(self, text: str) -> None:
        if self._cell is not None:
            self._cell.append(text)
        else:
            self.out.append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
            return
        if tag in _SKIP:
            self._skip_depth += 1
            return
        if self._skip_depth:
            return
        if re.fullmatch(r"h[1-6]", tag):
            self._emit("\n\n" + "#" * int(tag[1]) + " ")
        elif tag == "pre":
            self._pre += 1
            self._emit("\n\n```\n")
        elif tag == "code" and not self._pre:
            self._emit("`")
        elif tag in ("ul", "ol"):
            self._list_depth += 1
            self._emit("\n")
        elif tag == "li":
            self._emit("\n" + "  " * max(self._list_depth - 1, 0) + "- ")
        elif tag == "tr":
            self._cells = []
        elif tag in ("td", "th") and self._cells is not None:
            self._cell = []
        elif tag in ("strong", "b"):
            self._emit("**")
        elif tag in ("em", "i"):
            self._emit("*")
        elif tag in _BLOCK:
            self._emit("\n\n" if tag != "br" else "\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
            return
        if tag in _SKIP:
            self._skip_depth = max(self._skip_depth - 1, 0)
            return
        if self._skip_depth:
            return
        if re.fullmatch(r"h[1-6]", tag):
            self._emit("\n\n")
        elif tag == "pre":
            self._pre = max(self._pre - 1, 0)
            self._emit("\n```\n\n")
        elif tag == "code" and not self._pre:
            self._emit("`")
        elif tag in ("ul", "ol"):
            self._list_depth = max(self._list_depth - 1, 0)
            self._emit("\n")
        elif tag in ("td", "th") and self._cell is not None and self._cells is not None:
            self._cells.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._cells is not None:
            self.out.append("\n| " + " | ".join(self._cells) + " |")
            self._cells = None
        elif tag in ("strong", "b"):
            self._emit("**")
        elif tag in ("em", "i"):
            self._emit("*")
        elif tag in _BLOCK:
            self._emit("\n\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
            return
        if self._skip_depth:
            return
        if self._pre:
            self._emit(data)
        else:
            self._emit(re.sub(r"\s+", " ", data))


def html_to_markdown(html: str) -> tuple[str, str]:
    """(title, markdown) for an HTML page; title is '' when the page has none."""
    writer = _MarkdownWriter()
    writer.feed(html)
    writer.close()
    text = "".join(writer.out)
    lines = [line.rstrip() for line in text.splitlines()]
    cleaned: list[str] = []
    fenced = False
    for line in lines:
        if line.strip().startswith("```"):
            fenced = not fenced
        cleaned.append(line if fenced else line.strip() if not line.lstrip().startswith("- ") else line)
    markdown = re.sub(r"\n{3,}", "\n\n", "\n".join(cleaned)).strip() + "\n"
    return " ".join(writer.title.split()), markdown
