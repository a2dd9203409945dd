"""Where a diagnosis run is assembled — the only place: its input (a bundle, live sources or
a filled store), the tool registry, the knowledge base with the configured embedder, the
reasoner, the budgets, the run's trace and the run history. The CLI, the TUI, the release
gate and `aiops eval` all start runs here; `aiops.agent.loop` only loops.

    session = Session(settings, tracer_provider=provider, record=recorder)
    for event in session.diagnose_bundle(path): ...         # load, investigate, close
    for event in session.investigate(incident, store): ...  # over any filled store
    plan = session.plan_live(request)
    for event in session.diagnose_live(plan, store): ...    # read the sources, then investigate

Each call is a generator of events (aiops.agent.events), the last one an `Answer`; nothing
is built before the first event is asked for.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from aiops.agent.events import Answer, Event
from aiops.agent.live import LivePlan, LiveRequest, fetch_events, plan_live
from aiops.agent.loop import Budgets, run_loop
from aiops.agent.reasoners.base import Reasoner
from aiops.agent.run_trace import RunTrace, redactor_for, resolve_tracer_provider
from aiops.agent.state import RunState
from aiops.config import Settings
from aiops.domain import MODALITIES, MODALITY_OF, Incident, SourceRead
from aiops.errors import ConfigError
from aiops.telemetry.reader import TelemetryReader
from aiops.tooling import ToolRegistry, default_registry

if TYPE_CHECKING:
    from aiops.gateway import Gateway
    from aiops.kb import Embedder, KnowledgeBase
    from aiops.memory.store import IncidentMemory
    from aiops.telemetry.store import TelemetryStore

# The run history's hook (aiops.history.recorded): wraps a run's events, records the run.
Recorder = Callable[[Iterator[Event], "Path | None"], Iterator[Event]]


def gateway_embedder(settings: Settings, gateway: "Gateway") -> "Embedder":
    """The litellm embedder wired to the model gateway (kb.embed_model = a [models] alias).
    `aiops kb` and the agent build it alike, so both read the same vector space."""
    from aiops.kb import LiteLLMEmbedder

    alias = settings.kb.embed_model or "embedding"
    model = gateway.catalog.resolve(alias).models[0]
    return LiteLLMEmbedder(model, lambda texts: gateway.embed(alias, texts))


class KbOpener:
    """Opens the knowledge base on first use, once per run, from any worker thread; with
    kb.embedder = "litellm" its embeddings go through the run's model gateway."""

    def __init__(self, settings: Settings, gateway: Callable[[], "Gateway"] | None = None) -> None:
        self.settings = settings
        self._gateway = gateway
        self._kb: Any = None
        self._lock = threading.Lock()
        self.failed = ""
        self.wrap: Callable[[Any], Any] = lambda kb: kb     # the run's trace adds retrieval spans

    def _embedder(self) -> "Embedder":
        if self.settings.kb.embedder == "litellm" and self._gateway is not None:
            return gateway_embedder(self.settings, self._gateway())
        from aiops.kb import embedder_from_settings

        return embedder_from_settings(self.settings)

    def __call__(self) -> "KnowledgeBase | None":
        with self._lock:
            if self._kb is None and not self.failed:
                from aiops.kb.builtin import open_default_kb

                try:
                    self._kb = self.wrap(open_default_kb(self.settings, make_embedder=self._embedder))
                except Exception as exc:  # noqa: BLE001 - runbooks help; their absence is a note
                    self.failed = f"{type(exc).__name__}: {exc}"
            return self._kb

    def close(self) -> None:
        with self._lock:
            if self._kb is not None:
                self._kb.close()
                self._kb = None


