"""Text from the data, made safe to show: control characters (ESC, NUL, BEL, C1 codes, DEL)
and bidirectional-override characters are replaced by visible escapes (`\\x1b`, `\\u202e`),
so a title or log line cannot move a terminal's cursor, recolour it, set its window title,
hide text in a Markdown or HTML report, or break a JUnit file (XML forbids them).
Newlines and tabs stay (`keep_lines=False` turns them into spaces, for one-line cells).

    printable("deploy \\x1b]0;pwned\\x07done")      -> 'deploy \\\\x1b]0;pwned\\\\x07done'
    map_strings(diagnosis, printable)                -> the same diagnosis, every string made safe

JSON output needs none of this: json.dumps escapes control characters itself.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Callable

# C0 controls but \t \n, DEL, C1 controls; bidi embeddings/overrides/isolates; line/paragraph separators
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_UNSAFE_OR_LINES = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def _escape(m: re.Match[str]) -> str:
    c = m.group(0)
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"


def printable(text: str, keep_lines: bool = True) -> str:
    """`text` with every unsafe character shown as an escape (newlines and tabs kept unless
    `keep_lines` is False, when they become spaces)."""
    if not isinstance(text, str) or not text:
        return text
    if not keep_lines:
        text = text.replace("\r\n", " ").replace("\n", " ").replace("\t", " ")
        return _UNSAFE_OR_LINES.sub(_escape, text)
    return _UNSAFE.sub(_escape, text)


def map_strings(value: Any, fn: Callable[[str], str] = printable) -> Any:
    """A copy of `value` (frozen dataclasses, tuples, lists, dicts) with `fn` applied to every string."""
    if isinstance(value, str):
        return fn(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: map_strings(getattr(value, f.name), fn) for f in dataclasses.fields(value) if f.init}
        return dataclasses.replace(value, **changes)
    if isinstance(value, tuple):
        if value and all(isinstance(v, (int, float)) for v in value):
            return value                       # numbers (chart series): nothing to do
        return tuple(map_strings(v, fn) for v in value)
    if isinstance(value, list):
        return [map_strings(v, fn) for v in value]
    if isinstance(value, dict):
        return {map_strings(k, fn): map_strings(v, fn) for k, v in value.items()}
    return value
