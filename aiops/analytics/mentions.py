"""Which dependency do error logs blame? Services named in other services' error lines.

Real error lines name what failed: `dial tcp mysql:3306: connect: connection refused`,
`failed to call productcatalog`, `MongoSocketOpenException` in a contacts service backed by
`contacts-mongo`. A service that is suddenly named in the error lines of *other* services
after the onset is a suspect, and those services' errors are explained by it — which
matters most for dependencies that emit no telemetry of their own (databases, caches).

The rise must be significant against the baseline (a quasi-Poisson upper tail whose
dispersion comes from the baseline's per-bin counts, so bursty background errors do not
count); score = significance x size (lines) x breadth (emitters). Every emitter whose error
lines name a service after the onset (at least MIN_AFTER of them) is returned as depending on
it, rise or not: a line that names what failed says the emitter calls it (a fault already
under way in a short baseline names it before the onset too).

A service is mentioned when every distinctive token of its name that the emitter's own
name lacks appears in the line (tokens of 4+ characters may match a word prefix, shorter
ones must match a whole word), written as a name: in lower case or as the head of a
CamelCase identifier (`ProductCatalogService`), not as a capitalised word of prose or a
class name (`Seat map for trip`, `Order.getId()`); generic tokens (service, server, api,
...) never count.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from aiops.analytics.baseline import UNCOMPARED_WEIGHT, short_baseline
from aiops.analytics.onsets import rate_onset
from aiops.domain import Finding

GENERIC = {"ts", "service", "svc", "srv", "server", "api", "app", "backend", "v1", "v2", "v3", "prod", "stg",
           "default", "main", "k8s", "pod", "deployment", "worker", "web", "http", "grpc", "the"}
MAX_UNIQUE = 20000
MIN_AFTER = 3
ALPHA = 1e-3          # significance of the rise of mentions (quasi-Poisson, dispersion from the baseline)
_BASELINE_BINS = 20

_SPLIT = re.compile(r"[^a-z0-9]+")
# matched on the lower-cased line (an IGNORECASE alternation is ~7x slower, on every line)
_ERRORISH = re.compile(r"error|exception|fail|refused|timeout|timed out|unavailable|unreachable|denied|"
                       r"reset|broken|cannot|could not|panic|fatal")


_DIGITS = re.compile(r"\d+")


def name_tokens(service: str) -> frozenset[str]:
    """Distinctive tokens of a service name, digits folded to 0 (as messages are)."""
    return frozenset(_DIGITS.sub("0", t) for t in _SPLIT.split(service.lower()) if t and t not in GENERIC)


class TokenMatcher:
    """All name tokens in two alternations: one pass over a line finds every token in it."""

    def __init__(self, tokens: set[str]) -> None:
        longs = sorted((t for t in tokens if len(t) >= 4), key=len, reverse=True)
        shorts = sorted((t for t in tokens if len(t) < 4), key=len, reverse=True)
        self._long = re.compile(r"(?<![a-z0-9])(" + "|".join(map(re.escape, longs)) + ")", re.IGNORECASE) if longs else None
        self._short = (re.compile(r"(?<![a-z0-9])(" + "|".join(map(re.escape, shorts)) + r")(?![a-z0-9])", re.IGNORECASE)
                       if shorts else None)
        self._longs = longs

    def present(self, text: str) -> set[str]:
        found: set[str] = set()
        if self._short is not None:
            found.update(m.group(1).lower() for m in self._short.finditer(text) if _as_name(text, m.start(), m.end()))
        if self._long is not None:
            low = text.lower()
            for m in self._long.finditer(low):
                # the alternation takes the longest token at a position; shorter ones that
                # are prefixes of it (e.g. "order" in "orders") are present too
                word = low[m.start():]
                found.update(t for t in self._longs if word.startswith(t) and _as_name(text, m.start(), m.start() + len(t)))
        return found


def _as_name(text: str, start: int, end: int) -> bool:
    """Is text[start:end] written as a name: lower case (host names, URL paths, `could not
    call cart`) or the head of a CamelCase identifier (`ProductCatalogService`)? A capitalised
    word of prose or a class (`Seat map for trip`, `Order.getId()`) is not."""
    word = text[start:end]
    if word == word.lower():
        return True
    return end < len(text) and text[end].isupper()


def most_specific(tokens: dict[str, frozenset[str]], present: set[str], emitter: str,
                  own: frozenset[str]) -> list[str]:
    """Services named by a line whose tokens are `present`: those whose distinctive tokens
    (minus the emitter's own) all appear, without the ones another named service's tokens
    include (`order-other` names ts-order-other-service, not also ts-order-service)."""
    named = {svc: toks - own for svc, toks in tokens.items()
             if svc != emitter and toks - own and toks - own <= present}
    return [svc for svc, need in named.items()
            if not any(need < other for o, other in named.items() if o != svc)]


@dataclass(frozen=True)
class Mentions:
    findings: list[Finding]
    edges: dict[str, set[str]]      # emitter -> mentioned services (inferred dependencies)


def find_mentions(
    ts: Sequence[float],
    services: Sequence[str],
    messages: Sequence[str],
    levels: Sequence[str] | None,
    known_services: Sequence[str],
    baseline_end: float,
    window_start: float,
    window_end: float,
) -> Mentions:
    t = np.asarray(ts, dtype=float)
    if len(t) == 0 or not window_start < baseline_end < window_end:
        return Mentions([], {})
    lv = np.asarray(levels if levels is not None else [""] * len(t), dtype=object)
    emit = np.asarray(services, dtype=object)
    level_err = np.isin(np.char.lower(lv.astype(str)), ["error", "fatal", "critical", "warn", "warning"])
    tokens = {s: name_tokens(s) for s in known_services}
    matcher = TokenMatcher({tok for toks in tokens.values() for tok in toks})

    # Error lines (by level or by their words), as unique (emitter, message with digits
    # folded) pairs; count before/after per pair. `inv` is -1 for the other lines.
    search = _ERRORISH.search
    errorish = np.fromiter((e or search(str(m).lower()) is not None for e, m in zip(level_err.tolist(), messages)),
                           dtype=bool, count=len(t))
    rows = np.flatnonzero(errorish)
    uniq, inv_rows = _unique_pairs(emit[rows].astype(str), [messages[i] for i in rows])
    inv = np.full(len(t), -1, dtype=np.int64)
    inv[rows] = inv_rows
    after = t[rows] >= baseline_end
    n_after = np.bincount(inv_rows[after], minlength=len(uniq))
    n_before = np.bincount(inv_rows[~after], minlength=len(uniq))
    keep = np.argsort(-n_after, kind="stable")[:MAX_UNIQUE]

    per: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    keys_of: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for u in keep:
        emitter, _, text = uniq[u].partition("\x1f")
        present = matcher.present(text)
        if not present:
            continue
        own = tokens.get(emitter, name_tokens(emitter))
        for svc in most_specific(tokens, present, emitter, own):
            per[svc][emitter][0] += int(n_before[u])
            per[svc][emitter][1] += int(n_after[u])
            keys_of[svc][emitter].append(int(u))

    t_base = baseline_end - window_start
    t_inc = window_end - baseline_end
    findings: list[Finding] = []
    edges: dict[str, set[str]] = defaultdict(set)
    short = short_baseline(baseline_end, window_start)
    uncompared: list[Finding] = []
    for svc, by_emitter in per.items():
        # an emitter whose error lines name the service after the onset calls it, whether or
        # not they rose (a fault already under way in a short baseline): an inferred dependency
        for e, (_, a) in by_emitter.items():
            if a >= MIN_AFTER:
                edges[e].add(svc)
        rising = {e: (b, a) for e, (b, a) in by_emitter.items()
                  if a >= MIN_AFTER and a / t_inc >= 3.0 * (b + 0.5) / t_base}
        if not rising:
            if short:
                uncompared.extend(_named_now(svc, by_emitter, t, inv, keys_of[svc], window_start, window_end))
            continue
        total = sum(a for _, a in rising.values())
        lines = np.isin(inv, [u for e in rising for u in keys_of[svc][e]])
        p = _rise_p_value(t[lines], window_start, baseline_end, window_end)
        if p >= ALPHA:
            continue   # bursty background errors that happen to be busier now: not news
        x = min(-math.log10(max(p, 1e-300)), 300.0)
        significance = 1.0 - 10.0 ** (-x / 10.0)
        size = 1.0 - math.exp(-total / 30.0)
        breadth = min(1.0, 0.6 + 0.2 * len(rising))
        who = ", ".join(sorted(rising)[:4]) + (" ..." if len(rising) > 4 else "")
        first = rate_onset(t[lines], window_start, window_end)
        findings.append(Finding(
            kind="log", service=svc, signal="mentioned_in_errors", score=round(significance * size * breadth, 4),
            summary=f"named in {total} error lines of {len(rising)} other service(s) after the onset ({who})",
            onset=first, direction=1, magnitude=float(total), ref=f"logs mentioning {svc}",
            tags=("mentioned",)))
    # With nothing before to compare with, what stands out is how much more one service is named
    # than the others: each weighs by its share of the most named one's lines.
    most = max((f.magnitude for f in uncompared), default=0.0)
    findings.extend(replace(f, score=round(f.score * f.magnitude / most, 4)) for f in uncompared)
    findings.sort(key=lambda f: (-f.score, f.service))
    return Mentions(findings, dict(edges))


def _named_now(svc: str, by_emitter: dict[str, list[int]], t: np.ndarray, inv: np.ndarray,
               keys: dict[str, list[int]], window_start: float, window_end: float) -> list[Finding]:
    """Logs that begin under SHORT_BASELINE_S before the split often begin after the fault: a
    service named in other services' error lines all along is named now, with nothing to
    compare with (UNCOMPARED_WEIGHT; a line that always names it looks the same)."""
    named = {e: b + a for e, (b, a) in by_emitter.items() if a >= MIN_AFTER}
    if not named:
        return []
    total = sum(named.values())
    lines = np.isin(inv, [u for e in named for u in keys[e]])
    size = 1.0 - math.exp(-total / 30.0)
    breadth = min(1.0, 0.6 + 0.2 * len(named))
    who = ", ".join(sorted(named)[:4]) + (" ..." if len(named) > 4 else "")
    return [Finding(
        kind="log", service=svc, signal="mentioned_in_errors", score=round(UNCOMPARED_WEIGHT * size * breadth, 4),
        summary=f"named in {total} error lines of {len(named)} other service(s) since the logs begin ({who}; "
                f"no logs from before the onset to compare with)",
        onset=rate_onset(t[lines], window_start, window_end), direction=1, magnitude=float(total),
        ref=f"logs mentioning {svc}", tags=("mentioned", "uncompared"))]


def _unique_pairs(emitters: np.ndarray, messages: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """The sorted distinct "emitter\x1fmessage with digits folded" keys and each line's index
    into them. A dict, not numpy text arrays: those are as wide as the longest line (a
    50k-line window made four 65 MB arrays and a slow text sort). Keys compare and lose
    trailing NULs as numpy text does, so the order is np.unique's."""
    index: dict[str, int] = {}
    setdefault, sub = index.setdefault, _DIGITS.sub
    codes = np.fromiter((setdefault(f"{e}\x1f{sub('0', str(m))}".rstrip("\x00"), len(index))
                         for e, m in zip(emitters.tolist(), messages)), dtype=np.int64, count=len(emitters))
    uniq = sorted(index)
    rank = np.empty(len(uniq), dtype=np.int64)
    rank[[index[k] for k in uniq]] = np.arange(len(uniq))
    return uniq, rank[codes]


def _rise_p_value(times: np.ndarray, window_start: float, baseline_end: float, window_end: float) -> float:
    """P(at least as many lines after `baseline_end` | the baseline rate), quasi-Poisson:
    the variance/mean of the baseline's per-bin counts widens the tail for bursty lines."""
    from scipy.special import gammainc

    t_base, t_inc = baseline_end - window_start, window_end - baseline_end
    before = times[times < baseline_end]
    k = int((times >= baseline_end).sum())
    if k == 0:
        return 1.0
    bins = np.bincount(np.clip(((before - window_start) / t_base * _BASELINE_BINS).astype(np.int64), 0,
                               _BASELINE_BINS - 1), minlength=_BASELINE_BINS)
    mean = bins.mean()
    phi = float(np.clip(bins.var(ddof=1) / mean, 1.0, 100.0)) if mean > 0 else 1.0
    lam = (len(before) + 0.5) * t_inc / t_base
    return float(gammainc(k / phi, lam / phi))
