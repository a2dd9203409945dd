"""One OpenTelemetry trace per run: where a bad answer came from, span by span.

    invoke_agent aiops                       the run: id, incident, reasoner, prompt versions, outcome
      aiops.round                            one per plan -> execute -> reflect round
        aiops.plan                           planning (the model's `chat` span below it, if any)
        execute_tool <tool>                  each step: args, status, query, summary, duration
          retrieval                          knowledge-base search: query, hit sources and scores
        aiops.reflect                        the verdict (and its `chat` spans)
      aiops.answer                           the report (runbook retrieval below it)

Spans are parented explicitly, never left "current" across a `yield`, so the trace stays
right whatever the consumer of the event stream does; tool calls that run in worker
threads are children of their round. Every text attribute (queries, summaries, titles)
goes through the gateway's Redactor first: no secret leaves in a span. Tracing never
fails a run: an exporter problem is the SDK's to log.
"""

from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager
from typing import Any, Iterator

from aiops.agent.events import PlannedStep
from aiops.errors import one_line
from aiops.gateway.redact import Redactor

TRACER_NAME = "aiops.agent"
MAX_TEXT = 1000                      # characters of a text attribute
MAX_LIST = 20                        # items of a list attribute
_SILENT: Any = None
_SILENT_LOCK = threading.Lock()


def resolve_tracer_provider(given: Any = None) -> Any:
    """`given`, else the process's global provider if one was set, else a provider that
    exports nothing (spans still get ids, so every report carries a trace id)."""
    global _SILENT
    if given is not None:
        return given
    from opentelemetry import trace

    current = trace.get_tracer_provider()
    if not isinstance(current, (trace.ProxyTracerProvider, trace.NoOpTracerProvider)):
        return current
    with _SILENT_LOCK:
        if _SILENT is None:
            from opentelemetry.sdk.trace import TracerProvider

            _SILENT = TracerProvider()
        return _SILENT


