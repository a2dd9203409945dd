"""Whose failure does an error line report: the emitter's own, or a call into a dependency?

A service that throws (`NullPointerException`, `OutOfMemoryError`, `No space left on
device`, a pool that ran dry) reports its *own* failure. A service whose call failed
(`could not call productcatalog`, `connection refused`, `context deadline exceeded`,
`HttpServerErrorException: 500 ... /api/v1/seatservice/...`) reports a dependency's
failure, which its callers' error logs then repeat up the call chain. The log analog of
trace self time: own error templates stay the service's evidence when a dependency is
also anomalous, call-failure templates are inherited.

Rules, in order: a line naming another known service is a call failure; resource
exhaustion of the emitter (pool, memory, disk, threads) is its own; call-failure
vocabulary (refused, timeouts, unavailable, rpc/HTTP client errors) is a call failure, and
so is an access log line (method, path, status: the request failed, not why); anything
else (exceptions, panics, assertion failures) is the emitter's own.
"""

from __future__ import annotations

import re
from typing import Sequence

from aiops.analytics.mentions import TokenMatcher, most_specific, name_tokens

_OWN_RESOURCE = re.compile(
    r"pool|connection is not available|too many connections|exhausted|out ?of ?memory|outofmemory|\boom|"
    r"heap space|gc overhead|no space left|disk (is )?full|quota exceeded|enospc|too many open files|"
    r"unable to create (new )?native thread|rejected ?execution",
    re.IGNORECASE,
)
_CALL_FAILURE = re.compile(
    r"refused|could not (call|connect|reach)|failed to (call|connect|reach|dial)|cannot connect|dial tcp|"
    r"socket|timed? ?out|timeout|deadline|unavailable|unreachable|reset by peer|connection (reset|closed)|"
    r"broken pipe|upstream|downstream|rpc error|httpservererror|httpclienterror|bad gateway|gateway time|"
    r"circuit|econn|no route to host|no such host|name resolution|status(code)?\W{0,3}5\d\d|"
    r"\b50[234]\b|remote (end|host|server)|feign|retry|retries",
    re.IGNORECASE,
)


# An access log: the server's record of a request it answered (method, path, status, time
# taken). At error level it says the request failed, not why — a symptom, like an error
# rate, whatever made it fail.
_ACCESS_LOG = re.compile(
    r"request (complete|completed|finished|served|handled)|http\.(resp|response)\.status|"
    r"\bstatus(_?code)?=|\bhttp_status|\b(http\.req\.)?method=|\btook_ms=|"
    r"\"(GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS) \S+ HTTP/",
    re.IGNORECASE,
)


class ErrorOrigin:
    """Classifies error texts of services among `known_services`."""

    def __init__(self, known_services: Sequence[str]) -> None:
        self._tokens = {s: name_tokens(s) for s in known_services}
        every = {t for toks in self._tokens.values() for t in toks}
        self._matcher = TokenMatcher(every) if every else None

    def names_other(self, text: str, emitter: str) -> str:
        """The other known service `text` names ('' when none)."""
        if self._matcher is None:
            return ""
        present = self._matcher.present(text)
        if not present:
            return ""
        named = most_specific(self._tokens, present, emitter, self._tokens.get(emitter, name_tokens(emitter)))
        return named[0] if named else ""

    def origin(self, text: str, emitter: str) -> str:
        """'call' when the text reports a failed call into a dependency, else 'own'."""
        if self.names_other(text, emitter):
            return "call"
        if _OWN_RESOURCE.search(text):
            return "own"
        if _CALL_FAILURE.search(text) or _ACCESS_LOG.search(text):
            return "call"
        return "own"
