"""Checking tool arguments against the tool's JSON schema (the subset tools declare).

Supported: an object of named properties with `type` (string, integer, number, boolean,
array with `items`), `enum`, `minimum`/`maximum`, `maxLength`, `maxItems`, `pattern`,
`default`, and `required`. Unknown arguments are refused: a model that invents a
parameter hears so instead of having it silently ignored. Arguments are values only —
nothing here ever reaches a shell.
"""

from __future__ import annotations

import re
from typing import Any

_TYPES = {"string": str, "integer": int, "number": (int, float), "boolean": bool, "array": list, "object": dict}


class ArgumentError(ValueError):
    """Arguments that do not fit the tool's schema; the message names the argument."""


def check_schema(schema: dict[str, Any], where: str) -> None:
    """Refuse a parameter schema this module cannot enforce (declarative tools)."""
    if schema.get("type") != "object" or not isinstance(schema.get("properties", {}), dict):
        raise ArgumentError(f"{where}: parameters must be an object schema with properties")
    for name, prop in schema.get("properties", {}).items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(name)):
            raise ArgumentError(f"{where}: parameter name {name!r} must be an identifier")
        if not isinstance(prop, dict) or prop.get("type") not in _TYPES or prop.get("type") == "object":
            raise ArgumentError(f"{where}: parameter {name} needs a type among string, integer, number, boolean, array")
    for name in schema.get("required", []):
        if name not in schema.get("properties", {}):
            raise ArgumentError(f"{where}: required parameter {name!r} is not declared")


def _check(name: str, value: Any, prop: dict[str, Any]) -> Any:
    typ = prop.get("type", "string")
    expected = _TYPES[typ]
    if typ == "number" and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if typ == "integer" and isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) and typ != "boolean" or not isinstance(value, expected):
        raise ArgumentError(f"argument {name} = {value!r} is not {'an' if typ[0] in 'aeiou' else 'a'} {typ}")
    if "enum" in prop and value not in prop["enum"]:
        raise ArgumentError(f"argument {name} = {value!r} is not one of {prop['enum']}")
    if typ in ("integer", "number"):
        if "minimum" in prop and value < prop["minimum"]:
            raise ArgumentError(f"argument {name} = {value!r} is below {prop['minimum']}")
        if "maximum" in prop and value > prop["maximum"]:
            raise ArgumentError(f"argument {name} = {value!r} is above {prop['maximum']}")
    if typ == "string":
        if len(value) > int(prop.get("maxLength", 2000)):
            raise ArgumentError(f"argument {name} is longer than {prop.get('maxLength', 2000)} characters")
        if "pattern" in prop and not re.fullmatch(prop["pattern"], value):
            raise ArgumentError(f"argument {name} = {value!r} does not match {prop['pattern']}")
    if typ == "array":
        if len(value) > int(prop.get("maxItems", 50)):
            raise ArgumentError(f"argument {name} has more than {prop.get('maxItems', 50)} items")
        items = prop.get("items", {"type": "string"})
        value = [_check(f"{name}[{i}]", v, items) for i, v in enumerate(value)]
    return value


def validate_args(schema: dict[str, Any], args: dict[str, Any] | None) -> dict[str, Any]:
    """Validated arguments with defaults filled in; raises ArgumentError naming the argument."""
    args = dict(args or {})
    props: dict[str, Any] = schema.get("properties", {})
    unknown = sorted(set(args) - set(props))
    if unknown:
        raise ArgumentError(f"unknown argument(s) {', '.join(unknown)} (known: {', '.join(sorted(props)) or 'none'})")
    out: dict[str, Any] = {}
    for name, prop in props.items():
        if name in args and args[name] is not None:
            out[name] = _check(name, args[name], prop)
        elif "default" in prop:
            out[name] = prop["default"]
        elif name in schema.get("required", []):
            raise ArgumentError(f"missing required argument {name}")
    return out
