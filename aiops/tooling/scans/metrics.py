"""`metrics.scan`: every series of the window against its baseline — which shifted, since
when, by how much — plus targets whose series all went quiet together."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import replace
from typing import Any

import numpy as np

from aiops.analytics.baseline import onset_search
from aiops.analytics.changes import CHANGE_KINDS
from aiops.analytics.gaps import scan_gaps
from aiops.analytics.held import held_steps
from aiops.analytics.histograms import derive_latency
from aiops.analytics.pooling import pod_means
from aiops.analytics.shift import Z0, marginal_z, scan_shifts
from aiops.analytics.signals import SYMPTOM_CLASSES, signal_class
from aiops.analytics.units import format_quantity, metric_unit
from aiops.analytics.views import view_owners
from aiops.analytics.weighing import LATE_S
from aiops.domain import Finding
from aiops.telemetry.grids import MetricGrid, SeriesKey
from aiops.timeutil import to_rfc3339
from aiops.tooling.base import ToolContext, ToolResult
from aiops.tooling.scans.grid_edges import until_the_data_ends, without_startup

MIN_SCORE = 0.05         # weaker series are not evidence
CPU_RATIO_FULL = 2.0     # a CPU move of this factor (up or down) is news in full, log-scaled below it
TURN_FACTOR = 0.3        # a series that turned (moved against its recent level, not its usual one)
SYMPTOM_STEPS = 2        # the alerted service's own move is looked for this many samples earlier too
SYMPTOM_SCORE = 0.3      # ... and moves the search when it is at least this clear
VIEW_SHARE = 0.25        # a move of a service the callers' views show at least this share of, they saw
MAX_BUCKETS = 720        # the grid keeps the data's own sampling step up to this many points


def grid_step(span_s: float, native_s: float = 5.0) -> float:
    """The data's own sampling step, coarser only where the span would need more than
    MAX_BUCKETS points (never finer than 5 s)."""
    return float(max(native_s, 5, int(math.ceil(span_s / MAX_BUCKETS / 5.0)) * 5))


def _describe(metric: str, direction: int, rel: float, z: float, onset: float | None, pod: str,
              pooled: bool = False, before: float = math.nan, after: float = math.nan) -> str:
    """`latency_p99_seconds on pod-1 120 ms -> 2.4 s (+1900 %, robust z 31.0) since ...`: the
    medians before and after the change in the metric's unit, then the relative change."""
    where = f" on {pod}" if pod else " (mean over pods)" if pooled else ""
    if math.isfinite(rel) and abs(rel) < 100:
        change = f"{'+' if rel >= 0 else '-'}{abs(rel) * 100:.0f} %"
    else:
        change = "up" if direction > 0 else "down" if direction < 0 else "changed"
    since = f" since {to_rfc3339(onset)}" if onset is not None else ""
    if math.isfinite(rel) and abs(rel) >= 0.005 and direction and (rel > 0) != (direction > 0):
        change += f"; {'up' if direction > 0 else 'down'} against its recent level"
    unit = metric_unit(metric)
    if unit == "ratio" and max(abs(before), abs(after)) > 1.5:
        unit = ""     # a "ratio" reported in percent (availability 100): shown as it is, not x100
    was, now = format_quantity(before, unit), format_quantity(after, unit)
    if math.isfinite(before) and math.isfinite(after) and was != now:
        return f"{metric}{where} {was} → {now} ({change}, robust z {z:.1f}){since}"
    return f"{metric}{where} {change} vs baseline (robust z {z:.1f}){since}"


def _ratio(after: float, before: float) -> float:
    """after / before medians (inf from 0 to more, 1 when both 0 or unknown)."""
    if not (math.isfinite(after) and math.isfinite(before)):
        return 1.0
    if before > 0:
        return after / before
    return math.inf if after > 0 else 1.0


