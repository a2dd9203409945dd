"""The error tree. Every expected failure maps to an exit code and a one-line message.

Bugs are ordinary exceptions (exit 1 with a short message, traceback only with --debug).
Bad input — a bundle, a file, a config key, a flag value — raises a subclass of
`BadInputError` (exit 2) whose message names the file/key and the value at fault. An output
the disk refuses to take (full, quota, I/O error) is a `WriteError` (exit 3), so a CI job can
tell "could not write the report" from a failed check (exit 1) and from bad input (exit 2).
"""

from __future__ import annotations


class AiopsError(Exception):
    """Base of every error aiops raises on purpose."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = " ".join(str(message).split())  # always one line

    def __str__(self) -> str:
        return self.message


class BadInputError(AiopsError):
    """Unusable input from the operator: exit status 2."""

    exit_code = 2


class BundleError(BadInputError):
    """An incident bundle (or one of its files) cannot be used."""


class ConfigError(BadInputError):
    """A configuration file, env var or flag holds a bad key or value."""


class WriteError(AiopsError):
    """A file aiops writes (a report, an export, an output stream) could not be written: disk
    full, quota, I/O error. Exit 3; the message names the file, and the previous file is left
    whole where it was replaced atomically."""

    exit_code = 3


# `aiops diagnose` and `aiops report` exit with this when the evidence is too thin for any
# verdict: every source failed, or no data in the window (3 is a report that could not be written).
EXIT_INSUFFICIENT_EVIDENCE = 4


class InsufficientEvidence(AiopsError):
    """Nothing to judge by: the data sources failed or hold no data for the question asked.
    Exit 4, so a pipeline can tell "could not judge" from pass (0), fail (1) and bad input (2)."""

    exit_code = EXIT_INSUFFICIENT_EVIDENCE


class SourceError(AiopsError):
    """A data source failed (down, timeout, 5xx). Callers turn this into missing evidence."""


class BudgetExceeded(AiopsError):
    """A run hit one of its budgets (steps, wall time, tokens, cost)."""


_DISK_FULL = (28, 122)     # ENOSPC, EDQUOT


def os_reason(exc: OSError) -> str:
    """The operating system's reason, in words an operator acts on ("... (disk full)")."""
    reason = exc.strerror or one_line(exc)
    if exc.errno in _DISK_FULL:
        reason += " (disk full)"
    return reason


_DISK_WORDS = ("no space left on device", "disk quota exceeded", "file too large")


def disk_refused(exc: BaseException) -> bool:
    """An error (of any library: DuckDB wraps the OS's) that says the disk took no more."""
    if isinstance(exc, OSError):
        return exc.errno in (*_DISK_FULL, 27)          # 27: EFBIG
    text = str(exc).lower()
    return any(w in text for w in _DISK_WORDS)


def one_line(exc: BaseException) -> str:
    """A single-line rendering of any exception, for messages and evidence."""
    text = str(exc) or exc.__class__.__name__
    return " ".join(text.split())
