"""Log templates around a release: which ones are new, which ones surge.

Every line of the compared windows (the baseline before the release, the window after it,
and the same hours on previous days when given) is mined into templates
(`aiops.analytics.logs.mine_messages`). Per (service, template):

- baseline rate: lines in the baseline and previous-day windows over their total length
  (a 0.5 pseudo-count, so a template never seen has a small but non-zero rate);
- new: no line of it in any baseline window — a template yesterday's same hour had is not
  new even if the last hour was quiet;
- surge ratio: after rate / baseline rate;
- p, for a template that is frequent in the baseline (lines in at least half of its
  minutes): quasi-Poisson upper tail of the after count given the baseline rate,
  overdispersion estimated from the baseline's per-minute counts (bursty chatter is not
  significant). For a rare or new template, error lines come in bursts (a retry loop, one
  request logging three times), so lines are not independent: the test counts *active
  minutes* (minutes with at least one line) instead, Poisson against the baseline's share
  of active minutes — three lines in one second are one event, not three. Every template
  seen after the release is a test, so p is Bonferroni-adjusted by their number: the
  alpha of the gate is the chance that *some* template of an ordinary release trips it;
- class: `error` (error level on >= 30 % of lines, or error words: exception, failed,
  timeout, panic, 5xx ...), `warning` (warning level or a WARN word), else `info`.

`grade_template` turns one change into pass / warn / fail with a `LogGate`: a new error
template fails when it is significant and has at least `min_lines` lines; a surging error
template warns at `surge_warn` and fails at `surge_fail`; warnings can only warn; info
templates never change the verdict (a release may log new things).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np

from aiops.analytics.categorical import factorize
from aiops.analytics.logs import ERROR_LEVELS, MinedMessages, is_error_text, mine_messages
from aiops.analytics.release_compare import Status, dispersion, poisson_upper

LogClass = Literal["error", "warning", "info"]
WARNING_LEVELS = frozenset({"warn", "warning", "w"})
_WARNING_TEXT = re.compile(r"\bwarn(ing)?\b|\bWRN\b", re.IGNORECASE)
MIN_RATIO = 1.5            # changes below this surge ratio are not reported
BIN_S = 60.0               # per-minute counts for the dispersion estimate


@dataclass(frozen=True)
class TemplateChange:
    service: str
    template_id: str
    template: str
    log_class: LogClass
    n_before: int              # lines in the baseline window
    n_history: int             # lines in the previous days' windows
    n_after: int
    minutes_after: int         # minutes after the release with at least one line
    rate_before: float         # expected lines per minute (baseline, or the same hours on previous days)
    rate_after: float
    ratio: float               # rate_after / rate_before (pseudo-count before)
    p_value: float             # Bonferroni-adjusted over the templates seen after the release
    new: bool
    first_after: float         # time of the first line after the release
    examples: tuple[str, ...]


@dataclass(frozen=True)
class LogGate:
    alpha: float
    min_lines: int             # lines after the release before a template can warn or fail
    surge_warn: float
    surge_fail: float


Window = tuple[float, float]


def compare_log_templates(ts: Sequence[float], services: Sequence[str], messages: Sequence[str],
                          levels: Sequence[str] | None, before: Window, after: Window,
                          history: Sequence[tuple[Window, Window]] = (), *, mined: MinedMessages | None = None,
                          min_ratio: float = MIN_RATIO) -> list[TemplateChange]:
    """New or surging templates after the release, most significant first.

    Windows are half-open (start, end) pairs in unix seconds; `history` holds the
    (before, after) windows of previous days. Lines outside every window are ignored.
    `levels` may be None or hold '' where unknown. The expected rate after the release is
    the pooled baseline rate, or the rate the same after-hours had on previous days when
    that is higher (a template that comes every day at this hour is no surprise)."""
    t = np.asarray(ts, dtype=float)
    for name, col in (("services", services), ("messages", messages), ("levels", levels)):
        if col is not None and len(col) != len(t):
            raise ValueError(f"{name} has {len(col)} values but ts has {len(t)}")
    windows = [before, *(w for day in history for w in day), after]     # the last one is "after"
    last = len(windows) - 1
    which = np.full(len(t), -1, dtype=np.int64)
    for i, (lo, hi) in enumerate(windows):
        which[(t >= lo) & (t < hi)] = i
    keep = np.flatnonzero(which >= 0)
    if len(keep) == 0 or not (which == last).any():
        return []
    if mined is None:
        mined = mine_messages([messages[i] for i in keep])
        codes = mined.codes
    else:
        codes = mined.codes[keep]
    s_codes, s_names = factorize([services[i] for i in keep])
    n_tpl = max(len(mined.template_ids), 1)
    pair = s_codes * n_tpl + codes
    size = len(s_names) * n_tpl
    tk, wk = t[keep], which[keep]
    counts = np.bincount(pair * len(windows) + wk, minlength=size * len(windows)).reshape(size, len(windows))
    minute = ((tk - np.array([w[0] for w in windows])[wk]) // BIN_S).astype(np.int64)
    width = int(minute.max()) + 1
    active_keys = np.unique((pair * len(windows) + wk) * width + minute) // width
    minutes = np.bincount(active_keys, minlength=size * len(windows)).reshape(size, len(windows))
    lengths = np.array([(hi - lo) / 60.0 for lo, hi in windows])
    same_hours = np.arange(2, last, 2)                                 # previous days' after windows
    n_after, m_after, t_after = counts[:, last], minutes[:, last], lengths[last]
    n_base, m_base, t_base = counts[:, :last].sum(axis=1), minutes[:, :last].sum(axis=1), lengths[:last].sum()

    def expected(x: np.ndarray, pooled: np.ndarray) -> np.ndarray:       # per minute after the release
        rate = (pooled + 0.5) / t_base
        if len(same_hours):
            rate = np.maximum(rate, (x[:, same_hours].sum(axis=1) + 0.5) / lengths[same_hours].sum())
        return rate

    rate_lines = expected(counts, n_base)
    is_before = wk == 0
    phi = _baseline_dispersion(pair[is_before], tk[is_before], before, size)
    p_lines = poisson_upper(n_after, rate_lines * t_after, phi)
    p_minutes = poisson_upper(m_after, expected(minutes, m_base) * t_after)
    tests = max(int((n_after > 0).sum()), 1)
    p = np.minimum(np.where(m_base >= 0.5 * t_base, p_lines, p_minutes) * tests, 1.0)
    ratio = (n_after / t_after) / rate_lines
    level_err, level_warn = _level_shares(levels, keep, pair, size)
    candidates = np.flatnonzero((n_after > 0) & (ratio >= min_ratio))
    order = np.argsort(pair, kind="stable")
    bounds = np.searchsorted(pair[order], np.arange(size + 1))
    is_after = wk == last
    out = []
    for c in candidates:
        code = int(c % n_tpl)
        template = mined.templates[code]
        rows = order[bounds[c]:bounds[c + 1]]
        later = rows[is_after[rows]]
        examples = tuple(str(messages[keep[i]]) for i in later[:3])
        out.append(TemplateChange(
            service=str(s_names[c // n_tpl]), template_id=mined.template_ids[code], template=template,
            log_class=_classify(template, examples, level_err[c], level_warn[c]), n_before=int(counts[c, 0]),
            n_history=int(n_base[c] - counts[c, 0]), n_after=int(n_after[c]), minutes_after=int(m_after[c]),
            rate_before=float(rate_lines[c]), rate_after=float(n_after[c] / t_after), ratio=float(ratio[c]),
            p_value=float(p[c]), new=bool(n_base[c] == 0), first_after=float(tk[later].min()), examples=examples))
    out.sort(key=lambda x: (x.p_value, -x.n_after, x.service, x.template_id))
    return out


def grade_template(change: TemplateChange, gate: LogGate) -> Status:
    """pass / warn / fail for one template change (see the module docstring)."""
    if not change.p_value < gate.alpha or change.n_after < gate.min_lines or change.log_class == "info":
        return "pass"
    if change.log_class == "warning":
        return "warn" if change.new or change.ratio >= gate.surge_warn else "pass"
    if change.new or change.ratio >= gate.surge_fail:
        return "fail"
    return "warn" if change.ratio >= gate.surge_warn else "pass"


def _classify(template: str, examples: tuple[str, ...], error_share: float, warning_share: float) -> LogClass:
    if error_share >= 0.3 or is_error_text(template) or (examples and 2 * sum(map(is_error_text, examples)) > len(examples)):
        return "error"
    if warning_share >= 0.3 or _WARNING_TEXT.search(template):
        return "warning"
    return "info"


def _level_shares(levels: Sequence[str] | None, keep: np.ndarray, pair: np.ndarray, size: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    if levels is None:
        return np.zeros(size), np.zeros(size)
    codes, names = factorize([levels[i] for i in keep])
    low = [str(n).strip().lower() for n in names]
    err = np.array([n in ERROR_LEVELS for n in low], dtype=float)[codes]
    warn = np.array([n in WARNING_LEVELS for n in low], dtype=float)[codes]
    total = np.maximum(np.bincount(pair, minlength=size), 1)
    return np.bincount(pair, weights=err, minlength=size) / total, np.bincount(pair, weights=warn, minlength=size) / total


def _baseline_dispersion(pair: np.ndarray, times: np.ndarray, window: tuple[float, float], size: int) -> np.ndarray:
    phi = np.ones(size)
    n_bins = int((window[1] - window[0]) // BIN_S)
    if len(pair) == 0 or n_bins < 2:
        return phi
    b = np.minimum(((times - window[0]) // BIN_S).astype(np.int64), n_bins - 1)
    uniq, inverse = np.unique(pair, return_inverse=True)
    counts = np.bincount(inverse * n_bins + b, minlength=len(uniq) * n_bins).reshape(-1, n_bins)
    phi[uniq] = dispersion(counts)
    return phi