class RunTrace:
    def __init__(self, provider: Any, redactor: Redactor | None = None) -> None:
        from opentelemetry import trace

        self._trace = trace
        self.provider = provider
        self.tracer = provider.get_tracer(TRACER_NAME)
        self._redactor = redactor or Redactor()
        self._lock = threading.Lock()
        self.root: Any = trace.INVALID_SPAN
        self._root_ctx: Any = None
        self._round: Any = None
        self._round_ctx: Any = None

    # -- text --------------------------------------------------------------------------------

    def text(self, value: Any, limit: int = MAX_TEXT) -> str:
        """`value` as redacted, capped text: safe to put on a span."""
        s = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
        with self._lock:
            s = self._redactor.redact(s)[0]
        return s if len(s) <= limit else s[: limit - 1] + "…"

    # -- the run -----------------------------------------------------------------------------

    def start(self, run_id: str, incident: Any, reasoner: str, prompt_versions: dict[str, str]) -> None:
        attrs: dict[str, Any] = {
            "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "aiops",
            "aiops.run_id": run_id, "aiops.incident.title": self.text(incident.title),
            "aiops.reasoner": reasoner,
        }
        if incident.alert:
            attrs["aiops.incident.alert"] = self.text(dict(incident.alert))
        for name, version in sorted(prompt_versions.items()):
            attrs[f"aiops.prompt.{name}.version"] = version
        self.root = self.tracer.start_span("invoke_agent aiops", attributes=attrs)
        self._root_ctx = self._trace.set_span_in_context(self.root)

    @property
    def trace_id(self) -> str:
        ctx = self.root.get_span_context()
        return format(ctx.trace_id, "032x") if ctx.is_valid else ""

    def finish(self, diagnosis: Any) -> None:
        self.end_round()
        root = self.root
        if diagnosis is not None:
            top = diagnosis.root_causes[0] if diagnosis.root_causes else None
            root.set_attribute("aiops.reasoner", diagnosis.reasoner)
            root.set_attribute("aiops.root_causes", len(diagnosis.root_causes))
            if top is not None:
                root.set_attribute("aiops.top.service", top.service)
                root.set_attribute("aiops.top.fault", top.fault)
                root.set_attribute("aiops.top.confidence", float(top.confidence))
            u = diagnosis.usage
            root.set_attribute("gen_ai.usage.input_tokens", u.prompt_tokens)
            root.set_attribute("gen_ai.usage.output_tokens", u.completion_tokens)
            root.set_attribute("aiops.llm_calls", u.llm_calls)
            root.set_attribute("aiops.cost_usd", float(u.cost_usd))
            root.set_attribute("aiops.duration_s", float(diagnosis.duration_s))
            if diagnosis.missing_evidence:
                root.set_attribute("aiops.missing_evidence", [self.text(m, 300) for m in diagnosis.missing_evidence[:MAX_LIST]])
            root.set_attribute("aiops.outcome", "ok")
        root.end()

    def fail(self, exc: BaseException) -> None:
        """The run ended by an exception (a bug, an interrupt): close every open span as failed."""
        from opentelemetry.trace import Status, StatusCode

        why = f"{type(exc).__name__}: {self.text(one_line(exc), 300)}"
        if self._round is not None:
            self._round.set_status(Status(StatusCode.ERROR, why))
        self.end_round()
        self.root.set_attribute("aiops.outcome", "failed")
        self.root.set_status(Status(StatusCode.ERROR, why))
        self.root.end()

    # -- rounds ------------------------------------------------------------------------------

    def begin_round(self, round_no: int) -> None:
        self.end_round()
        self._round = self.tracer.start_span("aiops.round", context=self._root_ctx, attributes={"aiops.round": round_no})
        self._round_ctx = self._trace.set_span_in_context(self._round)

    def end_round(self) -> None:
        if self._round is not None:
            self._round.end()
        self._round, self._round_ctx = None, None

    def _parent(self) -> Any:
        return self._round_ctx if self._round_ctx is not None else self._root_ctx

    @contextmanager
    def _current(self, name: str, attrs: dict[str, Any]) -> Iterator[Any]:
        """A child of the round (or run), current for the block: model spans nest under it."""
        from opentelemetry.trace import Status, StatusCode

        span = self.tracer.start_span(name, context=self._parent(), attributes=attrs)
        with self._trace.use_span(span, end_on_exit=True, record_exception=False, set_status_on_exception=False):
            try:
                yield span
            except BaseException as exc:
                span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {self.text(one_line(exc), 300)}"))
                raise

    @contextmanager
    def planning(self, round_no: int) -> Iterator[Any]:
        with self._current("aiops.plan", {"aiops.round": round_no}) as span:
            yield span

    def planned(self, span: Any, plan: Any) -> None:
        span.set_attribute("aiops.plan.steps", len(plan.steps))
        span.set_attribute("aiops.plan.tools", [s.tool for s in plan.steps[:MAX_LIST]])
        if plan.hypotheses:
            span.set_attribute("aiops.plan.hypotheses", [self.text(h, 200) for h in plan.hypotheses[:MAX_LIST]])
        if plan.playbooks:
            span.set_attribute("aiops.plan.playbooks", list(plan.playbooks)[:MAX_LIST])
        if plan.dropped:
            span.set_attribute("aiops.plan.dropped", [self.text(d, 200) for d in plan.dropped[:MAX_LIST]])

    @contextmanager
    def reflecting(self, round_no: int, must_answer: bool) -> Iterator[Any]:
        with self._current("aiops.reflect", {"aiops.round": round_no, "aiops.must_answer": must_answer}) as span:
            yield span

    def reflected(self, span: Any, verdict: Any) -> None:
        span.set_attribute("aiops.decision", verdict.decision)
        span.set_attribute("aiops.confident", bool(verdict.confident))
        span.set_attribute("aiops.hypotheses", [f"{h.service}:{h.fault}:{h.confidence:.2f}"
                                                for h in verdict.hypotheses[:MAX_LIST]])
        if verdict.summary:
            span.set_attribute("aiops.summary", self.text(verdict.summary, 400))
        if self._round is not None:
            self._round.set_attribute("aiops.decision", verdict.decision)

    @contextmanager
    def answering(self) -> Iterator[Any]:
        self.end_round()
        with self._current("aiops.answer", {}) as span:
            yield span

    # -- steps and retrieval ------------------------------------------------------------------

    def steps(self, round_no: int) -> "StepSpans":
        return StepSpans(self, self._parent(), round_no)

    def knowledge_base(self, kb: Any) -> Any:
        return TracedKnowledgeBase(kb, self) if kb is not None else None


