"""What `aiops mcp serve` offers: the diagnosis, the knowledge base, the detectors, the log
template miner, the run history and every read-only agent tool — each an `Exposed` tool with
a JSON schema and a plain function `(args, progress) -> JSON value` run off the event loop.

Nothing here writes to a monitored system: the agent's tools are read-only by registration
(aiops.tooling.registry), the others only read files and aiops's own stores (a diagnosis
records its run in the history, as `aiops diagnose` does). Tools of the operator's own MCP
servers are used inside a diagnosis but never re-exported.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from aiops.config import McpSettings, Settings
from aiops.errors import BadInputError

Progress = Callable[[str], None]
SOURCE_ARGS = {"bundle": {"type": "string", "description": "Incident bundle directory (on the machine aiops runs on)."},
               "demo": {"type": "boolean", "default": False, "description": "Use the bundled demo incident instead."}}
MAX_LINES = 200_000


@dataclass(frozen=True)
class Exposed:
    name: str
    description: str
    schema: dict[str, Any]
    run: Callable[[dict[str, Any], Progress], Any]
    idempotent: bool = True


def _bundle_path(args: dict[str, Any]) -> Path:
    if args.get("demo"):
        if args.get("bundle"):
            raise BadInputError("give either bundle or demo, not both")
        from aiops.resources import demo_bundle

        return demo_bundle()
    if not args.get("bundle"):
        raise BadInputError("give bundle (an incident bundle directory) or demo = true")
    return Path(str(args["bundle"])).expanduser()


def _settings(settings: Settings, **overrides: Any) -> Settings:
    out = copy.deepcopy(settings)
    for dotted, value in overrides.items():
        if value is not None:
            section, key = dotted.split("__")
            setattr(getattr(out, section), key, value)
    for section in ("diagnose",):
        getattr(out, section).validate("the diagnose tool's arguments")
    return out


# -- diagnose ------------------------------------------------------------------------------

DIAGNOSE_SCHEMA = {"type": "object", "properties": SOURCE_ARGS | {
    "live": {"type": "boolean", "default": False, "description": "Read the configured live sources ([sources.*])."},
    "window": {"type": "string", "description": "Live: length of the window, e.g. 30m."},
    "start": {"type": "string", "description": "Live: window start (RFC 3339 or unix seconds)."},
    "end": {"type": "string", "description": "Live: window end (RFC 3339, unix seconds or 'now')."},
    "namespace": {"type": "string", "description": "Live: Kubernetes namespace."},
    "service": {"type": "string", "description": "Live: the service the symptom was seen on."},
    "sources": {"type": "array", "items": {"type": "string"}, "description": "Live: only these sources (NAME, KIND or KIND.NAME)."},
    "alertmanager": {"type": "string", "description": "Take the incident from this Alertmanager (URL or source name)."},
    "alert": {"type": "string", "description": "With alertmanager: the firing alert to diagnose, by alertname."},
    "reasoner": {"type": "string", "enum": ["auto", "offline", "llm"], "description": "Default: diagnose.reasoner."},
    "max_root_causes": {"type": "integer", "minimum": 1, "maximum": 50},
}}


def diagnose(settings: Settings, args: dict[str, Any], progress: Progress) -> str:
    """The diagnosis JSON, exactly as `aiops diagnose --format json` prints it."""
    from aiops.agent.events import Answer, PlanMade, Reflection, ToolResultEvent
    from aiops.agent.live import LiveRequest
    from aiops.agent.session import Session
    from aiops.cli.live_input import live_events
    from aiops.history import recorder_for
    from aiops.report import render

    run_settings = _settings(settings, diagnose__reasoner=args.get("reasoner"),
                             diagnose__max_root_causes=args.get("max_root_causes"))
    session = Session(run_settings, record=recorder_for(run_settings))
    request = LiveRequest(bool(args.get("live")), args.get("alertmanager"), args.get("alert"), None,
                          args.get("window"), args.get("start"), args.get("end"), args.get("namespace"), None,
                          args.get("service"), list(args.get("sources") or []))
    if request.requested:
        if args.get("bundle") or args.get("demo"):
            raise BadInputError("give either bundle/demo or live input (live, alertmanager), not both")
        events = live_events(session, request)
    else:
        events = session.diagnose_bundle(_bundle_path(args))
    diagnosis = None
    for event in events:
        if isinstance(event, PlanMade):
            progress(f"round {event.round}: {len(event.steps)} checks planned")
        elif isinstance(event, ToolResultEvent):
            progress(f"{event.step.tool}: {event.status}")
        elif isinstance(event, Reflection):
            progress(f"round {event.round}: {event.decision}")
        elif isinstance(event, Answer):
            diagnosis = event.diagnosis
    assert diagnosis is not None, "the loop ended without an answer"
    return render(diagnosis, "json", run_settings.diagnose.max_root_causes)


# -- the agent's read-only tools over one bundle -------------------------------------------

class BundleCache:
    """Loaded bundles (a store and a run state each), the last few, one tool run at a time."""

    def __init__(self, settings: Settings, keep: int = 2) -> None:
        self.settings = settings
        self.keep = keep
        self._loaded: OrderedDict[Path, tuple[Any, Any]] = OrderedDict()
        self.lock = threading.Lock()

    def state(self, path: Path) -> Any:
        from aiops.agent.session import KbOpener
        from aiops.agent.state import RunState
        from aiops.telemetry.bundle import load_bundle
        from aiops.telemetry.limits import BundleLimits

        key = path.resolve()
        if key not in self._loaded:
            loaded = load_bundle(key, limits=BundleLimits.from_settings(self.settings))
            state = RunState.start(loaded.incident, loaded.store, self.settings, run_id="mcp",
                                   kb_opener=KbOpener(self.settings))
            self._loaded[key] = (loaded, state)
            while len(self._loaded) > self.keep:
                _, (old, old_state) = self._loaded.popitem(last=False)
                old_state.kb_opener.close()
                old.store.close()
        self._loaded.move_to_end(key)
        return self._loaded[key][1]

    def close(self) -> None:
        for loaded, state in self._loaded.values():
            state.kb_opener.close()
            loaded.store.close()
        self._loaded.clear()


def agent_tool(bundles: BundleCache, tool: Any) -> Exposed:
    from aiops.tooling import model_name, validate_args

    spec = tool.spec
    own = dict(spec.parameters.get("properties", {}))
    schema = {"type": "object", "properties": own | {k: v for k, v in SOURCE_ARGS.items() if k not in own}}
    if spec.parameters.get("required"):
        schema["required"] = list(spec.parameters["required"])

    def run(args: dict[str, Any], progress: Progress) -> dict[str, Any]:
        from dataclasses import asdict

        mine = validate_args(spec.parameters, {k: v for k, v in args.items() if k in own})
        with bundles.lock:
            state = bundles.state(_bundle_path(args))
            ctx = state.context()
            why = tool.available(ctx)
            if why:
                raise BadInputError(f"{spec.name} is not available for this bundle: {why}")
            result = tool.run(ctx, mine)
        return {"tool": spec.name, "status": result.status, "summary": result.summary, "query": result.query,
                "truncated": result.truncated, "findings": [asdict(f) for f in result.findings]}

    return Exposed(model_name(spec.name), f"{spec.description} (aiops agent tool {spec.name}; reads an incident "
                   "bundle: give bundle or demo)", schema, run)


# -- knowledge base, detectors, log templates, history ---------------------------------------

KB_SCHEMA = {"type": "object", "required": ["query"], "properties": {
    "query": {"type": "string", "description": "What you are looking for, in your own words."},
    "k": {"type": "integer", "default": 5, "minimum": 1, "maximum": 50},
    "service": {"type": "string", "description": "Only documents for this service or for any service."},
    "tags": {"type": "array", "items": {"type": "string"}, "description": "Only documents with all these tags."},
    "mode": {"type": "string", "enum": ["hybrid", "keyword", "vector"], "default": "hybrid"}}}


def kb_search(settings: Settings, args: dict[str, Any], progress: Progress) -> dict[str, Any]:
    from aiops.agent.session import KbOpener

    def gateway() -> Any:
        from aiops.gateway import Gateway

        return Gateway.from_settings(settings)

    opener = KbOpener(settings, gateway)
    kb = opener()
    if kb is None:
        raise BadInputError(f"the knowledge base could not be opened: {opener.failed}")
    try:
        hits = kb.search(args["query"], k=args["k"], tags=args.get("tags") or None, service=args.get("service"),
                         per_source=1, mode=args["mode"])
    finally:
        opener.close()
    return {"query": args["query"], "hits": [h.to_dict() for h in hits]}


DETECT_SCHEMA = {"type": "object", "properties": {
    "path": {"type": "string", "description": "A timestamp,value CSV file on the machine aiops runs on."},
    "points": {"type": "array", "maxItems": MAX_LINES, "items": {"type": "array", "maxItems": 2, "items": {"type": "number"}},
               "description": "Or the series itself: [[unix_seconds, value], ...]."},
    "detector": {"type": "string", "enum": ["adaptive", "ensemble", "seasonal_mad", "level_shift", "spike", "ewma", "holt"],
                 "default": "adaptive"},
    "threshold": {"type": "number", "minimum": 0.01, "maximum": 0.99, "description": "Default: analytics.anomaly_threshold."},
    "mark": {"type": "string", "enum": ["start", "all"], "default": "start",
             "description": "anomaly=1 on the first point of each anomalous episode (an alert), or on all of it."},
    "warmup": {"type": "integer", "minimum": 10, "maximum": 1000000,
               "description": "Points that only teach what is normal. Default: analytics.warmup_points."},
    "causal": {"type": "boolean", "default": True, "description": "Judge each point only on the points before it."}}}


def detect(settings: Settings, args: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """The scores of `aiops detect --format json` (rows in input order, score 0..1, anomaly 0/1)."""
    import math

    from aiops.cli.detect import score_table
    from aiops.cli.series_csv import SeriesTable, read_series_csv

    if bool(args.get("path")) == bool(args.get("points")):
        raise BadInputError("give exactly one of path (a CSV file) or points ([[timestamp, value], ...])")
    if args.get("path"):
        table = read_series_csv(Path(args["path"]).expanduser())
    else:
        rows = [p for p in args["points"] if len(p) == 2]
        if len(rows) != len(args["points"]):
            raise BadInputError("every point is [timestamp, value]")
        table = SeriesTable(Path("points"), ["value"], False, [repr(t) for t, _ in rows], [[repr(v)] for _, v in rows],
                            [float(t) for t, _ in rows], [[float(v)] for _, v in rows])
    level = args.get("threshold") or settings.analytics.anomaly_threshold
    warmup = args.get("warmup") or settings.analytics.warmup_points
    scores, flags, episodes = score_table(table, args["detector"], level, args["causal"],
                                          settings.analytics.baseline_fraction, args["mark"], warmup)
    return {"detector": args["detector"], "threshold": level, "causal": args["causal"], "rows": len(scores),
            "anomalies": int(sum(flags)), "episodes": episodes,
            "points": [{"timestamp": t, "value": None if math.isnan(v[0]) else v[0], "score": round(float(s), 6),
                        "anomaly": int(a)} for t, v, s, a in zip(table.raw_timestamps, table.values, scores, flags)]}


LOGS_SCHEMA = {"type": "object", "properties": {
    "path": {"type": "string", "description": "A plain log file on the machine aiops runs on."},
    "lines": {"type": "array", "maxItems": MAX_LINES, "items": {"type": "string", "maxLength": 65536},
              "description": "Or the log lines themselves."},
    "top": {"type": "integer", "default": 50, "minimum": 1, "maximum": 1000, "description": "Templates returned."},
    "sim_threshold": {"type": "number", "default": 0.5, "minimum": 0.01, "maximum": 1.0}}}


def logs_templates(settings: Settings, args: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """The template summary of `aiops logs templates --format json` (most frequent first)."""
    from itertools import islice

    from aiops.analytics.logtemplates import SAMPLE_LINES, LogTemplater

    if bool(args.get("path")) == bool(args.get("lines")):
        raise BadInputError("give exactly one of path (a log file) or lines")
    if args.get("path"):
        path = Path(args["path"]).expanduser()
        try:
            with path.open("r", encoding="utf-8", errors="replace", newline="\n") as fh:
                lines = [line.rstrip("\n").removesuffix("\r") for line in islice(fh, MAX_LINES)]
        except OSError as exc:
            raise BadInputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    else:
        lines = list(args["lines"])
    templater = LogTemplater(lines[:SAMPLE_LINES], args["sim_threshold"])
    for line in lines:
        templater.add(line)
    miner = templater.miner
    templates = miner.templates()
    return {"lines": miner.lines, "template_count": len(templates),
            "templates": [{"template_id": t.template_id, "template": t.template, "count": t.count,
                           "first_line": t.first_line} for t in templates[:args["top"]]]}


def runs_list(settings: Settings, args: dict[str, Any], progress: Progress) -> dict[str, Any]:
    from aiops.history import RunHistory

    return {"runs": RunHistory.from_settings(settings).runs(limit=args["limit"])}


def runs_show(settings: Settings, args: dict[str, Any], progress: Progress) -> dict[str, Any]:
    from aiops.history import RunHistory

    return RunHistory.from_settings(settings).get(args["run"])


def exposed_tools(settings: Settings, bundles: BundleCache) -> list[Exposed]:
    """Every tool `aiops mcp serve` lists, in a stable order."""
    from aiops.tooling import default_registry

    def bound(fn: Callable[[Settings, dict[str, Any], Progress], Any]) -> Callable[[dict[str, Any], Progress], Any]:
        return lambda args, progress: fn(settings, args, progress)

    own = [
        Exposed("diagnose", "Diagnose an incident — an incident bundle directory, the demo, or the live sources over "
                "a window — and return the diagnosis JSON: ranked root causes with evidence, timeline, remediation, "
                "runbooks, missing evidence. Long: reports progress.", DIAGNOSE_SCHEMA, bound(diagnose), idempotent=False),
        Exposed("kb_search", "Search the runbooks and documents of aiops's knowledge base (keywords and meaning).",
                KB_SCHEMA, bound(kb_search)),
        Exposed("detect", "Score a time series for anomalies (calibrated score 0..1 and a 0/1 flag per point).",
                DETECT_SCHEMA, bound(detect)),
        Exposed("logs_templates", "Group log lines by logging statement: templates with counts, most frequent first.",
                LOGS_SCHEMA, bound(logs_templates)),
        Exposed("runs_list", "Recorded diagnosis runs, newest first: incident, reasoner, top cause, usage, verdict.",
                {"type": "object", "properties": {"limit": {"type": "integer", "default": 20, "minimum": 1,
                                                           "maximum": 500}}}, bound(runs_list)),
        Exposed("runs_show", "One recorded run in full: plan step by step, evidence, answer, usage, trace id.",
                {"type": "object", "required": ["run"], "properties": {"run": {
                    "type": "string", "description": "Run id, a unique prefix of one, or 'last'."}}}, bound(runs_show)),
    ]
    local = copy.copy(settings)
    local.mcp = McpSettings()               # the operator's MCP servers are not re-exported
    registry = default_registry(local)
    agent = [agent_tool(bundles, t) for t in registry.tools() if t.spec.read_only]
    return own + agent
