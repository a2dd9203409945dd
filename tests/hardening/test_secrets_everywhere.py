"""Secrets planted in an incident's data never leave it: the gateway's corpus of secret shapes
(tests/unit/gateway/secrets_corpus.py, one fake value of each real shape) is planted in log
lines, event messages, metric label values and runbooks, plus the provider key itself in a
log line. A scripted model reads all of it back through the tools, answers, and takes a
follow-up question with a check.

No secret — nor any 16-character piece of one — may appear in: an outgoing model request,
any span attribute or event of any span (the gateway's and the run's own),
the gateway ledger, the response cache, or a report in any format (JSON, Markdown, text,
HTML). The positive control: the gateway did see (and replace) every shape.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from planted import index_runbooks, planted_bundle, read_tools_dir, runbook_dir

from aiops.agent.session import investigate
from aiops.config import load_settings
from aiops.gateway import FakeModel, Gateway, Ledger
from aiops.gateway.provider_keys import ProviderKeys
from aiops.report.html import render_html
from aiops.report.json_report import render_json
from aiops.report.markdown import render_markdown
from aiops.telemetry.bundle import load_bundle

PROVIDER_KEY = "sk-proj-SecretsTestKey9876543210zyxwvuTSRQ"
MODEL = "openai/gpt-4o-mini"
WORD = "quokkanote"
GROUP = 8                                    # runbooks per search word (knowledge.search gives k <= 10)


def _corpus():
    path = Path(__file__).resolve().parents[1] / "unit" / "gateway" / "secrets_corpus.py"
    spec = importlib.util.spec_from_file_location("hardening_secrets_corpus", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CORPUS


CORPUS = _corpus()
SECRETS = sorted({s for _, _, parts in CORPUS for s in parts} | {PROVIDER_KEY}, key=len, reverse=True)


def leaks(text: str) -> list[str]:
    """Secrets found in `text`, whole or as any 16-character piece of a longer one."""
    found = []
    for secret in SECRETS:
        pieces = [secret] if len(secret) < 16 else [secret[i:i + 16] for i in range(0, len(secret) - 15)]
        if any(p in text for p in pieces):
            found.append(secret)
    return found


class CuriousModel:
    """Reads every planted record back (round 2), answers, and checks once more when asked."""

    def __init__(self, groups: int) -> None:
        self.groups = groups
        self.planned = 0

    def __call__(self, request):  # noqa: ANN001 - aiops.gateway.ModelRequest
        text = request.messages[-1]["content"]
        if request.tools:
            self.planned += 1
            if self.planned == 1:
                return [FakeModel.tool_call("logs__lines_matching", pattern="SECRETPLANT"),
                        FakeModel.tool_call("events__list", kinds=["note"], limit=100),
                        FakeModel.tool_call("metrics__labels_matching", pattern="SECRETPLANT")] + [
                    FakeModel.tool_call("knowledge__search", query=f"{WORD}{g}", k=10) for g in range(self.groups)]
            if "Question:" in text and self.planned == 2:
                return [FakeModel.tool_call("logs__search", pattern="password", limit=50)]
            return "the evidence is in; the placeholders [REDACTED_SECRET_VALUE_1] and [REDACTED_PROVIDER_KEY_1] stay"
        decision = "investigate" if self.planned == 0 else "answer"
        return json.dumps({"hypotheses": [{"service": "inventory", "fault": "connection_pool_exhaustion",
                                           "confidence": 0.8, "reasoning": "pool errors"}], "decision": decision,
                           "remediation": ["rotate the credentials the logs leaked"], "summary": "inventory"})


@pytest.fixture(scope="module")
def leaky_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("secrets")
    texts = [f"SECRETPLANT {text}" for _, text, _ in CORPUS]
    bundle = planted_bundle(tmp / "bundle", logs=texts + [f"SECRETPLANT calling the model with key {PROVIDER_KEY}"],
                            events=texts, labels=texts, alert={"description": texts[0]})
    settings = load_settings(env={})
    settings.general.data_dir = str(tmp / "data")
    settings.kb.path = str(tmp / "kb.duckdb")
    settings.tools.paths = [str(read_tools_dir(tmp))]
    settings.diagnose.reasoner = "llm"
    settings.models.context_windows = {"planner": 400_000}
    settings.gateway.trace_prompts = True              # the redacted prompt goes on the span: check it too
    groups = -(-len(CORPUS) // GROUP)
    books = runbook_dir(tmp, [], WORD)
    for i, (_, text, _) in enumerate(CORPUS):
        (books / f"secret-{i:02d}.md").write_text(f"# Rotation notes {i}\n\n{WORD}{i // GROUP} {text}\n")
    index_runbooks(settings, books)
    return tmp, bundle, settings, groups


def test_planted_secrets_reach_no_model_span_ledger_cache_or_report(leaky_run, all_spans):
    tmp, bundle, settings, groups = leaky_run
    fake = FakeModel(default=CuriousModel(groups))
    gateway = Gateway.scripted(fake, tmp / "gateway", aliases={"planner": MODEL},
                               provider_keys=ProviderKeys(env={"OPENAI_API_KEY": PROVIDER_KEY}),
                               trace_prompts=True)
    loaded = load_bundle(bundle)
    try:
        events = list(investigate(loaded.incident, loaded.store, settings, gateway=gateway))
        answer = events[-1]
        follow = list(answer.followup.ask("Which credentials did the logs leak?"))
    finally:
        loaded.store.close()
    gateway.close()
    d = answer.diagnosis
    assert d.reasoner == f"llm:{MODEL}", d.notes
    assert follow[-1].ok and follow[0].step.tool == "logs.search"

    # the positive control: every shape was on its way to the model and was replaced
    seen = "\n".join(gateway.redactor.mapping.values())
    missed = [name for name, _, parts in CORPUS if not any(p[:16] in seen for p in parts)]
    assert not missed, f"never reached the gateway: {missed}"
    assert PROVIDER_KEY in seen

    # outgoing model requests (messages and tool schemas), every call
    assert len(fake.requests) >= 4
    for i, request in enumerate(fake.requests):
        sent = json.dumps(request.messages, ensure_ascii=False) + json.dumps(request.tools or [])
        assert not leaks(sent), (i, leaks(sent))
    assert any("[REDACTED_" in json.dumps(r.messages) for r in fake.requests)

    # every span of the run: names, attributes, events (the redacted prompt is on the gateway's)
    spans = all_spans.get_finished_spans()
    assert any(s.attributes.get("aiops.prompt.redacted") for s in spans)
    names = {s.name for s in spans}
    assert "invoke_agent aiops" in names and any(n.startswith("execute_tool ") for n in names)   # the run's own
    for span in spans:
        blob = span.name + json.dumps(dict(span.attributes or {}), default=str) + json.dumps(
            [(e.name, dict(e.attributes or {})) for e in span.events], default=str)
        assert not leaks(blob), (span.name, leaks(blob))

    # the ledger (rows, and the raw text of its write-ahead file) and the response cache
    ledger_rows = Ledger(tmp / "gateway" / "gateway.duckdb").rows()
    assert ledger_rows and not leaks(json.dumps(ledger_rows))
    for path in (tmp / "gateway").rglob("*"):
        if path.is_file():
            assert not leaks(path.read_bytes().decode("utf-8", "replace")), path
    assert list((tmp / "gateway" / "gateway-cache").rglob("*.json"))

    # every report format
    from rich.console import Console

    from aiops.report.text import render_text

    console = Console(record=True, width=120, file=open("/dev/null", "w"))  # noqa: SIM115
    render_text(d, console, 10)
    reports = {"json": render_json(d), "markdown": render_markdown(d, 10), "text": console.export_text(),
               "html": render_html(d)}
    for fmt, text in reports.items():
        assert not leaks(text), (fmt, leaks(text))
    assert "[REDACTED_" in reports["json"]         # the leaky alert (and evidence) is cited, with placeholders


def test_a_capped_tool_result_never_ends_inside_a_secret():
    """Tool output is cut to its share of the context before the gateway redacts it: a cut
    through a secret would leave a piece redaction no longer recognises. Cuts fall between
    words, so for every shape and every cut point no 8-character prefix of a secret remains."""
    from aiops.agent.digest import cap
    from aiops.gateway.redact import Redactor

    for name, text, parts in CORPUS:
        line = "GET /api/v1/orders 200 " + text + " retry=3 done"
        for secret in parts:
            start = line.find(secret)
            if start < 0 or len(secret) < 12:
                continue
            for limit in range(start + 8, start + len(secret), 3):
                sent = Redactor().redact(cap(line, limit))[0]
                assert secret[:8] not in sent, (name, limit, sent)


# -- the run history and the `aiops runs` commands ---------------------------------------------------

DSN_PASSWORD = "Dsn5ecretInTitle"


@pytest.fixture(scope="module")
def recorded_leaky_run(leaky_run):
    """The same leaky investigation, recorded in the run history as `aiops diagnose` records
    it; the incident's title carries a DSN with a password (runs list shows titles)."""
    from aiops.history import RunHistory, recorded

    tmp, bundle, settings, groups = leaky_run
    toml = (bundle / "incident.toml").read_text()
    first = toml.splitlines()[0]
    assert first.startswith("title = ")
    title = f"checkout cannot reach postgres://app:{DSN_PASSWORD}@db.prod:5432/orders"
    (bundle / "incident.toml").write_text(toml.replace(first, f"title = {json.dumps(title)}", 1))
    fake = FakeModel(default=CuriousModel(groups))
    gateway = Gateway.scripted(fake, tmp / "gateway-h", aliases={"planner": MODEL},
                               provider_keys=ProviderKeys(env={"OPENAI_API_KEY": PROVIDER_KEY}))
    history = RunHistory(tmp / "history" / "runs.duckdb")
    loaded = load_bundle(bundle)
    try:
        events = list(recorded(investigate(loaded.incident, loaded.store, settings, gateway=gateway),
                               history, bundle=bundle))
    finally:
        loaded.store.close()
        gateway.close()
    config = tmp / "history-config.toml"
    config.write_text(f'[history]\npath = "{tmp / "history" / "runs.duckdb"}"\n')
    return history, events[-1].diagnosis, config


