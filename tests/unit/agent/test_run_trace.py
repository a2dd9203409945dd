"""One OpenTelemetry trace per run: the span tree of a scripted-model run, read back from an
in-memory exporter, tells planning, each tool call, each model call and retrieval apart."""

from __future__ import annotations

import json

import pytest

from aiops.agent.events import Answer, RunStarted
from aiops.agent.session import investigate
from aiops.domain import Usage
from aiops.gateway import FakeModel, Gateway
from aiops.tooling import FunctionTool, ToolResult, ToolSpec, default_registry

AWS_KEY = "AKIAIOSFODNN7EXAMPLE"


@pytest.fixture
def spans():
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


def verdict(decision, *hyps, **extra):
    return json.dumps({"hypotheses": [{"service": s, "fault": f, "confidence": c, "reasoning": "evidence"}
                                      for s, f, c in hyps], "decision": decision, **extra})


class Tree:
    def __init__(self, finished):
        self.spans = list(finished)
        self.by_id = {s.context.span_id: s for s in self.spans}

    def children(self, span, name_prefix=""):
        return sorted((s for s in self.spans if s.parent is not None and s.parent.span_id == span.context.span_id
                       and s.name.startswith(name_prefix)), key=lambda s: s.start_time)

    def roots(self):
        return [s for s in self.spans if s.parent is None]


def _scripted_run(demo, settings, tmp_path, provider, registry=None):
    fake = FakeModel()
    gateway = Gateway.scripted(fake, tmp_path / "gw", tracer_provider=provider)
    fake.enqueue(
        verdict("investigate", ("checkout", "latency", 0.4), ("inventory", "connection_pool_exhaustion", 0.35)),
        [FakeModel.tool_call("logs__search", pattern="HikariPool", service="inventory"),
         FakeModel.tool_call("knowledge__search", query="connection pool exhausted")],
        verdict("answer", ("inventory", "connection_pool_exhaustion", 0.85), ("checkout", "latency", 0.1)),
    )
    settings.diagnose.reasoner = "llm"
    settings.general.data_dir = str(tmp_path / "data")
    return list(investigate(demo.incident, demo.store, settings, gateway=gateway, tracer_provider=provider,
                                  registry=registry))


def test_a_scripted_run_is_one_trace_root_rounds_steps_model_calls_retrieval(demo, settings, tmp_path, spans):
    provider, exporter = spans
    events = _scripted_run(demo, settings, tmp_path, provider)
    d = events[-1].diagnosis
    tree = Tree(exporter.get_finished_spans())

    # one trace, whose id the report and the first event carry
    assert {s.context.trace_id for s in tree.spans} == {int(d.trace_id, 16)}
    assert isinstance(events[0], RunStarted) and events[0].trace_id == d.trace_id and len(d.trace_id) == 32
    [root] = tree.roots()
    assert root.name == "invoke_agent aiops"
    assert root.attributes["aiops.run_id"] == d.run_id
    assert root.attributes["aiops.incident.title"] == demo.incident.title
    assert root.attributes["aiops.reasoner"] == "llm:fake/scripted"
    assert root.attributes["aiops.top.service"] == "inventory" and root.attributes["aiops.outcome"] == "ok"
    assert root.attributes["aiops.prompt.planner.version"] == "v2"      # the newest shipped

    rounds = tree.children(root, "aiops.round")
    assert [r.attributes["aiops.round"] for r in rounds] == [1, 2]
    assert [r.attributes["aiops.decision"] for r in rounds] == ["replan", "answer"]
    first, second = rounds

    # round 1: the offline survey (no model in planning), concurrent tools under the round, a model verdict
    [plan1] = tree.children(first, "aiops.plan")
    assert tree.children(plan1) == []
    survey = tree.children(first, "execute_tool ")
    assert {s.attributes["gen_ai.tool.name"] for s in survey} >= {"metrics.scan", "logs.scan", "traces.scan"}
    assert len(survey) == plan1.attributes["aiops.plan.steps"]
    assert all(s.attributes["aiops.tool.status"] in ("ok", "no_data") for s in survey)
    [reflect1] = tree.children(first, "aiops.reflect")
    [chat1] = tree.children(reflect1)
    assert chat1.name == "chat fake/scripted" and chat1.attributes["gen_ai.usage.input_tokens"] > 0
    assert reflect1.attributes["aiops.decision"] == "replan"
    assert reflect1.attributes["aiops.prompt.version"] == "v2"

    # round 2: the model plans (its chat span under planning), two tool calls, one of them retrieval
    [plan2] = tree.children(second, "aiops.plan")
    assert [c.name for c in tree.children(plan2)] == ["chat fake/scripted"]
    assert plan2.attributes["aiops.plan.tools"] == ("logs.search", "knowledge.search")
    tools = {s.attributes["gen_ai.tool.name"]: s for s in tree.children(second, "execute_tool ")}
    assert set(tools) == {"logs.search", "knowledge.search"}
    assert tools["logs.search"].attributes["aiops.tool.status"] == "ok"
    assert json.loads(tools["logs.search"].attributes["aiops.step.args"])["pattern"] == "HikariPool"
    assert "FROM logs" in tools["logs.search"].attributes["aiops.tool.query"]
    [retrieval] = tree.children(tools["knowledge.search"])
    assert retrieval.name == "retrieval"
    assert retrieval.attributes["aiops.retrieval.query"] == "connection pool exhausted"
    sources, scores = retrieval.attributes["aiops.retrieval.sources"], retrieval.attributes["aiops.retrieval.scores"]
    assert sources and len(sources) == len(scores) == retrieval.attributes["aiops.retrieval.hits"]
    assert "knowledge/db-connection-pool-exhaustion.md" in sources
    assert list(scores) == sorted(scores, reverse=True)
    [reflect2] = tree.children(second, "aiops.reflect")
    assert len(tree.children(reflect2)) == 1

    # the answer: the report's runbook lookup is retrieval too
    [answer] = tree.children(root, "aiops.answer")
    assert tree.children(answer, "retrieval")
    # every span ended inside the run's span
    assert all(root.start_time <= s.start_time and s.end_time <= root.end_time for s in tree.spans
               if s.name != "retrieval")


