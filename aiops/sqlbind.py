"""Binding values into DuckDB SQL text.

DuckDB's Python client imports pandas (~1 s) the first time a query runs with parameters,
which would dominate a short diagnosis. Values are therefore rendered as SQL literals —
numbers via repr (finite only), strings quoted with '' doubling (DuckDB has no backslash
escapes in standard strings), lists as list literals — and bound by name (`$name`).
"""

from __future__ import annotations

import math
import re
from typing import Any, Mapping

_NAME = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def sql_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot bind non-finite number {value!r}")
        return repr(float(value)) if value == value else "NULL"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(sql_literal(v) for v in value) + "]"
    if hasattr(value, "item"):  # numpy scalar
        return sql_literal(value.item())
    return "'" + str(value).replace("'", "''") + "'"


def bind_named(sql: str, params: Mapping[str, Any] | None) -> str:
    """Replace every `$name` with the literal of params[name]; unknown names raise KeyError."""
    if not params:
        return sql
    return _NAME.sub(lambda m: sql_literal(params[m.group(1)]), sql)
