"""Typed options of a `[sources.<kind>.<name>]` table, checked with messages naming the key.

Each source kind declares a dataclass of options (defaults = the documented defaults);
`parse_options` rejects unknown keys and values of the wrong type, e.g.
"config.toml: sources.prometheus.main.url = 5 is not a string".
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from typing import Any, Mapping, TypeVar

from aiops.errors import ConfigError

T = TypeVar("T")
_TYPE_WORDS = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}


def _check(where: str, key: str, value: Any, typ: Any) -> Any:
    origin, args = typing.get_origin(typ), typing.get_args(typ)
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"{where}: {key} = {value!r} is not a list")
        return [_check(where, f"{key}[{i}]", v, args[0]) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: {key} = {value!r} is not a table")
        return {str(k): _check(where, f"{key}.{k}", v, args[1]) for k, v in value.items()}
    if typ is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if typ in (int, float) and isinstance(value, bool) or not isinstance(value, typ):
        raise ConfigError(f"{where}: {key} = {value!r} is not {_TYPE_WORDS.get(typ, typ.__name__)}")
    return value


def parse_options(cls: type[T], table: Mapping[str, Any], key: str, where: str) -> T:
    """Build options of type `cls` from a config table at `key` (e.g. sources.loki.main)."""
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: {key} = {table!r} must be a table")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    values: dict[str, Any] = {}
    for k, v in table.items():
        if k not in names:
            raise ConfigError(f"{where}: unknown key {key}.{k} (known: {', '.join(sorted(names))})")
        values[k] = _check(where, f"{key}.{k}", v, hints[k])
    opts = cls(**values)
    validate = getattr(opts, "validate", None)
    if validate is not None:
        validate(key, where)
    return opts


def _positive(where: str, key: str, value: float) -> None:
    if value <= 0:
        raise ConfigError(f"{where}: {key} = {value!r} must be > 0")


@dataclass
class HttpOptions:
    """What every HTTP source takes: where, auth (env var names), TLS, timeouts, retries."""

    url: str = ""
    timeout_s: float = 10.0
    retries: int = 2
    backoff_s: float = 0.5
    headers: dict[str, str] = field(default_factory=dict)      # extra, non-secret headers (e.g. X-Scope-OrgID)
    bearer_token_env: str = ""
    username: str = ""
    password_env: str = ""
    tls_ca_file: str = ""
    tls_cert_file: str = ""
    tls_key_file: str = ""
    tls_insecure_skip_verify: bool = False
    max_response_mb: float = 64.0      # one answer, decoded (a gzip bomb stops here)

    def validate(self, key: str, where: str) -> None:
        if not self.url:
            raise ConfigError(f'{where}: {key}.url is required (e.g. url = "http://127.0.0.1:9090")')
        if not self.url.startswith(("http://", "https://")):
            raise ConfigError(f"{where}: {key}.url = {self.url!r} must start with http:// or https://")
        self.url = self.url.rstrip("/")
        _positive(where, f"{key}.timeout_s", self.timeout_s)
        _positive(where, f"{key}.max_response_mb", self.max_response_mb)
        if self.retries < 0:
            raise ConfigError(f"{where}: {key}.retries = {self.retries!r} must be >= 0")
        if self.backoff_s < 0:
            raise ConfigError(f"{where}: {key}.backoff_s = {self.backoff_s!r} must be >= 0")
        if self.tls_key_file and not self.tls_cert_file:
            raise ConfigError(f"{where}: {key}.tls_key_file is set without tls_cert_file")
        if self.password_env and not self.username:
            raise ConfigError(f"{where}: {key}.password_env is set without username")
        for name in ("authorization", "cookie"):
            if any(h.lower() == name for h in self.headers):
                raise ConfigError(f"{where}: {key}.headers.{name} would put a secret in the config file; "
                                  "use bearer_token_env (or username/password_env) instead")


def positive(where: str, key: str, value: float) -> None:
    _positive(where, key, value)