def with_derived_latency(grid: MetricGrid) -> MetricGrid:
    """The grid with histogram buckets and duration sums replaced by the quantile and mean
    series they encode (aiops.analytics.histograms)."""
    derived, replaced = derive_latency(grid.keys, grid.values, grid.is_rate)
    if not derived:
        return grid
    keep = ~replaced
    keys = [k for k, kept in zip(grid.keys, keep) if kept] + \
        [SeriesKey(d.metric, d.service, d.pod, d.labels) for d in derived]
    values = np.vstack([grid.values[keep]] + [d.values[None, :] for d in derived])
    is_rate = np.concatenate([grid.is_rate[keep], np.zeros(len(derived), dtype=bool)])
    return replace(grid, keys=keys, values=values, is_rate=is_rate)


QUERY = "metric_grid(window, counter rates) -> shift scan of every series"


def metrics_scan(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    w = ctx.incident.window
    span = ctx.store.metric_span(w.start, w.end)
    if span is None:
        return ToolResult("no_data", "no metric samples in the window", query=QUERY)
    lo, hi, native = span          # the grid covers the data, not a window wider than it
    step = grid_step(hi - lo, native)
    # (a new pod's warm-up is masked before histogram buckets become latency: their counters'
    # rates tell when the pod began)
    grid = with_derived_latency(without_startup(ctx.store.metric_grid(lo, hi + step, step, counter_rates=True)))
    if len(grid) == 0:
        return ToolResult("no_data", "no metric samples in the window", query=QUERY)
    grid = until_the_data_ends(grid)
    # Each pod's series, and per service the mean over its pods (continuous across rollouts).
    pod_groups = _pool_groups(grid.keys)
    pooled, groups = pod_means(grid.values, pod_groups)
    keys = list(grid.keys) + [SeriesKey(metric, service, "", labels) for metric, service, labels in groups]
    values = np.vstack([grid.values, pooled]) if len(groups) else grid.values
    hint, lead = onset_search(ctx.baseline_end, ctx.onset, w)
    families = [k.metric for k in keys]
    scan = scan_shifts(values, grid.timestamps, hint, step=grid.step, families=families, lead_s=lead)
    _since_the_symptom(ctx, scan, keys, values, grid, hint, lead, families)
    _since_own_changes(ctx, scan, keys, values, grid, hint, lead, families)
    alone = _pod_specific(pod_groups, scan)
    moved = marginal_z(values, grid.timestamps, hint)
    owners = view_owners({k.service for k in keys if k.service})
    unseen = _unseen_by_callers(keys, scan, moved, owners)
    sent = _sent_by_callers(keys, scan, owners)
    held = held_steps(values, grid.timestamps, scan,
                      [i for i, k in enumerate(keys) if signal_class(k.metric) == "memory"])
    found: list[Finding] = []
    for i in np.flatnonzero(scan.valid & (scan.score >= MIN_SCORE)):
        key = keys[i]
        onset = float(scan.onset[i]) if np.isfinite(scan.onset[i]) else None
        cls = signal_class(key.metric)
        tags = (cls, "pod_specific") if i in alone and cls in SYMPTOM_CLASSES else (cls,)
        # moved against its recent level or trend but the other way against its usual level
        # (a fall that stopped, a rise that paused): a turn, not a shift in either direction
        rel = float(scan.rel_change[i])
        turned = math.isfinite(rel) and abs(rel) >= 0.005 and (rel > 0) != (scan.direction[i] > 0)
        if turned:
            tags = tags + ("turn",)
        if i in unseen:
            tags = tags + ("unseen",)
        if i in sent:
            tags = tags + ("sent",)
        if i in held:
            tags = tags + ("held",)
        if onset is not None and onset > hint + max(LATE_S, grid.step):
            tags = tags + ("late",)    # first seen well after the alert, and after the sample that followed it
        ratio, size = _ratio(scan.post_median[i], scan.base_median[i]), 1.0
        if cls == "cpu":
            # a CPU move is as much news as its size: +3 % of a core is certain on a steady
            # series and slows nothing down (in full from CPU_RATIO_FULL, up or down)
            log_size = max(abs(math.log(max(ratio, 1e-12))), abs(math.log(float(scan.peak_ratio[i]))))
            size = min(1.0, log_size / math.log(CPU_RATIO_FULL))
        found.append(Finding(
            kind="metric", service=key.service, signal=key.metric,
            score=float(scan.score[i]) * (TURN_FACTOR if turned else 1.0) * size,
            summary=_describe(key.metric, int(scan.direction[i]), float(scan.rel_change[i]),
                              float(scan.stat[i]) * int(scan.direction[i]), onset, key.pod, i >= len(grid.keys),
                              float(scan.base_median[i]), float(scan.post_median[i])),
            onset=onset, direction=int(scan.direction[i]), magnitude=ratio,
            component=f"pod/{key.pod}" if key.pod else "", ref=str(key), tags=tags,
        ))
    found.extend(_silent_targets(grid, ctx.baseline_end, float(grid.timestamps[-1] + grid.step)))
    found.extend(_weak(keys, moved, found))
    found.sort(key=lambda f: (-f.score, f.service, f.signal))
    n_bad = len({(f.service, f.signal) for f in found})
    return ToolResult("ok", f"{len(grid)} series (+{len(groups)} service means) scanned, {n_bad} anomalous",
                      query=QUERY, findings=found)


def _since_the_symptom(ctx: ToolContext, scan, keys: list[SeriesKey], values: np.ndarray,  # noqa: ANN001
                       grid: MetricGrid, hint: float, lead: float, families: list[str]) -> None:
    """An alert evaluated on aggregates fires when enough of them are bad, often a sample or
    two after the fault: the alerted service's own series may have moved before the search
    window. When one of them clearly did (and the search at the alert missed it), every series
    is also searched around that earlier move, and keeps the stronger of the two changes."""
    alerted = ctx.incident.alerted_service(sorted({k.service for k in keys if k.service}))
    rows = np.array([i for i, k in enumerate(keys) if k.service == alerted], dtype=np.int64) if alerted else []
    if not len(rows):
        return
    wide = scan_shifts(values[rows], grid.timestamps, hint, step=grid.step,
                       families=[families[i] for i in rows], lead_s=lead + SYMPTOM_STEPS * grid.step)
    window = hint - max(lead, grid.step)
    # a symptom: slower or failing requests, or a traffic move (a surge, or the requests gone)
    bad = np.array([signal_class(keys[i].metric) == "traffic" or (
        signal_class(keys[i].metric) in ("latency", "errors") and wide.direction[r] > 0) for r, i in enumerate(rows)])
    early = bad & wide.valid & (wide.score >= SYMPTOM_SCORE) & (wide.onset < window) & (wide.score > 2 * scan.score[rows])
    if not early.any():
        return
    anchor = float(np.min(wide.onset[early]))
    again = scan_shifts(values, grid.timestamps, anchor, step=grid.step, families=families, lead_s=lead)
    _keep_stronger(scan, again, np.arange(len(keys)), again.score > scan.score)


def _keep_stronger(scan, other, rows: np.ndarray, better: np.ndarray) -> None:  # noqa: ANN001
    """Rows `rows[better]` of `scan` take the change `other` (a scan of those rows) found."""
    for field in dataclasses.fields(scan):
        getattr(scan, field.name)[rows[better]] = getattr(other, field.name)[better]


def _unseen_by_callers(keys: list[SeriesKey], scan, moved: np.ndarray,  # noqa: ANN001
                       owners: dict[str, str]) -> set[int]:
    """Rows of a service's own latency that rose while its callers' views of it (service-map
    nodes `<name>_client`, a load balancer in front of it: aiops.analytics.views) report latency
    that did not — neither as a change the scan found nor as a median after the onset hint
    `moved` (robust z) Z0 above the one before: slowness the callers never saw is not what
    reached them. `owners`: view -> its service (aiops.analytics.views.view_owners)."""
    if not owners:
        return set()
    rises: dict[str, list[int]] = {}
    seen: dict[str, float] = {}
    for i, k in enumerate(keys):
        if signal_class(k.metric) != "latency":
            continue
        up = float(scan.score[i]) if scan.direction[i] > 0 else 0.0
        if k.service in owners:
            owner = owners[k.service]
            seen[owner] = max(seen.get(owner, 0.0), up, math.inf if moved[i] >= Z0 else 0.0)
        elif up >= MIN_SCORE:
            rises.setdefault(k.service, []).append(i)
    out: set[int] = set()
    for service, rows in rises.items():
        if service in seen:
            out.update(i for i in rows if seen[service] < VIEW_SHARE * float(scan.score[i]))
    return out


def _sent_by_callers(keys: list[SeriesKey], scan, owners: dict[str, str]) -> set[int]:  # noqa: ANN001
    """Request-count rises of a service that its callers' views of it (what they sent it) rose
    with too, both the service's and the views' rows: the surge came through its callers. A
    service whose own requests rose while what its known callers sent it did not took the extra
    requests from outside them: the surge entered there. `owners`: view -> its service."""
    if not owners:
        return set()
    own: dict[str, list[int]] = {}
    views: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        if signal_class(k.metric) != "traffic" or scan.direction[i] <= 0 or scan.score[i] < MIN_SCORE:
            continue
        if k.service in owners:
            views.setdefault(owners[k.service], []).append(i)
        else:
            own.setdefault(k.service, []).append(i)
    out: set[int] = set()
    for service, rows in own.items():
        through = views.get(service, [])
        top = max(float(scan.score[i]) for i in rows)
        if through and max(float(scan.score[i]) for i in through) >= VIEW_SHARE * top:
            out.update(rows + through)
    return out


def _since_own_changes(ctx: ToolContext, scan, keys: list[SeriesKey], values: np.ndarray,  # noqa: ANN001
                       grid: MetricGrid, hint: float, lead: float, families: list[str]) -> None:
    """A service changed (deployed, reconfigured) before the search window began may have
    gone wrong at its change, long before anyone was alerted: its own series are also
    searched from its earliest such change on, and keep the stronger of the two changes."""
    start = float(grid.timestamps[0])
    since: dict[str, float] = {}
    for e in ctx.store.events(start, hint - lead):
        if e["service"] and str(e["kind"]).lower() in CHANGE_KINDS:
            since.setdefault(e["service"], float(e["ts"]))
    for service, ts in since.items():
        rows = np.array([i for i, k in enumerate(keys) if k.service == service], dtype=np.int64)
        if not len(rows):
            continue
        wide = scan_shifts(values[rows], grid.timestamps, hint, step=grid.step,
                           families=[families[i] for i in rows], lead_s=hint - ts + grid.step)
        # only series that lived on to the onset: a pod the rollout retired ends in artefacts
        alive = np.isfinite(values[rows][:, grid.timestamps >= hint]).any(axis=1)
        _keep_stronger(scan, wide, rows, alive & (wide.score > scan.score[rows]))


def _weak(keys: list[SeriesKey], z: np.ndarray, found: list[Finding]) -> list[Finding]:
    """For each service without metric evidence, its series that moved most after the onset
    hint (`z`: robust z against the data before it), as a finding of score 0 tagged `weak`: it
    weighs nothing, but when nothing passed as evidence the ranking orders services by it —
    the strongest marginal anomaly — instead of by name."""
    strong = {f.service for f in found}
    best: dict[str, int] = {}
    for i, key in enumerate(keys):
        if key.service and key.service not in strong and z[i] > 0 and (key.service not in best
                                                                       or z[i] > z[best[key.service]]):
            best[key.service] = i
    out = []
    for service, i in sorted(best.items()):
        key = keys[i]
        out.append(Finding(kind="metric", service=service, signal=key.metric, score=0.0,
                           summary=f"{key.metric}{' on ' + key.pod if key.pod else ''}: median after the alert "
                                   f"{z[i]:.1f} robust standard deviations from before (below the evidence "
                                   "threshold)",
                           magnitude=float(z[i]), ref=str(key), tags=(signal_class(key.metric), "weak")))
    return out


def _pool_groups(keys: list[SeriesKey]) -> list[tuple | None]:
    """(metric, service, dimension labels) per pod series, None for pod-less series.

    Labels that take one value per pod (instance, node, pod IP) identify the pod and are
    dropped; labels with several values within one pod's series of a metric (method,
    status, quantile) are dimensions and kept.
    """
    seen: dict[tuple[str, str, str], set[str]] = {}
    for k in keys:
        for name, value in k.labels:
            seen.setdefault((k.metric, k.pod, name), set()).add(value)
    dims = {(metric, name) for (metric, _, name), values in seen.items() if len(values) > 1}
    return [(k.metric, k.service, tuple((n, v) for n, v in k.labels if (k.metric, n) in dims)) if k.pod else None
            for k in keys]


def _pod_specific(groups: list[tuple | None], scan) -> set[int]:  # noqa: ANN001
    """Pod series whose shift its sibling pods (same service and metric, judged over the same
    time) do not share. Trouble inherited from a dependency reaches every replica of a
    caller alike; trouble on one replica is that replica's own."""
    members: dict[tuple, list[int]] = {}
    for i, g in enumerate(groups):
        if g is not None and scan.valid[i]:
            members.setdefault(g, []).append(i)
    alone: set[int] = set()
    for rows in members.values():
        if len(rows) < 2:
            continue
        for i in rows:
            if scan.score[i] >= MIN_SCORE and all(
                    scan.score[j] < 0.3 * scan.score[i] or scan.direction[j] != scan.direction[i]
                    for j in rows if j != i):
                alone.add(i)
    return alone


def _idle(grid, rows: list[int], start: float, back: float | None) -> bool:  # noqa: ANN001
    """Whether a request counter of the target kept reporting through the hole, at zero.

    Latency and ratio series have no value while no request arrives (a quantile of nothing);
    the target is then idle, not down, and the fall of its requests is evidence of its own.
    """
    during = (grid.timestamps >= start) & (grid.timestamps < (back if back is not None else np.inf))
    for r in rows:
        if signal_class(grid.keys[r].metric) != "traffic":
            continue
        seen = grid.values[r, during]
        seen = seen[np.isfinite(seen)]
        if len(seen) and np.all(np.abs(seen) <= 1e-9):
            return True
    return False


def _silent_targets(grid, baseline_end: float, window_end: float) -> list[Finding]:  # noqa: ANN001
    """One finding per pod (or pod-less service) most of whose series went quiet together.

    A target whose request counter still reports, at zero, is idle rather than down. A hole
    that never closes counts only when no other pod of the service appeared meanwhile: old
    pods of a rollout stop reporting too, and that is not an outage.
    """
    gaps = scan_gaps(grid.values, grid.timestamps, baseline_end, grid.step)
    if not gaps.found.any():
        return []
    nb = int(np.searchsorted(grid.timestamps, baseline_end, side="left"))
    has = np.isfinite(grid.values)
    first = np.where(has.any(axis=1), has.argmax(axis=1), grid.values.shape[1])
    targets: dict[tuple[str, str], list[int]] = {}
    for i, key in enumerate(grid.keys):
        targets.setdefault((key.service, key.pod), []).append(i)
    late_pods = {svc for (svc, pod), rows in targets.items() if pod and min(first[r] for r in rows) >= nb // 2}
    out: list[Finding] = []
    for (svc, pod), rows in targets.items():
        hit = [r for r in rows if gaps.found[r]]
        if len(hit) < 2 or 2 * len(hit) < len(rows):
            continue
        resumed = [r for r in hit if gaps.resumed[r]]
        if not resumed and svc in late_pods:
            continue
        start = float(np.nanmin(gaps.start[hit]))
        back = float(np.nanmax(gaps.end[resumed])) if resumed else None
        if _idle(grid, [r for r in rows if not gaps.found[r]], start, back):
            continue
        span = (back if back is not None else window_end) - start
        share = len(hit) / len(rows)
        score = (1.0 - math.exp(-span / 120.0)) * (0.5 + 0.5 * share)
        until = f"for {span:.0f} s" if back is not None else "until the end of the data"
        where = pod or svc
        out.append(Finding(
            kind="metric", service=svc, signal="series_missing", score=float(score),
            summary=f"{len(hit)} of {len(rows)} metric series of {where} stopped reporting at "
                    f"{to_rfc3339(start)} {until} (target down or unreachable)",
            onset=start, direction=0, magnitude=float(span), component=f"pod/{pod}" if pod else "",
            ref=f"metrics of {where}", tags=("restarts", "absent"),
        ))
    return out