def test_planted_secrets_reach_no_run_history_record(recorded_leaky_run):
    history, d, _ = recorded_leaky_run
    assert d.run_id and d.reasoner == f"llm:{MODEL}", d.notes
    pending = history.wal_path.read_text(encoding="utf-8")          # the write-ahead file, as written
    assert d.run_id in pending and DSN_PASSWORD not in pending and not leaks(pending), leaks(pending)
    record = history.get(d.run_id)                                  # folded into DuckDB and read back
    assert record["plan"]["steps"] and record["evidence"] and record["answer"]["root_causes"]
    text = json.dumps(record, ensure_ascii=False, default=str)
    assert DSN_PASSWORD not in text and not leaks(text), leaks(text)
    assert "[REDACTED_" in json.dumps(record["plan"]) and "[REDACTED_" in record["incident_title"]
    import duckdb

    con = duckdb.connect(str(history.path), read_only=True)
    try:
        stored = json.dumps(con.execute("SELECT * FROM runs").fetchall(), default=str, ensure_ascii=False)
    finally:
        con.close()
    assert d.run_id in stored and DSN_PASSWORD not in stored and not leaks(stored), leaks(stored)


@pytest.mark.parametrize("args", [("runs", "list"), ("runs", "list", "--json"), ("runs", "show", "last"),
                                  ("runs", "show", "last", "--json")])
