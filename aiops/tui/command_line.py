"""The drill-down command line (`:` in the app, also behind the command palette).

    service NAME                 evidence of any service
    metric NAME [SERVICE]        every series of a metric as charts
    range START END | reset      the time range drill-downs use
    export json|markdown|html [PATH]
    ask QUESTION                 ask the model about the incident (LLM mode)
    rerun | help | quit

Parsing is plain Python; a bad command raises CommandError with a one-line reason.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from aiops.domain import TimeWindow
from aiops.timeutil import parse_duration, parse_timestamp

COMMANDS: dict[str, tuple[str, str]] = {
    "service": ("service NAME", "evidence of any service: charts, log templates, trace paths, changes"),
    "metric": ("metric NAME [SERVICE]", "chart every series of a metric (of one service)"),
    "range": ("range START END | range reset", "time range of drill-downs: HH:MM[:SS] (UTC), RFC 3339, "
              "unix seconds, onset-10m, onset+5m, start, end"),
    "export": ("export json|markdown|html [PATH]", "write the report (default aiops-<run id>.<ext>)"),
    "ask": ("ask QUESTION", "ask the model about this incident (LLM mode; it may run read-only checks)"),
    "rerun": ("rerun", "run the investigation again"),
    "help": ("help", "keys, commands and screens"),
    "quit": ("quit", "leave the app"),
}
ALIASES = {"a": "ask", "s": "service", "svc": "service", "m": "metric", "t": "range", "time": "range", "x": "export",
           "re-run": "rerun", "q": "quit", "?": "help"}
_ARITY = {"service": (1, 1), "metric": (1, 2), "range": (1, 2), "export": (1, 2), "ask": (1, 200), "rerun": (0, 0),
          "help": (0, 0), "quit": (0, 0)}
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?$")
_RELATIVE = re.compile(r"^(onset|start|end)\s*(?:([+-])\s*(.+))?$")


class CommandError(ValueError):
    pass


@dataclass(frozen=True)
class Command:
    name: str
    args: tuple[str, ...] = ()


def parse_command(text: str) -> Command:
    try:
        words = shlex.split(text.strip().lstrip(":"))
    except ValueError as exc:
        raise CommandError(f"cannot parse {text!r}: {exc}") from None
    if not words:
        raise CommandError("empty command (try: " + ", ".join(COMMANDS) + ")")
    name = ALIASES.get(words[0].lower(), words[0].lower())
    if name not in COMMANDS:
        raise CommandError(f"unknown command {words[0]!r} (try: {', '.join(COMMANDS)})")
    args = tuple(words[1:])
    lo, hi = _ARITY[name]
    if not lo <= len(args) <= hi:
        raise CommandError(f"usage: {COMMANDS[name][0]}")
    return Command(name, args)


def parse_time(text: str, window: TimeWindow, onset: float | None) -> float:
    """A point in time: HH:MM[:SS] (UTC, on the window's day), RFC 3339, unix seconds, or
    onset/start/end with an optional +/- duration."""
    raw = text.strip()
    rel = _RELATIVE.match(raw.lower())
    if rel:
        anchor = {"onset": onset, "start": window.start, "end": window.end}[rel.group(1)]
        if anchor is None:
            raise CommandError("this incident has no onset; use a clock time or start/end")
        if rel.group(2) is None:
            return anchor
        try:
            delta = parse_duration(rel.group(3))
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        return anchor + delta if rel.group(2) == "+" else anchor - delta
    clock = _CLOCK.match(raw)
    if clock:
        h, m, s = int(clock.group(1)), int(clock.group(2)), float(clock.group(3) or 0)
        if h > 23 or m > 59 or s >= 60:
            raise CommandError(f"not a clock time: {raw!r}")
        day = datetime.fromtimestamp(window.start, tz=timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
        ts = (day + timedelta(hours=h, minutes=m, seconds=s)).timestamp()
        return ts + 86400 if ts < window.start - 43200 else ts
    try:
        return parse_timestamp(raw)
    except ValueError:
        raise CommandError(f"not a time: {raw!r} (use HH:MM, RFC 3339, unix seconds or onset-10m)") from None


def parse_range(args: tuple[str, ...], window: TimeWindow, onset: float | None) -> TimeWindow | None:
    """The drill-down range from `range` arguments; None for `range reset`."""
    if len(args) == 1:
        if args[0].lower() in ("reset", "window", "all"):
            return None
        raise CommandError(f"usage: {COMMANDS['range'][0]}")
    start, end = parse_time(args[0], window, onset), parse_time(args[1], window, onset)
    if not end > start:
        raise CommandError(f"range end {args[1]!r} is not after its start {args[0]!r}")
    return TimeWindow(start, end)
