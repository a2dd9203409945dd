"""The run history: a real DuckDB file behind a write-ahead journal. Runs are recorded whole,
crashes are recorded as failed (or seen as crashed), and a history that cannot be written
never costs a diagnosis."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from aiops.agent.events import Answer
from aiops.agent.session import investigate
from aiops.config import load_settings
from aiops.domain import Usage
from aiops.history import HistoryBusy, RunHistory, diff_runs, recorded
from aiops.resources import demo_bundle
from aiops.tooling import FunctionTool, ToolResult, ToolSpec, default_registry


@pytest.fixture
def settings(tmp_path):
    s = load_settings(env={})
    s.general.data_dir = str(tmp_path / "data")
    return s


@pytest.fixture
def history(tmp_path):
    return RunHistory(tmp_path / "data" / "runs.duckdb", lock_wait_s=0.2)


def _record(demo, settings, history, **kw):
    return list(recorded(investigate(demo.incident, demo.store, settings, **kw), history, bundle=demo_bundle()))


def test_a_run_is_recorded_with_its_plan_evidence_answer_and_trace(demo, settings, history):
    d = _record(demo, settings, history)[-1].diagnosis
    [row] = history.runs()
    assert row["run_id"] == d.run_id and row["state"] == "ok" and row["trace_id"] == d.trace_id
    assert row["top_service"] == "inventory" and row["reasoner"] == "offline"
    assert row["incident_title"] == demo.incident.title and row["bundle"] == str(demo_bundle().resolve())
    full = history.get(d.run_id[:6])
    assert full["answer"]["root_causes"][0]["service"] == "inventory"
    assert full["answer"]["trace_id"] == d.trace_id
    steps = full["plan"]["steps"]
    assert [s["tool"] for s in steps[:4]] == ["metrics.scan", "logs.scan", "traces.scan", "changes.scan"]
    assert all(s["status"] in ("ok", "no_data") for s in steps)
    assert full["plan"]["rounds"][-1]["decision"] == "answer"
    assert full["evidence"] and full["evidence"][0]["score"] >= full["evidence"][-1]["score"]
    assert full["duration_s"] == pytest.approx(d.duration_s)
    assert history.get("last")["run_id"] == d.run_id


def test_the_finished_record_replaces_the_started_one_across_folds(demo, settings, history):
    events = recorded(investigate(demo.incident, demo.store, settings), history)
    first = next(events)                                   # RunStarted: the "running" record is written
    assert history.fold() and history.get(first.run_id)["state"] == "running"
    assert not history.wal_path.read_text()               # folded into DuckDB
    list(events)
    assert history.get(first.run_id)["state"] == "ok"     # from the journal
    assert history.fold()
    rows = history.runs()
    assert [(r["run_id"], r["state"]) for r in rows] == [(first.run_id, "ok")]   # one row, the newer


def test_a_run_that_raises_is_recorded_as_failed(demo, settings, history):
    class Broken:                      # a reasoner whose planner has a bug
        name = label = "broken"
        gateway, usage, prompt_versions = None, Usage(), {}

        def plan(self, *a):
            raise RuntimeError("planner bug")

    with pytest.raises(RuntimeError):
        _record(demo, settings, history, reasoner=Broken())
    [row] = history.runs()
    assert row["state"] == "failed" and row["error"] == "RuntimeError: planner bug"


def test_a_killed_process_leaves_a_whole_record_that_shows_as_crashed(tmp_path, history):
    program = textwrap.dedent(f"""
        import os, signal
        from aiops.config import load_settings
        from aiops.agent.session import diagnose
        from aiops.history import RunHistory, recorded
        from aiops.resources import demo_bundle
        s = load_settings(env={{}})
        for event in recorded(diagnose(demo_bundle(), s), RunHistory({str(history.path)!r}), bundle=demo_bundle()):
            print(event.run_id, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)          # killed mid-run, nothing runs after this
    """)
    proc = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr
    run_id = proc.stdout.strip()
    row = history.get(run_id)
    assert row["status"] == "running" and row["state"] == "crashed"


def test_a_torn_journal_line_is_skipped_and_the_next_record_stands_alone(demo, settings, history):
    _record(demo, settings, history)
    with open(history.wal_path, "a") as f:
        f.write('{"table": "runs", "run_id": "torn-by-a-kil')   # a writer killed mid-line
    _record(demo, settings, history)
    assert [r["state"] for r in history.runs()] == ["ok", "ok"]
    assert history.fold() and len(history.runs()) == 2


def test_an_unwritable_history_is_a_note_not_a_failure(demo, settings, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the history directory should be")
    events = _record(demo, settings, RunHistory(blocker / "runs.duckdb"))
    d = events[-1].diagnosis
    assert isinstance(events[-1], Answer) and d.root_causes[0].service == "inventory"
    assert any(n.startswith("run history: this run was not recorded") for n in d.notes)


def test_a_database_held_by_another_process_delays_nothing_and_loses_nothing(demo, settings, history):
    history.path.parent.mkdir(parents=True)
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, duckdb
        con = duckdb.connect({str(history.path)!r})
        print("holding", flush=True)
        sys.stdin.readline()
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        d = _record(demo, settings, history)[-1].diagnosis          # recorded in the journal
        assert not any("run history" in n for n in d.notes)
        assert history.fold() is False                                # the fold waits for its turn
        with pytest.raises(HistoryBusy, match="locked by another process"):
            history.runs()
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert [r["run_id"] for r in history.runs()] == [d.run_id]


def test_diff_names_what_changed_between_two_runs(demo, settings, history):
    a = _record(demo, settings, history)[-1].diagnosis
    registry = default_registry(settings)
    registry.register(FunctionTool(ToolSpec("logs.scan", "A log scan whose backend is down (test double).",
                                            specialist="logs"),
                                   lambda ctx, args: ToolResult("error", "loki 'main': HTTP 503")), replace=True)
    b = _record(demo, settings, history, registry=registry)[-1].diagnosis
    d = diff_runs(history.get(a.run_id), history.get(b.run_id))
    assert d["a"] == a.run_id and d["b"] == b.run_id
    assert {"tool": "logs.scan", "args": {}, "a": "ok", "b": "error"} in d["calls_status_changed"]
    assert d["findings_only_in_a"] and all(f["kind"] == "log" for f in d["findings_only_in_a"])
    assert not any(f["kind"] == "log" for f in d["findings_only_in_b"])     # b had no log evidence at all
    assert d["top"] == [a.root_causes[0].service, b.root_causes[0].service]
    moved = {m["service"]: m for m in d["ranking"]}
    for rc in a.root_causes[:5]:
        other = next((x for x in b.root_causes if x.service == rc.service), None)
        if other is None or (other.rank, round(other.confidence, 2)) != (rc.rank, round(rc.confidence, 2)):
            assert moved[rc.service]["a"]["rank"] == rc.rank