def test_no_runs_command_prints_a_planted_secret(recorded_leaky_run, args):
    from inprocess_cli import run_aiops

    _, d, config = recorded_leaky_run
    result = run_aiops("--config", config, *args)
    assert result.exit_code == 0, result.stderr
    assert d.run_id[:8] in result.stdout
    assert DSN_PASSWORD not in result.stdout and not leaks(result.stdout), leaks(result.stdout)


# -- aiops report: the release check's outputs ------------------------------------------------------

@pytest.fixture(scope="module")
def leaky_release(simulated_releases, tmp_path_factory):
    """A failing release whose deploy/config events and new log lines hold every secret shape;
    `aiops report` writes every output and the step summary."""
    import csv
    import os
    import subprocess
    import sys

    import shutil

    tmp = tmp_path_factory.mktemp("leaky-release")
    bundle = shutil.copytree(simulated_releases[1], tmp / "bundle")
    plan = simulated_releases[3]
    texts = [text for _, text, _ in CORPUS] + [f"postgres://app:{DSN_PASSWORD}@db.prod:5432/orders down"]
    at = plan.deployed_at + 60
    with open(bundle / "events.jsonl", "a", encoding="utf-8") as fh:
        for i, text in enumerate(texts):
            fh.write(json.dumps({"timestamp": at + i, "kind": "config", "service": plan.service,
                                 "message": f"SECRETPLANT {text}"}) + "\n")
    with open(bundle / "logs.csv", "a", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        for i, text in enumerate(texts):
            for k in range(12):
                ts = int((at + 30 * i + k) * 1e9)
                writer.writerow([ts, plan.service, f"{plan.service}-0", "error", f"SECRETPLANT {text}", "", ""])
    out, summary = tmp / "reports", tmp / "summary.md"
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_STEP_SUMMARY"} | {"GITHUB_STEP_SUMMARY": str(summary)}
    proc = subprocess.run([sys.executable, "-m", "aiops", "report", "--release", plan.version, "--bundle", str(bundle),
                           "--out-dir", str(out), "-q"], capture_output=True, text=True, env=env, timeout=600)
    return proc, out, summary


def test_planted_secrets_reach_no_release_report(leaky_release):
    proc, out, summary = leaky_release
    assert proc.returncode == 1, proc.stderr                       # the release fails: the report is complete
    outputs = {p.name: p.read_text(encoding="utf-8") for p in out.iterdir()}
    assert sorted(outputs) == ["release-junit.xml", "release-report.html", "release-report.json", "release-report.md"]
    outputs |= {"stdout": proc.stdout, "step summary": summary.read_text(encoding="utf-8")}
    for name, text in outputs.items():
        assert DSN_PASSWORD not in text and not leaks(text), (name, leaks(text))
    assert "SECRETPLANT" in outputs["release-report.json"] and "[REDACTED_" in outputs["release-report.json"]
