"""Masking of the variable parts of a log line before template mining.

One compiled alternation turns every recognised variable part into `<*>` — applied token
by token with a memo by `TokenMasker` (what the miner uses), or over a whole line by
`mask_line`. Recognised: URLs, e-mail addresses, timestamps (ISO 8601 / RFC 3339 with date or
space, syslog `Jan 29 08:43:04`, Apache `29/Jan/2023:08:43:04 +0000`, bare clock times),
UUIDs, MAC addresses, IPv6 and IPv4 addresses (with an optional port), file paths, hex
numbers and hex ids (>= 6 hex digits with at least one digit), durations and sizes
(`12ms`, `1.5 s`, `1h30m`, `512 KiB`), plain numbers, the value of `key=value` pairs, and
single-token quoted strings (`"alice"`, `'db-1'`) that are not JSON keys.

Left alone on purpose: multi-word quoted strings (often the constant message of a JSON
log line; the miner generalises them if they vary), identifiers of letters only, and
tokens that only *contain* digits (`sha256`, `log4j`): the miner turns those into `<*>`
when they vary between lines of one statement.

A leading timestamp header is masked like any other timestamp: `2023-01-29T08:43:04Z
ERROR x` gives `<*> ERROR x`, and `2023-01-29 08:43:04,123 ERROR x` (token by token)
gives `<*> <*> ERROR x`; the miner then treats leading `<*>`, level and month/weekday
tokens as a header (`aiops.analytics.logminer.header_length`).
"""

from __future__ import annotations

import re

WILDCARD = "<*>"

_HEX = "[0-9a-fA-F]"
_MONTH = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_UNIT = r"(?:ns|us|µs|ms|s|m|h|d)"
_LONG_UNIT = r"(?:ns|us|µs|ms|sec|secs|seconds?|mins?|minutes?|hours?|days?|bytes|[KMGTP]i?B|[kKMGTP]B?)"

