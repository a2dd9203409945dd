"""Reading the series CSVs of `aiops detect` / `aiops forecast`, and the output target.

Two shapes, told apart by the header:

* narrow: a `timestamp` and a `value` column (other columns are ignored) — one series;
* wide: a `timestamp` column and no `value` column — every other column (or those named by
  `columns`) is a series of the same entity, scored jointly.

Cells are echoed exactly as given; '', nan, NA, null, none are missing values. Any other
cell that is not a number, and any bad timestamp, is bad input naming the file and line.
"""

from __future__ import annotations

import csv
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Optional

from aiops.errors import BadInputError
from aiops.writing import OutputFile

MISSING = {"", "nan", "na", "n/a", "null", "none"}


@dataclass
class SeriesTable:
    path: Path
    names: list[str]                       # value columns as written in the header
    wide: bool
    raw_timestamps: list[str] = field(default_factory=list)
    raw_values: list[list[str]] = field(default_factory=list)   # per row, one cell per value column
    timestamps: list[float] = field(default_factory=list)
    values: list[list[float]] = field(default_factory=list)

    @property
    def numeric_timestamps(self) -> bool:
        return all(_is_number(t) for t in self.raw_timestamps[:50])

    def column(self, j: int = 0) -> list[float]:
        return [row[j] for row in self.values]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _number(text: str) -> float:
    stripped = text.strip()
    if stripped.lower() in MISSING:
        return math.nan
    return float(stripped)


def _value_columns(path: Path, header: list[str], columns: Optional[list[str]]) -> tuple[list[int], bool]:
    names = [h.strip().lower() for h in header]
    if "timestamp" not in names:
        raise BadInputError(f"{path}: line 1: missing column 'timestamp' (header: {','.join(header)})")
    i_ts = names.index("timestamp")
    if columns:
        idx = []
        for wanted in columns:
            key = wanted.strip().lower()
            if key not in names or names.index(key) == i_ts:
                raise BadInputError(f"{path}: --columns: no column {wanted!r} (header: {','.join(header)})")
            idx.append(names.index(key))
        return idx, not (len(idx) == 1 and names[idx[0]] == "value")
    if "value" in names:
        return [names.index("value")], False
    idx = [j for j in range(len(header)) if j != i_ts]
    if not idx:
        raise BadInputError(f"{path}: line 1: missing column 'value' (header: {','.join(header)})")
    return idx, True


def read_table_csv(path: Path, columns: Optional[list[str]] = None) -> SeriesTable:
    """Read a narrow or wide series CSV (see the module docstring)."""
    from aiops.timeutil import parse_timestamp

    if not path.is_file():
        raise BadInputError(f"{path}: no such file")
    reader = None
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                raise BadInputError(f"{path}: empty file; expected a header row 'timestamp,value'")
            idx, wide = _value_columns(path, header, columns)
            i_ts = [h.strip().lower() for h in header].index("timestamp")
            out = SeriesTable(path, [header[j].strip() for j in idx], wide)
            for row in reader:
                if not row or all(not cell.strip() for cell in row):
                    continue   # a blank line is not a row
                line = reader.line_num
                raw_ts = row[i_ts] if i_ts < len(row) else ""
                try:
                    ts = parse_timestamp(raw_ts)
                except ValueError:
                    raise BadInputError(f"{path}: line {line}: bad timestamp {raw_ts!r}") from None
                cells = [row[j] if j < len(row) else "" for j in idx]
                try:
                    numbers = [_number(c) for c in cells]
                except ValueError:
                    bad = next(k for k, c in enumerate(cells) if not _is_number(c.strip()) and c.strip().lower() not in MISSING)
                    where = f"column {out.names[bad]!r}: " if wide else ""
                    raise BadInputError(f"{path}: line {line}: {where}value {cells[bad]!r} is not a number") from None
                out.raw_timestamps.append(raw_ts)
                out.raw_values.append(cells)
                out.timestamps.append(ts)
                out.values.append(numbers)
    except UnicodeDecodeError as exc:
        raise BadInputError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except csv.Error as exc:
        line = reader.line_num if reader is not None else 0
        raise BadInputError(f"{path}: line {line}: {exc}") from None
    except OSError as exc:
        raise BadInputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return out


def read_series_csv(path: Path) -> SeriesTable:
    """A narrow `timestamp,value` CSV (one series); a wide one is bad input here."""
    table = read_table_csv(path)
    if table.wide:
        raise BadInputError(f"{path}: line 1: missing column 'value' (this command takes one series: timestamp,value)")
    return table


class Output(OutputFile):
    """Standard output, or --output FILE (aiops.writing: replaced atomically, a device or link
    written through, a full disk a one-line WriteError naming the file)."""

    def __init__(self, path: Optional[Path]) -> None:
        super().__init__(path, "--output")
