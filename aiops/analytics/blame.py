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


# An access log: the record of a request (method, path, status, time taken). At error level
# it says the request failed, not why — a symptom, like an error rate, whatever made it fail.
# Recognised by its structure, in whatever common format it is written (values may already
# be masked as <*> in a template):
#   combined/common log format, envoy's text format: "GET /x HTTP/1.1" 502 ...
#   plain: GET /api/v1/orders 502 13ms
#   key=value (logfmt, OTel names) and JSON (nginx, envoy): method / path|uri|url /
#   status|status_code|response_code / duration|took|latency|elapsed|request_time, with any prefix
# It must show a method and a status, and a path or a duration.
_VERB = r"(?:GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS|CONNECT|TRACE)"
_MASK = r"<\*>"
_STATUS = r"(?:[1-5]\d\d|" + _MASK + r")(?![\w.])"


def _keyed(names: str, value: str) -> re.Pattern[str]:
    """`name=value`, `name: value`, `"name": "value"`, the name with any prefix (http.req.method)."""
    return re.compile(r"(?i)(?<![\w.-])[\"']?(?:[\w.-]*[._-])?(?:" + names + r")[\"']?\s*[:=]\s*[\"']?(?:" + value + ")")


_METHOD_KEY = _keyed(r"method|http_?method|request_?method|verb", _VERB + "(?![A-Za-z])|" + _MASK)
_PATH_KEY = _keyed(r"path|uri|url|target|route|request_?uri|request_?path", r"/|https?://|" + _MASK)
_STATUS_KEY = _keyed(r"status|status_?code|statuscode|response_?code|http_?status|http_?code", _STATUS)
_DURATION_KEY = _keyed(r"duration(?:_?ms)?|took(?:_?ms)?|latency(?:_?ms)?|elapsed(?:_?ms)?|request_?time|"
                       r"response_?time|upstream_?response_?time|time_?ms|rt|urt",
                       r"\d|\.\d|" + _MASK)
_REQUEST = re.compile(r"(?<![\w/])" + _VERB + r"\s+(?:/|https?://|" + _MASK + ")")          # GET /x
_STATUS_AFTER = re.compile(r"HTTP/\d(?:\.\d)?[\"']?\s+" + _STATUS + "|"                     # ...HTTP/1.1" 502
                           r"(?<![\w/])" + _VERB + r"\s+\S+\s+" + _STATUS)                     # GET /x 502
_DURATION = re.compile(r"(?<![\w.])(?:\d+(?:\.\d+)?|" + _MASK + r")\s?(?:ms|s|us|µs)(?![\w])")


def is_access_log(text: str) -> bool:
    """Does `text` record a request by its structure: a method and a status, with a path or a
    duration, in any of the common access-log formats (see above)?"""
    request = _REQUEST.search(text)
    method = request is not None or _METHOD_KEY.search(text) is not None
    if not method or not (_STATUS_AFTER.search(text) or _STATUS_KEY.search(text)):
        return False
    return request is not None or bool(_PATH_KEY.search(text) or _DURATION_KEY.search(text) or _DURATION.search(text))


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
        if _CALL_FAILURE.search(text) or is_access_log(text):
            return "call"
        return "own"