def test_no_secret_from_a_tool_reaches_a_span(demo, settings, tmp_path, spans):
    provider, exporter = spans
    registry = default_registry(settings)
    leaky = f"connection refused for AWS_ACCESS_KEY_ID={AWS_KEY}"
    registry.register(FunctionTool(ToolSpec("logs.scan", "A log scan that echoes a secret (test double).",
                                            specialist="logs"),
                                   lambda ctx, a: ToolResult("error", leaky, query=f"grep {AWS_KEY}")), replace=True)
    _scripted_run(demo, settings, tmp_path, provider, registry=registry)
    finished = exporter.get_finished_spans()
    step = next(s for s in finished if s.name == "execute_tool logs.scan")
    assert step.attributes["aiops.tool.status"] == "error" and step.status.status_code.name == "ERROR"
    assert "[REDACTED_AWS_ACCESS_KEY" in step.attributes["aiops.tool.summary"]
    everything = json.dumps([{**dict(s.attributes), "status": s.status.description} for s in finished], default=str)
    assert AWS_KEY not in everything


def test_a_run_that_crashes_ends_its_trace_as_failed(demo, settings, spans):
    provider, exporter = spans

    class Broken:                      # a reasoner whose planner has a bug
        name = label = "broken"
        gateway, usage, prompt_versions = None, Usage(), {}

        def plan(self, *a):
            raise RuntimeError("planner bug")

    with pytest.raises(RuntimeError):
        list(investigate(demo.incident, demo.store, settings, reasoner=Broken(), tracer_provider=provider))
    tree = Tree(exporter.get_finished_spans())
    [root] = tree.roots()
    assert root.attributes["aiops.outcome"] == "failed"
    assert root.status.status_code.name == "ERROR" and "planner bug" in root.status.description
    [rnd] = tree.children(root, "aiops.round")
    [plan] = tree.children(rnd, "aiops.plan")
    assert plan.status.status_code.name == "ERROR"


def test_without_a_configured_exporter_every_run_still_has_its_own_trace_id(demo, settings):
    a = list(investigate(demo.incident, demo.store, settings))[-1].diagnosis
    b = list(investigate(demo.incident, demo.store, settings))[-1].diagnosis
    assert len(a.trace_id) == 32 and int(a.trace_id, 16) and a.trace_id != b.trace_id
    assert isinstance(Answer(a), Answer) and a.prompt_versions == {}     # the offline reasoner has no prompts
