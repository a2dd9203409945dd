"""Lines of a file with a bound on their length: a single 200 MB line must not become a
200 MB string (and gigabytes in what is built from it). A longer line is cut to its first
`max_len` bytes (or characters, for a text stream), the rest of it skipped without being
kept, and `cut` counts the lines that were cut so the caller can say so.

    lines = BoundedLines(fh, 64 * 1024)
    for line in lines: ...              # each with its "\\n" (when it had one)
    if lines.cut: warn(f"{lines.cut} lines were cut to 64 KiB")
"""

from __future__ import annotations

from typing import IO, AnyStr, Generic, Iterator

_SKIP_CHUNK = 1 << 20


class BoundedLines(Generic[AnyStr]):
    def __init__(self, stream: IO[AnyStr], max_len: int) -> None:
        self.stream = stream
        self.max_len = max(1, int(max_len))
        self.cut = 0

    def __iter__(self) -> Iterator[AnyStr]:
        read = self.stream.readline
        limit = self.max_len
        while True:
            line = read(limit + 1)
            if not line:
                return
            newline = "\n" if isinstance(line, str) else b"\n"
            if len(line) > limit and not line.endswith(newline):
                self.cut += 1
                while True:                       # the rest of the line, dropped as it is read
                    rest = read(_SKIP_CHUNK)
                    if not rest or rest.endswith(newline):
                        break
                line = line[:limit] + newline
            yield line