class StepSpans:
    """The `execute_tool` spans of one round. A worker thread opens a step's span when the
    tool starts (current in that thread, so retrieval and model calls nest under it); the
    loop closes it with the result, whether the tool finished, timed out or never ran."""

    def __init__(self, run: RunTrace, parent_ctx: Any, round_no: int) -> None:
        self.run = run
        self.parent_ctx = parent_ctx
        self.round_no = round_no
        self._lock = threading.Lock()
        self._spans: dict[int, Any] = {}
        self._ended_ns: dict[int, int] = {}
        self._closed: set[int] = set()

    def _open(self, index: int, step: PlannedStep) -> Any:
        attrs = {
            "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": step.tool, "gen_ai.tool.call.id": step.id,
            "aiops.round": self.round_no, "aiops.step.specialist": step.specialist,
            "aiops.step.args": self.run.text(step.args, 500),
        }
        if step.reason:
            attrs["aiops.step.reason"] = self.run.text(step.reason, 300)
        return self.run.tracer.start_span(f"execute_tool {step.tool}", context=self.parent_ctx, attributes=attrs)

    @contextmanager
    def running(self, index: int, step: PlannedStep) -> Iterator[None]:
        """Around `tool.run` in the worker thread."""
        with self._lock:
            span = None
            if index not in self._closed:
                span = self._spans[index] = self._open(index, step)
        if span is None:              # the loop gave up on it before it started
            yield
            return
        token = _attach(span)
        try:
            yield
        finally:
            self._ended_ns[index] = time.time_ns()
            _detach(token)

    def finished(self, index: int, record: Any) -> None:
        """Close step `index` with its result (called by the loop as results come in)."""
        try:
            self._finish(index, record)
        except Exception:  # noqa: BLE001 - a tracing problem never fails a run
            pass

    def _finish(self, index: int, record: Any) -> None:
        from opentelemetry.trace import Status, StatusCode

        with self._lock:
            self._closed.add(index)
            span = self._spans.pop(index, None)
            if span is None:
                span = self._open(index, record.step)
        res = record.result
        span.set_attribute("aiops.tool.status", res.status)
        span.set_attribute("aiops.tool.duration_s", round(float(record.duration_s), 6))
        span.set_attribute("aiops.tool.findings", len(res.findings))
        if res.query:
            span.set_attribute("aiops.tool.query", self.run.text(res.query))
        if res.summary:
            span.set_attribute("aiops.tool.summary", self.run.text(res.summary))
        if res.status == "error":
            span.set_status(Status(StatusCode.ERROR, self.run.text(res.summary, 300)))
        span.end(end_time=self._ended_ns.pop(index, None))


def _attach(span: Any) -> Any:
    from opentelemetry import context, trace

    return context.attach(trace.set_span_in_context(span))


def _detach(token: Any) -> None:
    from opentelemetry import context

    context.detach(token)


class TracedKnowledgeBase:
    """The run's knowledge base, with a `retrieval` span around every search."""

    def __init__(self, kb: Any, run: RunTrace) -> None:
        self._kb = kb
        self._run = run

    def __getattr__(self, name: str) -> Any:
        return getattr(self._kb, name)

    def search(self, query: str, k: int = 5, **filters: Any) -> list[Any]:
        run = self._run
        attrs: dict[str, Any] = {"gen_ai.operation.name": "retrieval", "aiops.retrieval.query": run.text(query, 500),
                                 "aiops.retrieval.k": k}
        for key, value in filters.items():
            if value:
                attrs[f"aiops.retrieval.{key}"] = run.text(value, 200)
        current = run._trace.get_current_span().get_span_context()
        parent = None if current.is_valid else run._parent()      # outside any step: under the round
        with run.tracer.start_as_current_span("retrieval", context=parent, attributes=attrs, record_exception=False,
                                              set_status_on_exception=False) as span:
            try:
                hits = self._kb.search(query, k=k, **filters)
            except BaseException as exc:
                from opentelemetry.trace import Status, StatusCode

                span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {run.text(one_line(exc), 300)}"))
                raise
            try:
                span.set_attribute("aiops.retrieval.hits", len(hits))
                span.set_attribute("aiops.retrieval.sources", [run.text(h.source, 300) for h in hits[:MAX_LIST]])
                span.set_attribute("aiops.retrieval.scores", [round(float(h.score), 4) for h in hits[:MAX_LIST]])
            except Exception:  # noqa: BLE001 - a tracing problem never fails a search
                pass
            return hits


def redactor_for(settings: Any, reasoner: Any) -> Redactor:
    """The gateway's redactor when the run has one (it knows the provider keys), else a new one."""
    found = reasoner.gateway.redactor if reasoner.gateway is not None else None
    return found if isinstance(found, Redactor) else Redactor(pii=settings.gateway.redact_pii)

