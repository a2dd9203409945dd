"""Log analytics for the diagnosis engine: which log templates changed after the onset.

Messages are mined into templates (`aiops.analytics.logtemplates`: header fields
recognised, the message mined under its level), then every (service,
template) pair is compared between the baseline `[window_start, baseline_end)` and the
incident `[baseline_end, window_end]`:

- rate up: a quasi-Poisson upper-tail test of the count after the onset against the
  baseline rate (0.5 pseudo-count, so a template never seen before has a small but
  non-zero expectation); overdispersion is estimated from the baseline's per-bin counts,
  so bursty chatter does not look significant;
- new: no line of the pair before the onset;
- error: the template reads like an error (exception, error, failed, timeout, refused,
  panic, traceback, OOM, 5xx status, ...) and most of its lines do not carry a level the
  logger stated below error (warning, info, debug: a GC log's "Allocation Failure" is a warning),
  or >= 30 % of its lines carry an error level;
- rate down / vanished: a steady template that drops or stops (a heartbeat that stops is
  often the first sign of a hang);
- pooled: a service's own error templates (an error code or reason that varies per request),
  none of which stands out alone, tested as one count (`_pooled_errors`).

Each reported pair becomes a `Finding(kind="log", signal=<template id>)` with a score in
[0, 1]: significance `1 - 10**(-x/10)` for `x = -log10(p)` (p = 1e-3 -> 0.5, 1e-10 -> 0.9)
times a weight that puts new error templates first, then other error increases, new
templates, plain increases and decreases last.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from aiops.analytics.blame import ErrorOrigin
from aiops.analytics.categorical import factorize
from aiops.analytics.logminer import DEFAULT_SIM_THRESHOLD
from aiops.analytics.logtemplates import LogTemplater, spread_sample
from aiops.domain import Finding

MILD_LEVELS = frozenset({"warn", "warning", "w", "info", "information", "informational", "i", "notice", "debug", "d",
                         "trace", "verbose"})
ERROR_LEVELS = frozenset(
    {"error", "err", "e", "fatal", "f", "critical", "crit", "panic", "emerg", "emergency", "alert", "severe"}
)
_ERROR_TEXT = re.compile(
    r"exception|error|\berr\b|fail|fatal|panic|traceback|timed? ?out|timeout|refused|unreachable|"
    r"unavailable|denied|forbidden|crash|\bkilled\b|\boom|oomkill|out of ?memory|outofmemory|deadlock|"
    r"abort|segfault|segmentation fault|broken pipe|reset by peer|no route to host|"
    r"^[EF]\d{4}\b|\b(?:E|F)\s*\|",
    re.IGNORECASE,
)
_HTTP_5XX = re.compile(
    r"(?:\bstatus(?:[_ ]?code)?|\bcode|\bHTTP/\d(?:\.\d)?\"?)\s*[=:]?\s*\"?5\d\d\b|\b5\d\d (?:Internal|Bad Gateway|Service Unavailable|Gateway Time)",
    re.IGNORECASE,
)
ALPHA = 1e-3              # significance needed to report a rate change
ERROR_ALPHA = 1e-2        # ... of an error template
_BASELINE_BINS = 20
_WEIGHTS = {"new_error": 1.0, "error": 0.85, "new": 0.7, "increase": 0.55, "decrease": 0.4}


@dataclass(frozen=True)
class MinedMessages:
    """Template of each message: `codes[i]` indexes `template_ids` and `templates`."""

    codes: np.ndarray
    template_ids: tuple[str, ...]
    templates: tuple[str, ...]


@dataclass(frozen=True)
class TemplateRates:
    """Counts per (service, template) pair and time bin; pairs without lines are absent."""

    services: tuple[str, ...]
    template_ids: tuple[object, ...]
    pair_service: np.ndarray      # index into services, one per pair
    pair_template: np.ndarray     # index into template_ids, one per pair
    counts: np.ndarray            # shape (pairs, bins), int64
    edges: np.ndarray             # bin edges, shape (bins + 1,)


def mine_messages(messages: Sequence[str], sim_threshold: float = DEFAULT_SIM_THRESHOLD) -> MinedMessages:
    """Mine templates over all messages (headers recognised as in `aiops logs templates`,
    `aiops.analytics.logtemplates`); shapes sharing a final template share a code."""
    texts_in = ["" if m is None else str(m) for m in messages]
    templater = LogTemplater(spread_sample(texts_in), sim_threshold)
    add = templater.add
    shapes = np.fromiter((add(m) for m in texts_in), dtype=np.int64, count=len(texts_in))
    miner = templater.miner
    shape_ids = miner.template_ids()
    code_of: dict[str, int] = {}
    ids: list[str] = []
    texts: list[str] = []
    remap = np.empty(max(len(shape_ids), 1), dtype=np.int64)
    for c, tid in enumerate(shape_ids):
        if tid not in code_of:
            code_of[tid] = len(ids)
            ids.append(tid)
            texts.append(miner.template_of(c))
        remap[c] = code_of[tid]
    return MinedMessages(remap[shapes] if len(shapes) else np.zeros(0, np.int64), tuple(ids), tuple(texts))


def template_rates(template_ids: Sequence[object], ts: Sequence[float], services: Sequence[str], bins: int | Sequence[float]) -> TemplateRates:
    """Lines per (service, template, bin). `bins` is a number of equal bins over the data
    or the bin edges; lines outside the edges are left out (the last edge is inclusive)."""
    t = np.asarray(ts, dtype=float)
    _same_length(t, template_ids=template_ids, services=services)
    edges = _edges(t, bins)
    n_bins = len(edges) - 1
    idx = np.searchsorted(edges, t, side="right") - 1
    idx[t == edges[-1]] = n_bins - 1
    keep = (idx >= 0) & (idx < n_bins)
    s_codes, s_names = factorize(services)
    t_codes, t_names = factorize(template_ids)
    pair = s_codes[keep] * max(len(t_names), 1) + t_codes[keep]
    uniq, inverse = np.unique(pair, return_inverse=True)
    counts = np.bincount(inverse * n_bins + idx[keep], minlength=len(uniq) * n_bins).reshape(len(uniq), n_bins)
    width = max(len(t_names), 1)
    return TemplateRates(tuple(s_names), tuple(t_names), uniq // width, uniq % width, counts.astype(np.int64), edges)


def is_error_text(text: str) -> bool:
    """Does a template or message read like an error (words, glog E/F prefix, HTTP 5xx)?"""
    return bool(_ERROR_TEXT.search(text) or _HTTP_5XX.search(text))


def analyse_logs(
    ts: Sequence[float],
    services: Sequence[str],
    messages: Sequence[str],
    levels: Sequence[str] | None,
    baseline_end: float,
    window_end: float,
    *,
    window_start: float | None = None,
    pods: Sequence[str] | None = None,
    sim_threshold: float = DEFAULT_SIM_THRESHOLD,
    max_findings: int = 50,
    mined: MinedMessages | None = None,
    known_services: Sequence[str] = (),
) -> list[Finding]:
    """Ranked log findings (best first): new/increased error templates, other rate changes.

    `levels` and `pods` may be None or hold '' where unknown. Pass `mined` (from
    `mine_messages(messages)`) to reuse templates already mined. Error templates are tagged
    "own" (the service's own failure) or "call" (a failed call into a dependency, see
    `aiops.analytics.blame`); `known_services` lets a line that names another service count
    as a call failure. Returns [] when there are
    no lines or no baseline (`window_start` defaults to the first line's time).
    """
    t = np.asarray(ts, dtype=float)
    _same_length(t, services=services, messages=messages, levels=levels, pods=pods)
    if len(t) == 0:
        return []
    start = float(np.nanmin(t)) if window_start is None else float(window_start)
    if not start < baseline_end < window_end:
        return []
    if mined is None:
        mined = mine_messages(messages, sim_threshold)
    elif len(mined.codes) != len(t):
        raise ValueError(f"mined has {len(mined.codes)} codes but ts has {len(t)}")
    ctx = _Context(t, messages, pods, mined, baseline_end,
                   baseline_end - start, window_end - baseline_end, origin=ErrorOrigin(known_services))
    s_codes, ctx.services = factorize(services)
    n_templates = len(ctx.mined.template_ids)
    rows = np.flatnonzero((t >= start) & (t <= window_end))
    pair = s_codes[rows] * n_templates + ctx.mined.codes[rows]
    after = t[rows] >= baseline_end
    size = len(ctx.services) * n_templates
    n_before = np.bincount(pair[~after], minlength=size)
    n_after = np.bincount(pair[after], minlength=size)
    err_level, mild_level = _levels(levels, rows)
    err_share = np.bincount(pair, weights=err_level, minlength=size) / np.maximum(n_before + n_after, 1)
    mild_share = np.bincount(pair, weights=mild_level, minlength=size) / np.maximum(n_before + n_after, 1)
    lam = (n_before + 0.5) * ctx.t_incident / ctx.t_baseline
    phi = _dispersion(pair[~after], t[rows][~after], start, baseline_end, size)
    p_up = _upper_tail(n_after, lam, phi)
    p_down = _lower_tail(n_after, lam, phi)
    ratio = (n_after / ctx.t_incident) / ((n_before + 0.5) / ctx.t_baseline)
    text_error = np.array([is_error_text(x) for x in ctx.mined.templates], dtype=bool)[np.arange(size) % n_templates]

    # An error template may speak with less evidence than any other line, but it still has to
    # stand out against its own baseline: with a short baseline, a rare template that simply
    # had no occasion to appear yet is not new.
    rising = (n_after > 0) & (ratio >= 1.5) & ((p_up < ALPHA) | (text_error & (p_up < ERROR_ALPHA)))
    falling = (n_before >= 10) & (ratio <= 0.5) & (p_down < ALPHA) & ~text_error
    order = np.argsort(pair, kind="stable")
    bounds = np.searchsorted(pair[order], np.arange(size + 1))
    findings = []
    for p in np.flatnonzero(rising | falling):
        stats = _PairStats(
            service=ctx.services[p // n_templates], code=int(p % n_templates), rows=rows[order[bounds[p]:bounds[p + 1]]],
            n_before=int(n_before[p]), n_after=int(n_after[p]), phi=float(phi[p]), ratio=float(ratio[p]),
            p_value=float(p_up[p] if rising[p] else p_down[p]), text_error=bool(text_error[p]), error_share=float(err_share[p]),
            mild_share=float(mild_share[p]),
        )
        finding = _finding(ctx, stats, rising=bool(rising[p]))
        if finding is not None:
            findings.append(finding)
    erring = (err_share >= 0.3) | (text_error & (mild_share < 0.5))
    findings += _pooled_errors(ctx, erring & (n_after > 0), n_before, n_after, phi, rows[order], bounds,
                               n_templates, {f.service for f in findings if "error" in f.tags})
    findings.sort(key=lambda f: (-f.score, f.service, f.signal))
    return findings[:max_findings]


def _pooled_errors(ctx: _Context, erring: np.ndarray, n_before: np.ndarray, n_after: np.ndarray, phi: np.ndarray,
                   rows_by_pair: np.ndarray, bounds: np.ndarray, n_templates: int, reported: set[str]) -> list[Finding]:
    """A service's errors spread over several templates (an error code, a status or a reason
    that varies per request), none frequent enough to stand out alone, stand out together:
    per service without an error finding, its error templates that appeared after the onset
    are tested as one count (the most dispersed member's dispersion) where most of their lines
    after the onset report its own failure (`blame`; a call failure is what a line must show, so
    a tie is its own): failed calls repeat up the call chain, plenty where they count."""
    groups: dict[int, list[int]] = {}
    for p in np.flatnonzero(erring):
        s = int(p // n_templates)
        if ctx.services[s] not in reported:
            groups.setdefault(s, []).append(int(p))
    out = []
    for s, members in sorted(groups.items()):
        if len(members) < 2:
            continue          # one template alone was judged on its own
        calls = sum(int(n_after[p]) for p in members
                    if ctx.origin.origin(ctx.mined.templates[p % n_templates], ctx.services[s]) == "call")
        before, after = int(n_before[members].sum()), int(n_after[members].sum())
        if 2 * calls > after:
            continue          # failed calls: they repeat up the call chain, plenty where they count
        dispersion = float(phi[members].max())
        lam = np.array([(before + 0.5) * ctx.t_incident / ctx.t_baseline])
        p_up = float(_upper_tail(np.array([after]), lam, np.array([dispersion]))[0])
        ratio = (after / ctx.t_incident) / ((before + 0.5) / ctx.t_baseline)
        if ratio < 1.5 or p_up >= ERROR_ALPHA:
            continue
        top = max(members, key=lambda p: (int(n_after[p]), -p))
        rows = np.sort(np.concatenate([rows_by_pair[bounds[p]:bounds[p + 1]] for p in members]))
        times = ctx.t[rows]
        new = before == 0
        tid, template = ctx.mined.template_ids[top % n_templates], ctx.mined.templates[top % n_templates]
        shown = template if len(template) <= 120 else template[:117] + "..."
        service = ctx.services[s]
        what = "new error logs" if new else "error log rate up"
        out.append(Finding(
            kind="log", service=service, signal="errors/own", score=_score(p_up, "new_error" if new else "error"),
            summary=(f'{what} in {service}: {len(members)} error templates together, e.g. "{shown}" '
                     f"{_counts(ctx, before, after)}"),
            onset=_rise_start(ctx, times, before, dispersion), direction=1, magnitude=float(ratio),
            component=_component(ctx.pods, rows[times >= ctx.baseline_end]),
            ref=f"log_template:{tid}", tags=("error", "new" if new else "increase", "own", "pooled"),
        ))
    return out


@dataclass
class _Context:
    t: np.ndarray
    messages: Sequence[str]
    pods: Sequence[str] | None
    mined: MinedMessages
    baseline_end: float
    t_baseline: float
    t_incident: float
    origin: ErrorOrigin
    services: list[str] | None = None


@dataclass(frozen=True)
class _PairStats:
    service: str
    code: int
    rows: np.ndarray          # indices of the pair's lines in the window, input order
    n_before: int
    n_after: int
    phi: float
    ratio: float
    p_value: float
    text_error: bool
    error_share: float
    mild_share: float = 0.0


def _finding(ctx: _Context, s: _PairStats, rising: bool) -> Finding | None:
    tid, template = ctx.mined.template_ids[s.code], ctx.mined.templates[s.code]
    times = ctx.t[s.rows]
    later = s.rows[times >= ctx.baseline_end]
    shown_rows = later if len(later) else s.rows
    examples = [str(ctx.messages[i]) for i in shown_rows[:5]]
    reads = s.text_error or 2 * sum(map(is_error_text, examples)) >= max(len(examples), 1)
    error = s.error_share >= 0.3 or (reads and s.mild_share < 0.5)
    new = s.n_before == 0
    if rising:
        kind = ("new_error" if new else "error") if error else ("new" if new else "increase")
        onset = _rise_start(ctx, times, s.n_before, s.phi)
        blame = (ctx.origin.origin(template, s.service),) if error else ()
        tags = (("error",) if error else ()) + (("new",) if new else ("increase",)) + blame
        what = {"new_error": "new error log", "error": "error log rate up", "new": "new log", "increase": "log rate up"}[kind]
    else:
        if error:
            return None  # fewer errors is not a cause
        kind = "decrease"
        before = times[times < ctx.baseline_end]
        vanished = s.n_after == 0
        onset = float(before.max()) if vanished and len(before) else ctx.baseline_end
        tags = ("vanished",) if vanished else ("decrease",)
        what = "log stopped" if vanished else "log rate down"
    shown = template if len(template) <= 160 else template[:157] + "..."
    summary = f'{what} in {s.service}: "{shown}" {_counts(ctx, s.n_before, s.n_after)}'
    return Finding(
        kind="log", service=s.service, signal=tid, score=_score(s.p_value, kind), summary=summary,
        onset=onset, direction=1 if rising else -1, magnitude=s.ratio, component=_component(ctx.pods, shown_rows),
        ref=f"log_template:{tid}", tags=tags,
    )


def _score(p_value: float, kind: str) -> float:
    """Significance `1 - 10**(-x/10)` for `x = -log10(p)`, times the weight of the kind of change."""
    x = min(-np.log10(max(p_value, 1e-300)), 300.0)
    return float(np.clip((1.0 - 10.0 ** (-x / 10.0)) * _WEIGHTS[kind], 0.0, 1.0))


def _counts(ctx: _Context, n_before: int, n_after: int) -> str:
    """The lines before and after the onset, and their rates, as a finding's summary shows them."""
    rate_b, rate_a = 60.0 * n_before / ctx.t_baseline, 60.0 * n_after / ctx.t_incident
    return f"({n_before} lines before onset, {n_after} after; {rate_b:.2g}/min -> {rate_a:.2g}/min)"


def _rise_start(ctx: _Context, times: np.ndarray, n_before: int, phi: float) -> float:
    """When lines rose: the first one of lines never seen before the onset, else where their
    rate first stands out (`_rise_onset`)."""
    if n_before == 0:
        return float(times.min())
    return _rise_onset(times, ctx.baseline_end, n_before / ctx.t_baseline, phi)


def _rise_onset(times: np.ndarray, baseline_end: float, base_rate: float, phi: float) -> float:
    """Start of the first stretch after `baseline_end` whose count is clearly above the
    baseline rate, refined to the first line in it; `baseline_end` if none stands out."""
    later = np.sort(times[times >= baseline_end])
    if len(later) == 0:
        return baseline_end
    span = max(later[-1] - baseline_end, 1e-9)
    width = span / 20.0
    counts = np.bincount(np.minimum(((later - baseline_end) / width).astype(np.int64), 19), minlength=20)
    expected = base_rate * width
    loud = np.flatnonzero(counts > expected + 3.0 * np.sqrt(phi * max(expected, 0.5)))
    if len(loud) == 0:
        return baseline_end
    first_bin_start = baseline_end + loud[0] * width
    return float(later[np.searchsorted(later, first_bin_start)])


def _dispersion(pair: np.ndarray, times: np.ndarray, start: float, end: float, size: int) -> np.ndarray:
    """Variance/mean of per-bin baseline counts per pair, at least 1 (1 where unknown)."""
    phi = np.ones(size)
    if len(pair) == 0:
        return phi
    b = np.minimum(((times - start) / ((end - start) / _BASELINE_BINS)).astype(np.int64), _BASELINE_BINS - 1)
    uniq, inverse = np.unique(pair, return_inverse=True)
    counts = np.bincount(inverse * _BASELINE_BINS + b, minlength=len(uniq) * _BASELINE_BINS).reshape(-1, _BASELINE_BINS)
    mean = counts.mean(axis=1)
    var = counts.var(axis=1, ddof=1)
    phi[uniq] = np.clip(np.where(mean > 0, var / np.maximum(mean, 1e-12), 1.0), 1.0, 100.0)
    return phi


def _upper_tail(k: np.ndarray, lam: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """P(X >= k) for quasi-Poisson X (mean lam, variance phi*lam); 1 where k == 0."""
    from scipy.special import gammainc

    out = np.ones(len(k))
    pos = k > 0
    out[pos] = gammainc(k[pos] / phi[pos], lam[pos] / phi[pos])
    return out


def _lower_tail(k: np.ndarray, lam: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """P(X <= k) for quasi-Poisson X (mean lam, variance phi*lam)."""
    from scipy.special import gammaincc

    return gammaincc(k / phi + 1.0, lam / phi)


def _levels(levels: Sequence[str] | None, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per line: 1.0 where its level is an error level, and 1.0 where it is a stated level below
    error (warning, info, debug), else 0.0 (levels factorised first)."""
    if levels is None:
        return np.zeros(len(rows)), np.zeros(len(rows))
    codes, names = factorize(levels)
    lower = [str(n).strip().lower() for n in names]
    is_error = np.array([n in ERROR_LEVELS for n in lower], dtype=float)
    is_mild = np.array([n in MILD_LEVELS for n in lower], dtype=float)
    return is_error[codes[rows]], is_mild[codes[rows]]


def _component(pods: Sequence[str] | None, rows: np.ndarray) -> str:
    if pods is None or len(rows) == 0:
        return ""
    codes, names = factorize([pods[i] for i in rows])
    best = names[int(np.argmax(np.bincount(codes)))]
    return f"pod/{best}" if best else ""


def _edges(t: np.ndarray, bins: int | Sequence[float]) -> np.ndarray:
    if np.isscalar(bins):
        n = int(bins)  # type: ignore[arg-type]
        if n < 1:
            raise ValueError(f"bins must be >= 1, got {bins!r}")
        lo, hi = (float(np.nanmin(t)), float(np.nanmax(t))) if np.isfinite(t).any() else (0.0, 1.0)
        return np.linspace(lo, hi if hi > lo else lo + 1.0, n + 1)
    edges = np.asarray(bins, dtype=float)
    if edges.ndim != 1 or len(edges) < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError("bin edges must be an increasing 1-d sequence of at least 2 values")
    return edges


def _same_length(t: np.ndarray, **columns: Sequence[object] | None) -> None:
    for name, column in columns.items():
        if column is not None and len(column) != len(t):
            raise ValueError(f"{name} has {len(column)} values but ts has {len(t)}")