_RULES: tuple[tuple[str, str], ...] = (
    # key=value: mask the whole value (quoted or up to a separator).
    ("kv_value", r"(?<==)(?:\"[^\"\n]*\"|'[^'\n]*'|[^\s,;&)\]}\"']+)"),
    ("url", r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\"'<>]+"),
    ("email", r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"),
    ("datetime", r"\b\d{4}[-/]\d{2}[-/]\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s?Z|\s?[+-]\d{2}:?\d{2}\b|\s?UTC\b)?)?"),
    ("syslog_time", rf"\b{_MONTH}\s+\d{{1,2}}\s+\d{{2}}:\d{{2}}:\d{{2}}(?:[.,]\d+)?"),
    ("apache_time", rf"\b\d{{2}}/{_MONTH}/\d{{4}}:\d{{2}}:\d{{2}}:\d{{2}}(?:\s[+-]\d{{4}})?"),
    ("clock_time", r"\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?(?![\w:])"),
    ("uuid", rf"\b{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}\b"),
    ("mac", rf"\b{_HEX}{{2}}(?:[:-]{_HEX}{{2}}){{5}}\b"),
    (
        "ipv6",
        rf"(?<![\w:])(?=[0-9a-fA-F:]*\d)(?:{_HEX}{{1,4}}(?::{_HEX}{{1,4}}){{7}}"
        rf"|(?:{_HEX}{{1,4}}(?::{_HEX}{{1,4}}){{0,6}})?::(?:{_HEX}{{1,4}}(?::{_HEX}{{1,4}}){{0,6}})?)"
        r"(?:%\w+)?(?![\w:])",
    ),
    ("ipv4", r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b(?!\.\d)"),
    ("windows_path", r"\b[A-Za-z]:\\[^\s\"'<>]+"),
    ("path", r"(?<![\w.:/<>*-])(?:~|\.{1,2})?(?:/[\w.@%+~:,=-]+)+/?"),
    ("hex", rf"\b0[xX]{_HEX}+\b|\b(?=[a-fA-F]*\d)(?=\d*[a-fA-F]){_HEX}{{6,}}\b"),
    ("duration", rf"(?<![\w.])(?:\d+(?:\.\d+)?{_UNIT})+\b|(?<![\w.])\d+(?:\.\d+)?\s?{_LONG_UNIT}\b"),
    ("number", r"(?<![\w.])[-+]?\d+(?:[.,]\d+)*(?:[eE][-+]?\d+)?(?![\w])"),
    ("quoted", r"(?<![\w\\])\"[^\s\"]{1,200}\"(?!\s*:)|(?<![\w\\])'[^\s']{1,200}'(?![\w:])"),
)

_MASK = re.compile("|".join(f"(?:{pattern})" for _, pattern in _RULES))
# a token that is entirely one variable value (tried first: anchored, so much cheaper)
_WHOLE_TOKEN = re.compile("|".join(f"(?:{pattern})" for name, pattern in _RULES if name != "kv_value"))
_MASK_VALUES = re.compile("|".join(f"(?:{pattern})" for name, pattern in _RULES if name != "kv_value"))
_KV_TOKEN = re.compile(r"([\w.-]+=)(?:\"[^\"\n]*\"|'[^'\n]*'|[^\s,;&)\]}\"'=]+)")
# logfmt's level (`level=warning`) is a constant of the statement, not a value: kept
_KV_LEVEL = re.compile(r"(?i)(?:level|lvl|severity|loglevel|log\.level)=([\"']?)"
                       r"(?:trace|debug|dbg|info|notice|warn|warning|error|err|fatal|crit|critical|panic|alert|emerg)\1")


_CALENDAR = frozenset(
    m + suffix for m in "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec Mon Tue Wed Thu Fri Sat Sun".split()
    for suffix in ("", ",", "."))


def _mask_value(value: str) -> str:
    """The value of a `key=value` token: a value by the rules above (a number, address,
    id, ...) or quoted becomes `<*>`; a word stays (`state=open` and `state=closed` may be
    two statements; the miner decides)."""
    if not value or value.isalpha():
        return value
    if value[0] in "\"'" or value.isdigit() or _WHOLE_TOKEN.fullmatch(value):
        return WILDCARD
    return _MASK_VALUES.sub(WILDCARD, value)


_UNITS = frozenset(
    unit + suffix
    for unit in ("B b KB kB K KiB MB M MiB GB G GiB TB TiB bytes ns us µs ms s sec secs seconds min mins minutes "
                 "h hours d days %").split()
    for suffix in ("", ",", ";", ")", ".", "]"))


def _units_masked(tokens: list[str]) -> list[str]:
    """A unit after a masked number is part of the value (`9.2 KB,` -> `<*> <*>,`), so
    sizes and durations written in different units never differ by a word."""
    out = list(tokens)
    for i in range(1, len(out)):
        if out[i] in _UNITS and out[i - 1] == WILDCARD:
            unit = out[i]
            out[i] = WILDCARD + unit[-1] if unit[-1] in ",;).]" and len(unit) > 1 else WILDCARD
    return out


def _calendar_words_masked(tokens: list[str]) -> list[str]:
    """Month and weekday names next to a masked value are part of a date (`at Sat Jul 9
    12:16:49 2005`): they become `<*>` too, so two dates never differ by a word."""
    out = list(tokens)
    for _ in range(2):                     # `Sat Jul <*>`: the weekday is two steps away
        for i, token in enumerate(out):
            if token in _CALENDAR and ((i and out[i - 1] == WILDCARD) or (i + 1 < len(out) and out[i + 1] == WILDCARD)):
                out[i] = WILDCARD
    return out


def mask_line(line: str) -> str:
    """The line with every recognised variable part replaced by `<*>` (whole-line pass)."""
    return _MASK.sub(WILDCARD, line)


class TokenMasker:
    """Splits a line on whitespace and masks each token, memoising token -> masked token.

    Token by token is ~10x faster than one pass over the line (constant words hit the
    memo; the alternation runs only on unseen tokens). The price: a timestamp written with
    a space (`2023-01-29 08:43:04`) becomes two `<*>` tokens, and a variable part that
    spans whitespace is masked piecewise — consistently for every line of a file.
    """

    def __init__(self, memo_size: int = 200_000) -> None:
        self._memo: dict[str, str] = {}
        self._memo_size = memo_size

    def __call__(self, line: str) -> list[str]:
        get, miss = self._memo.get, self._mask_token
        tokens = [get(token) or miss(token) for token in line.split()]
        if WILDCARD in tokens:
            if not _UNITS.isdisjoint(tokens):
                tokens = _units_masked(tokens)
            if not _CALENDAR.isdisjoint(tokens):
                tokens = _calendar_words_masked(tokens)
        return tokens

    def _mask_token(self, token: str) -> str:
        if token.isalpha():
            masked = token
        elif token.isdigit() or _WHOLE_TOKEN.fullmatch(token):
            return WILDCARD  # not memoised: whole-token values (timestamps, ids) rarely repeat
        elif _KV_LEVEL.fullmatch(token):
            masked = token
        elif (kv := _KV_TOKEN.fullmatch(token)) is not None:
            masked = kv.group(1) + _mask_value(token[kv.end(1):])
        else:
            masked = _MASK.sub(WILDCARD, token)
        if len(self._memo) >= self._memo_size:
            self._memo.clear()  # crude but bounded; hot tokens come back at once
        self._memo[token] = masked
        return masked