class Session:
    """Runs diagnoses with one configuration. `gateway` (a scripted one in tests) is the
    model gateway of every run, else one is made from the settings when a run needs a model;
    `registry` and `reasoner` replace the built ones; `record` records each run in the
    history; `tracer_provider` receives the runs' traces (default: the global one)."""

    def __init__(self, settings: Settings, *, gateway: "Gateway | None" = None, tracer_provider: Any = None,
                 registry: ToolRegistry | None = None, reasoner: Reasoner | None = None,
                 record: Recorder | None = None, memory: "IncidentMemory | None" = None) -> None:
        self.settings = settings
        self.memory = memory          # the incident memory: recalled when answering, fed with every answer
        self.given_gateway = gateway
        self.tracer_provider = tracer_provider
        self.registry = registry
        self.reasoner = reasoner
        self.record = record
        self._gateway = gateway
        self._lock = threading.Lock()
        self._checked = False
        self._fallback = ""             # why "auto" runs offline although a model is configured

    def gateway(self) -> "Gateway":
        """The model gateway, made from the settings on first use (from any worker thread)."""
        with self._lock:
            if self._gateway is None:
                from aiops.gateway import Gateway

                self._gateway = Gateway.from_settings(self.settings, tracer_provider=self.tracer_provider)
            return self._gateway

    def check_reasoner(self) -> None:
        """Before any data is read: can the configured model be called at all (an API key, an
        endpoint that accepts connections)? With diagnose.reasoner = "llm" a model that cannot
        is a ConfigError now (exit 2, in about a second), not a fallback after slow retries;
        with "auto" the run falls back to offline and the report says why at its top."""
        if self._checked:
            return
        self._checked = True
        settings = self.settings
        mode = settings.diagnose.reasoner
        if self.reasoner is not None or self.given_gateway is not None or mode == "offline":
            return
        if not settings.models.planner:
            if mode == "llm":
                raise ConfigError("diagnose.reasoner = 'llm' needs a model: set models.planner (e.g. "
                                  "\"openai/gpt-4o-mini\") or pass --model")
            return
        problems = self.gateway().preflight("planner")
        if not problems:
            return
        why = "; ".join(problems)
        if mode == "llm":
            raise ConfigError(f"the LLM reasoner cannot run: {why} — or use --reasoner offline")
        self._fallback = f"the model could not be used ({why}): the offline reasoner answered"

    # -- inputs ------------------------------------------------------------------------------

    def diagnose_bundle(self, bundle_dir: Path, run_id: str | None = None) -> Iterator[Event]:
        """Load the bundle (exit 2 on bad input), investigate it, close its store."""
        return self._recorded(self._bundle(Path(bundle_dir), run_id), Path(bundle_dir))

    def plan_live(self, request: LiveRequest) -> LivePlan:
        """Sources, window, scope and incident of a live run; BadInputError for unusable flags."""
        return plan_live(self.settings, request)

    def diagnose_live(self, plan: LivePlan, store: "TelemetryStore") -> Iterator[Event]:
        """Read the plan's sources into `store` (round 0), then investigate with the sources
        handed to the agent's tools. `store` should be empty: a re-run clears it first."""
        return self._recorded(self._live(plan, store), None)

    def investigate(self, incident: Incident, store: TelemetryReader | None, *, run_id: str | None = None,
                    notes: list[str] | None = None, missing: list[str] | None = None,
                    sources: dict[str, dict[str, Any]] | None = None, bundle: Path | None = None) -> Iterator[Event]:
        """Investigate `incident` over a filled store. `missing` names sources that could not be
        read before the run (reported as missing evidence); `notes` go into the diagnosis;
        `bundle` is the directory the store was loaded from (for the run history)."""
        return self._recorded(self._run(incident, store, run_id, notes, missing, sources, None), bundle)

    def _recorded(self, events: Iterator[Event], bundle: Path | None) -> Iterator[Event]:
        return self.record(events, bundle) if self.record is not None else events

    def _bundle(self, bundle_dir: Path, run_id: str | None) -> Iterator[Event]:
        from aiops.analytics.preload import preload_in_background
        from aiops.telemetry.bundle import load_bundle
        from aiops.telemetry.limits import BundleLimits

        t0 = time.perf_counter()
        self.check_reasoner()
        preload_in_background()      # overlaps the load below, which parses without the GIL
        loaded = load_bundle(bundle_dir, limits=BundleLimits.from_settings(self.settings))
        found = {MODALITY_OF.get(table, table) for _, table, rows in loaded.files if rows}
        tables = [m for m in MODALITIES if m in found]
        read = SourceRead(f"bundle {bundle_dir.resolve().name}", "ok" if tables else "no_data",
                          ", ".join(tables) if tables else "no telemetry files with rows")
        try:
            yield from self._run(loaded.incident, loaded.store, run_id, loaded.warnings, None, None, t0, [read])
        finally:
            loaded.store.close()

    def _live(self, plan: LivePlan, store: "TelemetryStore") -> Iterator[Event]:
        self.check_reasoner()
        store.clear()
        yield from fetch_events(plan, store, self.settings)
        t = plan.target
        sources: dict[str, dict[str, Any]] = {}
        for src in plan.sources:     # the agent's HTTP tools query them again (they reopen lazily)
            sources.setdefault(src.kind, {})[src.name] = src
        yield from self._run(t.incident, store, None, list(t.notes), list(t.missing), sources, None, t.reads)

    # -- the run -----------------------------------------------------------------------------

    def _run(self, incident: Incident, store: TelemetryReader | None, run_id: str | None, notes: list[str] | None,
             missing: list[str] | None, sources: dict[str, dict[str, Any]] | None,
             t0: float | None, reads: list[SourceRead] | None = None) -> Iterator[Event]:
        from aiops.agent.playbooks import default_playbooks

        self.check_reasoner()
        t0 = time.perf_counter() if t0 is None else t0
        settings = self.settings
        budgets = Budgets.from_settings(settings)
        kb = KbOpener(settings, self.gateway)
        state = RunState.start(incident, store, settings, run_id=run_id or uuid.uuid4().hex[:12], kb_opener=kb,
                               sources=sources or {})
        state.notes.extend(notes or [])
        state.missing.extend(missing or [])
        state.source_reads.extend(reads or [])
        state.reasoner_note = self._fallback
        state.memory = self.memory
        registry = self.registry or default_registry(settings)
        state.notes.extend(f"tool not loaded: {p}" for p in registry.problems)
        state.missing.extend(getattr(registry, "missing", []))      # e.g. an MCP server that did not start
        playbooks, problems = default_playbooks(settings)
        state.notes.extend(f"playbook not loaded: {p}" for p in problems)
        provider = resolve_tracer_provider(self.tracer_provider)
        reasoner = self.reasoner or self._reasoner(registry, playbooks, state.run_id, incident)
        trace = RunTrace(provider, redactor_for(settings, reasoner))
        kb.wrap = trace.knowledge_base
        answer: Answer | None = None
        loop = run_loop(state, registry, reasoner, trace, budgets, t0)
        try:
            for event in loop:
                if isinstance(event, Answer):    # the last event: given once the KB is closed
                    answer = event
                    break
                yield event
        finally:
            loop.close()
            kb.close()
            if self.registry is None:
                registry.close()
        if answer is not None:
            if self.memory is not None:
                from aiops.agent.recall import remember_run

                note = remember_run(self.memory, state, answer.diagnosis)
                if note:
                    answer = Answer(dataclasses.replace(answer.diagnosis, notes=answer.diagnosis.notes + (note,)),
                                    followup=answer.followup)
            yield answer

    def _reasoner(self, registry: ToolRegistry, playbooks: list, run_id: str, incident: Incident) -> Reasoner:
        """offline unless a model is configured (auto) or asked for (llm); the LLM reasoner
        reads the prompt versions assigned to this run ([prompts], aiops.agent.prompt_rollout)."""
        from aiops.agent.reasoners.offline import OfflineReasoner

        settings = self.settings
        offline = OfflineReasoner(registry, playbooks)
        mode = settings.diagnose.reasoner
        scripted = self.given_gateway is not None
        if mode == "offline" or (mode == "auto" and not settings.models.planner and not scripted) or self._fallback:
            return offline
        if not settings.models.planner and not scripted:
            raise ConfigError("diagnose.reasoner = 'llm' needs a model: set models.planner (e.g. \"openai/gpt-4o-mini\")")
        from aiops.agent.prompt_rollout import prompts_for_run
        from aiops.agent.reasoners.llm import LlmReasoner

        return LlmReasoner(settings, registry, offline, gateway=self.gateway(),
                           prompts=prompts_for_run(settings, run_id, incident))


def diagnose(bundle_dir: Path, settings: Settings, run_id: str | None = None, **options: Any) -> Iterator[Event]:
    """One run over a bundle directory; `options` configure the Session (gateway=,
    tracer_provider=, registry=, reasoner=, record=)."""
    return Session(settings, **options).diagnose_bundle(bundle_dir, run_id=run_id)


def investigate(incident: Incident, store: TelemetryReader | None, settings: Settings, *, run_id: str | None = None,
                notes: list[str] | None = None, missing: list[str] | None = None,
                sources: dict[str, dict[str, Any]] | None = None, **options: Any) -> Iterator[Event]:
    """One run over a filled store; `options` configure the Session."""
    return Session(settings, **options).investigate(incident, store, run_id=run_id, notes=notes, missing=missing,
                                                    sources=sources)


