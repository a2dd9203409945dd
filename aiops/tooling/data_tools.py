"""Built-in data tools: focused, read-only looks at the incident's telemetry and runbooks.

The broad evidence scans (every series, every log line) are aiops.tooling.scans; these
answer narrower questions a planner asks after them:
what does this series do, when does this pool run out, which lines say X, which request
paths into this service fail, what changed, which runbook applies.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from aiops.domain import Finding
from aiops.timeutil import parse_duration, to_rfc3339
from aiops.tooling.base import FunctionTool, Reattribution, ToolContext, ToolResult, ToolSpec, needs_store
from aiops.tooling.datastores import metrics_datastores
from aiops.tooling.registry import ToolRegistry

_STR = {"type": "string", "maxLength": 200}


def _obj(required: tuple[str, ...] = (), **props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(required)}


def _grid_step(ctx: ToolContext) -> float:
    w = ctx.incident.window
    return float(max(5, int(np.ceil(w.seconds / 360 / 5.0)) * 5))


def _series(ctx: ToolContext, metric: str, service: str | None, pod: str | None):
    w = ctx.incident.window
    grid = ctx.store.metric_grid(w.start, w.end, _grid_step(ctx), metrics=[metric],
                                 services=[service] if service else None, counter_rates=True)
    keep = [i for i, k in enumerate(grid.keys) if not pod or k.pod == pod]
    return grid, keep


# -- metrics ---------------------------------------------------------------------------------

def metrics_catalog(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    from aiops.analytics.signals import signal_class

    where, params = "", {}
    if args.get("service"):
        where, params = " WHERE service = $service", {"service": args["service"]}
    query = f"SELECT metric, service, count(DISTINCT pod || labels) AS series FROM metrics{where} GROUP BY ALL ORDER BY 2, 1"
    rows = ctx.store.sql(query, params)
    if len(rows["metric"]) == 0:
        return ToolResult("no_data", "no metrics" + (f" for {args['service']}" if args.get("service") else ""), query=query)
    pattern = (args.get("pattern") or "").lower()
    lines = [f"{s}: {m} [{signal_class(m)}] x{int(n)}" for m, s, n in zip(rows["metric"], rows["service"], rows["series"])
             if pattern in m.lower()]
    limit = args["limit"]
    return ToolResult("ok" if lines else "no_data", f"{len(lines)} metric(s) by service:\n" + "\n".join(lines[:limit]),
                      query=query, data={"metrics": lines}, truncated=len(lines) > limit)


def metrics_detect(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    from aiops.analytics.detectors import calibrated_scores, get_detector

    grid, keep = _series(ctx, args["metric"], args.get("service"), args.get("pod"))
    query = f"metric_grid({args['metric']}, service={args.get('service') or '*'}, pod={args.get('pod') or '*'})"
    if not keep:
        return ToolResult("no_data", f"no series of {args['metric']} matches", query=query)
    x = grid.values[keep]
    n_base = int(np.searchsorted(grid.timestamps, ctx.baseline_end))
    if n_base < 8 or n_base >= x.shape[1]:
        return ToolResult("no_data", "too little baseline before the incident to judge the series", query=query)
    scores = calibrated_scores(get_detector(args["detector"]), x, grid.timestamps, causal=False,
                               baseline_end=ctx.baseline_end)
    level = ctx.settings.analytics.anomaly_threshold
    lines, series = [], []
    for j, i in enumerate(keep):
        key, s = grid.keys[i], scores[j]
        after = s[n_base:]
        peak = float(np.nanmax(after)) if np.isfinite(after).any() else 0.0
        hot = np.flatnonzero(np.nan_to_num(after) >= level)
        onset = float(grid.timestamps[n_base + hot[0]]) if hot.size else None
        before_med = float(np.nanmedian(x[j, :n_base])) if np.isfinite(x[j, :n_base]).any() else float("nan")
        after_med = float(np.nanmedian(x[j, n_base:])) if np.isfinite(x[j, n_base:]).any() else float("nan")
        where = key.pod or key.service
        text = (f"{key.metric} on {where}: peak score {peak:.2f}, median {before_med:.4g} -> {after_med:.4g}"
                + (f", anomalous from {to_rfc3339(onset)}" if onset is not None else ", not anomalous"))
        lines.append(text)
        series.append({"key": str(key), "timestamps": grid.timestamps.tolist(), "values": np.nan_to_num(x[j]).tolist(),
                       "scores": np.nan_to_num(s).tolist()})
    return ToolResult("ok", "\n".join(lines[: args["limit"]]), query=query,
                      data={"series": series[: args["limit"]]}, truncated=len(lines) > args["limit"])


def metrics_exhaustion(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    from aiops.analytics.forecast import time_to_exhaustion
    from aiops.analytics.signals import signal_class

    grid, keep = _series(ctx, args["metric"], args.get("service"), None)
    query = f"time_to_exhaustion({args['metric']}, service={args.get('service') or '*'}, horizon={args['horizon']})"
    if not keep:
        return ToolResult("no_data", f"no series of {args['metric']} matches", query=query)
    horizon = parse_duration(args["horizon"])
    lines, soonest = [], None
    for i in keep[:20]:
        key, y = grid.keys[i], grid.values[i]
        ok = np.isfinite(y)
        if ok.sum() < 10:
            continue
        ex = time_to_exhaustion(y[ok], grid.timestamps[ok], capacity=args.get("capacity"), horizon=horizon)
        where = key.pod or key.service
        if ex.status in ("reaches", "already"):
            eta = "already at the limit" if ex.status == "already" else f"reaches {ex.limit:.4g} at {to_rfc3339(ex.eta)}"
            lines.append(f"{key.metric} on {where}: {eta} (now {ex.current:.4g})")
            if ex.eta is not None and (soonest is None or ex.eta < soonest[0]):
                soonest = (ex.eta, key, ex)
        else:
            lines.append(f"{key.metric} on {where}: {ex.status.replace('_', ' ')} (now {ex.current:.4g})")
    if not lines:
        return ToolResult("no_data", "series too short to forecast", query=query)
    findings = []
    if soonest is not None:
        eta, key, ex = soonest
        findings.append(Finding("metric", key.service, key.metric, 0.8, lines[0] if len(lines) == 1 else
                                f"{key.metric} on {key.pod or key.service} runs out at {to_rfc3339(eta)}",
                                onset=None, direction=ex.direction, component=f"pod/{key.pod}" if key.pod else "",
                                ref=str(key), tags=(signal_class(key.metric), "exhaustion")))
    return ToolResult("ok", "\n".join(lines), query=query, findings=findings)


# -- logs ------------------------------------------------------------------------------------

def logs_search(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    w = ctx.incident.window
    params: dict[str, Any] = {"p": args["pattern"], "start": ctx.baseline_end if args["after_baseline"] else w.start,
                              "end": w.end}
    cond = "regexp_matches(message, $p, 'i')" if args["regex"] else "contains(lower(message), lower($p))"
    svc = ""
    if args.get("service"):
        svc, params["s"] = " AND service = $s", args["service"]
    query = (f"SELECT service, count(*) AS n, min(ts) AS first, any_value(message) AS sample FROM logs "
             f"WHERE ts >= $start AND ts < $end{svc} AND {cond} GROUP BY service ORDER BY n DESC, service")
    try:
        rows = ctx.store.sql(query, params)
    except Exception as exc:  # noqa: BLE001 - a bad regex is the caller's mistake, reported as such
        return ToolResult("error", f"pattern {args['pattern']!r} failed: {str(exc).splitlines()[0][:200]}", query=query)
    if len(rows["service"]) == 0:
        return ToolResult("no_data", f"no log line matches {args['pattern']!r}", query=query)
    lines = [f"{s}: {int(n)} line(s) from {to_rfc3339(float(t))}, e.g. {str(m)[:240]!r}"
             for s, n, t, m in zip(rows["service"], rows["n"], rows["first"], rows["sample"])]
    return ToolResult("ok", "\n".join(lines[: args["limit"]]), query=query, truncated=len(lines) > args["limit"])


def logs_templates(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    from aiops.analytics.logs import mine_messages

    w = ctx.incident.window
    levels = ["error", "fatal", "critical"] if args["errors_only"] else None
    rec = ctx.store.log_records(w.start, w.end, service=args.get("service") or None, levels=levels, limit=200_000)
    query = f"log_records(service={args.get('service') or '*'}, errors_only={args['errors_only']}) + template mining"
    if len(rec["ts"]) == 0:
        return ToolResult("no_data", "no log lines", query=query)
    mined = mine_messages([str(m) for m in rec["message"]])
    after = np.asarray(rec["ts"], dtype=float) >= ctx.baseline_end
    rows = []
    for code, (tid, text) in enumerate(zip(mined.template_ids, mined.templates)):
        sel = mined.codes == code
        b, a = int((sel & ~after).sum()), int((sel & after).sum())
        sample = str(rec["message"][int(np.flatnonzero(sel)[-1])])[:300]
        rows.append({"template_id": tid, "template": text, "before": b, "after": a, "sample": sample})
    rows.sort(key=lambda r: (-(r["after"] - r["before"]), -r["after"], r["template_id"]))
    lines = [f"[{r['template_id']}] before {r['before']}, after {r['after']}{' (new)' if not r['before'] and r['after'] else ''}: "
             f"{r['template'][:200]}" for r in rows]
    return ToolResult("ok", f"{len(rows)} template(s):\n" + "\n".join(lines[: args["limit"]]), query=query,
                      data={"templates": rows[: args["limit"]]}, truncated=len(rows) > args["limit"])


# -- traces, events ---------------------------------------------------------------------------

def traces_paths(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    from aiops.analytics.spantree import Spans, build_span_tree
    from aiops.analytics.tracepaths import path_stats

    w = ctx.incident.window
    spans = Spans.from_columns(ctx.store.span_table(w.start, w.end))
    query = f"span_table(window) -> entry paths into {args['service']}"
    if len(spans) == 0:
        return ToolResult("no_data", "no spans in the window", query=query)
    stats = path_stats(spans, build_span_tree(spans), args["service"], ctx.baseline_end, args["limit"])
    if not stats:
        return ToolResult("no_data", f"no spans of {args['service']}", query=query)
    lines = [f"{s.path}: calls {s.calls_before} -> {s.calls_after}, errors {s.error_rate_before:.0%} -> "
             f"{s.error_rate_after:.0%}, p90 {s.p90_ms_before:.0f} -> {s.p90_ms_after:.0f} ms" for s in stats]
    return ToolResult("ok", "\n".join(lines), query=query, data={"paths": [s.__dict__ for s in stats]})


EXPLAINED_R = 0.7         # per-request correlation from which a callee explains a caller's own time


def traces_explain(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    from aiops.analytics.spantree import Spans, build_span_tree
    from aiops.analytics.tracepaths import own_time_links

    w = ctx.incident.window
    spans = Spans.from_columns(ctx.store.span_table(w.start, w.end))
    service = args["service"]
    query = f"span_table(window) -> {service}'s own time vs time in each callee, per request"
    if len(spans) == 0:
        return ToolResult("no_data", "no spans in the window", query=query)
    links = own_time_links(spans, build_span_tree(spans), service, ctx.baseline_end)
    if not links:
        return ToolResult("no_data", f"{service} has no callee with enough calls to compare", query=query)
    lines = [f"{service} -> {k.callee}: r={k.r:.2f} over {k.calls_after} requests; time in {k.callee} "
             f"{k.callee_ms_before:.1f} -> {k.callee_ms_after:.1f} ms, {service}'s own time "
             f"{k.own_ms_before:.1f} -> {k.own_ms_after:.1f} ms" for k in links]
    best = links[0]
    moved: list[Reattribution] = []
    rose = best.own_ms_after > 1.5 * best.own_ms_before and best.callee_ms_after > 2 * max(best.callee_ms_before, 0.1)
    if best.r >= EXPLAINED_R and rose:
        why = (f"per request, {service}'s own time tracks the time it spends calling {best.callee} "
               f"(r={best.r:.2f}): it waits on {best.callee}")
        moved.append(Reattribution(service, best.callee, why))
        lines.insert(0, f"explained: {why}")
    else:
        lines.insert(0, f"not explained by a callee: {service}'s own time does not follow any callee's")
    return ToolResult("ok", "\n".join(lines[: args["limit"] + 1]), query=query,
                      data={"links": [k.__dict__ for k in links]}, reattributions=moved)


def events_list(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    w = ctx.incident.window
    events = ctx.store.events(w.start - 3600, w.end)
    if args.get("service"):
        events = [e for e in events if e["service"] == args["service"]]
    if args.get("kinds"):
        events = [e for e in events if e["kind"] in args["kinds"]]
    query = f"events(window - 1h, service={args.get('service') or '*'}, kinds={args.get('kinds') or '*'})"
    if not events:
        return ToolResult("no_data", "no matching events", query=query)
    lines = [f"{to_rfc3339(e['ts'])} {e['kind']} {e['service']}: {str(e['message'])[:200]}" for e in events]
    return ToolResult("ok", "\n".join(lines[-args["limit"]:]), query=query, truncated=len(lines) > args["limit"])


def knowledge_search(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    kb = ctx.kb() if ctx.kb else None
    query = f"kb.search({args['query']!r}, k={args['k']})"
    if kb is None:
        return ToolResult("no_data", "no knowledge base", query=query)
    hits = kb.search(args["query"], k=args["k"], service=args.get("service"), fault=args.get("fault"))
    if not hits and args.get("fault"):
        hits = kb.search(args["query"], k=args["k"], service=args.get("service"))
    if not hits:
        return ToolResult("no_data", "no runbook matches", query=query)
    lines = [f"{h.title} ({h.source}{' § ' + h.section if h.section else ''}, score {h.score:.2f}): "
             f"{' '.join(h.text.split())[:300]}" for h in hits]
    return ToolResult("ok", "\n".join(lines), query=query, data={"hits": [h.to_dict() for h in hits]},
                      runbook_hits=list(hits))


def register_data_tools(registry: ToolRegistry) -> None:
    limit = {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}
    tools = [
        (ToolSpec("metrics.catalog", "List the metrics each service exports, with their signal class "
                  "(cpu, memory, latency, errors, pool ...). Use to find which series to inspect.",
                  _obj(service=_STR, pattern=_STR, limit=limit | {"default": 60}), "metrics"), metrics_catalog),
        (ToolSpec("metrics.detect", "Run an anomaly detector on one metric (optionally one service/pod) against "
                  "the baseline; gives each series' peak score, median before/after and when it became anomalous.",
                  _obj(("metric",), metric=_STR, service=_STR, pod=_STR,
                       detector={"type": "string", "enum": ["ensemble", "seasonal_mad", "level_shift", "spike",
                                                            "ewma", "holt"], "default": "ensemble"},
                       limit=limit | {"default": 10}), "metrics"), metrics_detect),
        (ToolSpec("metrics.exhaustion", "Forecast when a saturating resource (disk, memory, connection pool, "
                  "quota) of a service reaches its limit (capacity, or 1.0 for ratios).",
                  _obj(("metric",), metric=_STR, service=_STR, capacity={"type": "number"},
                       horizon={"type": "string", "pattern": r"\d+(\.\d+)?[smhd]", "default": "2h"}), "metrics"),
         metrics_exhaustion),
        (ToolSpec("logs.search", "Count and sample log lines containing a text (or RE2 regex), per service, "
                  "after the baseline by default. Use to confirm an error message or find who logs it.",
                  _obj(("pattern",), pattern=_STR, service=_STR, regex={"type": "boolean", "default": False},
                       after_baseline={"type": "boolean", "default": True}, limit=limit), "logs"), logs_search),
        (ToolSpec("logs.templates", "Mine log templates of one service (or all) with counts before and after "
                  "the baseline and a sample line; new templates after the onset are marked.",
                  _obj(service=_STR, errors_only={"type": "boolean", "default": False}, limit=limit | {"default": 15}),
                  "logs"), logs_templates),
        (ToolSpec("traces.paths", "Request paths (service:operation chains) into one service, before vs after: "
                  "calls, error share, p90 latency. Shows which callers its trouble hurts and through whom.",
                  _obj(("service",), service=_STR, limit=limit | {"default": 8}), "traces"), traces_paths),
        (ToolSpec("traces.explain", "Is a service's own (self) time really its own? Compares, request by request, "
                  "its self time with the time spent in each callee; a caller whose self time tracks a callee's "
                  "duration only waits on that callee.",
                  _obj(("service",), service=_STR, limit=limit | {"default": 6}), "traces"), traces_explain),
        (ToolSpec("metrics.datastores", "Is a slow client waiting on a database, cache or broker? Lists the "
                  "datastores in the data (by their exporters' metrics) and which got into trouble of their own "
                  "no later than the client did; those become inferred dependencies of the client.",
                  _obj(("service",), service=_STR, limit=limit | {"default": 8}), "metrics"), metrics_datastores),
        (ToolSpec("events.list", "Change and cluster events (deploys, config changes, restarts, Kubernetes "
                  "events) from an hour before the window to its end, optionally for one service or kinds.",
                  _obj(service=_STR, kinds={"type": "array", "items": _STR, "maxItems": 10}, limit=limit | {"default": 30}),
                  "changes"), events_list),
        (ToolSpec("knowledge.search", "Search the runbooks (operators' knowledge base) for a symptom or suspected "
                  "cause; gives titles, sources and the best matching passage.",
                  _obj(("query",), query=_STR | {"maxLength": 500}, k={"type": "integer", "minimum": 1, "maximum": 10,
                                                                          "default": 3},
                       fault=_STR, service=_STR), "knowledge"), knowledge_search),
    ]
    for spec, fn in tools:
        needs = None if spec.specialist == "knowledge" else needs_store
        registry.register(FunctionTool(spec, fn, needs))
