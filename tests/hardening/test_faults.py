"""Injected faults: DuckDB files locked by another process or read-only (knowledge base,
gateway ledger), the disk filling up while a report or a ledger row is written, and a model
that fails or rate-limits in the middle of a run. Each ends in a diagnosis or a one-line
error, in bounded time, and leaves every store readable and whole.

Covered elsewhere (not redone here): live sources down/slow/5xx/truncated/garbled
(tests/integration/live/test_source_faults.py), a tool that hangs
(tests/unit/agent/test_loop.py::test_a_hanging_tool_times_out_and_the_run_still_answers), a
process killed mid-write (tests/unit/gateway/test_ledger.py, tests/unit/kb/test_crash_safety.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import textwrap
from contextlib import contextmanager
from pathlib import Path

import pytest

from aiops.agent.session import investigate
from aiops.config import load_settings
from aiops.gateway import FakeModel, Gateway, Ledger, ProviderError
from aiops.resources import demo_bundle
from aiops.telemetry.bundle import load_bundle

REPO = Path(__file__).resolve().parents[2]


def verdict(decision: str = "answer") -> str:
    return json.dumps({"hypotheses": [{"service": "inventory", "fault": "connection_pool_exhaustion",
                                       "confidence": 0.7, "reasoning": "pool errors"}], "decision": decision})


def settings_in(tmp_path: Path, reasoner: str = "offline"):
    settings = load_settings(env={})
    settings.general.data_dir = str(tmp_path / "data")
    settings.diagnose.reasoner = reasoner
    return settings


@contextmanager
def held_open(db: Path):
    """Another process holding the DuckDB file open for writing (DuckDB admits one writer)."""
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys; con = duckdb.connect(sys.argv[1]); "
                               "print('ready', flush=True); sys.stdin.read()", str(db)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        yield
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)


@contextmanager
def read_only(directory: Path):
    """The directory and its files cannot be written by this process: modes for an ordinary
    user; root ignores modes, so for root the files are made immutable (chattr +i)."""
    paths = [directory, *directory.iterdir()]
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in paths}
        for p in paths:
            p.chmod(0o555 if p.is_dir() else 0o444)
        try:
            yield
        finally:
            for p, mode in modes.items():
                p.chmod(mode)
        return
    if shutil.which("chattr") is None:
        pytest.skip("running as root without chattr: cannot make a file read-only for this process")
    done = []
    try:
        for p in paths[::-1]:
            if subprocess.run(["chattr", "+i", str(p)], capture_output=True).returncode != 0:
                pytest.skip(f"chattr +i not supported on {p}'s filesystem")
            done.append(p)
        yield
    finally:
        for p in done:
            subprocess.run(["chattr", "-i", str(p)], capture_output=True)


def _digest(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir()) if p.is_file()}


def _kb_documents(settings) -> int:
    from aiops.kb.builtin import open_knowledge_base

    kb = open_knowledge_base(settings)
    try:
        return kb.store.counts()["documents"]
    finally:
        kb.close()


# -- the knowledge base -----------------------------------------------------------------------------

def test_a_knowledge_base_held_for_writing_is_read_from_its_snapshot(demo, tmp_path):
    settings = settings_in(tmp_path)
    settings.kb.path = str(tmp_path / "kb" / "kb.duckdb")
    documents = _kb_documents(settings)                                  # a writer publishes the snapshot
    with held_open(Path(settings.kb.path)):                             # e.g. `aiops kb watch` mid-batch
        d = list(investigate(demo.incident, demo.store, settings))[-1].diagnosis
    assert d.root_causes[0].service == "inventory" and d.runbooks
    assert not any("knowledge base" in n for n in d.notes), d.notes      # the operator's store, not a fallback
    assert not any("the operator's runbooks" in m for m in d.missing_evidence)
    assert _kb_documents(settings) == documents                          # the file is whole afterwards


def test_a_knowledge_base_locked_before_any_snapshot_still_gives_runbooks(demo, tmp_path):
    settings = settings_in(tmp_path)
    settings.kb.path = str(tmp_path / "kb" / "kb.duckdb")
    settings.kb.lock_wait_s = 0.3
    documents = _kb_documents(settings)
    Path(settings.kb.path + ".snapshot").unlink()                       # a store from before snapshots
    with held_open(Path(settings.kb.path)):
        d = list(investigate(demo.incident, demo.store, settings))[-1].diagnosis
    assert d.root_causes[0].service == "inventory" and d.runbooks        # the shipped runbooks, in memory
    assert any("knowledge base unavailable" in n and "in use by another process" in n for n in d.notes), d.notes
    assert any("the operator's runbooks" in m for m in d.missing_evidence)
    assert _kb_documents(settings) == documents                          # the file is whole afterwards


def test_a_read_only_knowledge_base_is_left_as_it_was(demo, tmp_path):
    settings = settings_in(tmp_path)
    settings.kb.path = str(tmp_path / "kb" / "kb.duckdb")
    documents = _kb_documents(settings)
    before = _digest(tmp_path / "kb")
    with read_only(tmp_path / "kb"):
        d = list(investigate(demo.incident, demo.store, settings))[-1].diagnosis
        assert _digest(tmp_path / "kb") == before
    # read from its published snapshot, read-only: the operator's runbooks, nothing written
    assert d.runbooks and not any("knowledge base unavailable" in n for n in d.notes), d.notes
    assert _kb_documents(settings) == documents


# -- the gateway ledger -------------------------------------------------------------------------------

def _llm_run(demo, settings, gateway):
    settings.diagnose.reasoner = "llm"
    return list(investigate(demo.incident, demo.store, settings, gateway=gateway))[-1].diagnosis


def test_a_ledger_locked_by_another_process_queues_every_call(demo, tmp_path):
    fake = FakeModel(verdict("investigate"), [FakeModel.tool_call("logs__search", pattern="HikariPool")], verdict())
    gateway = Gateway.scripted(fake, tmp_path / "gw")
    (tmp_path / "gw").mkdir()
    with held_open(tmp_path / "gw" / "gateway.duckdb"):
        d = _llm_run(demo, settings_in(tmp_path), gateway)
        gateway.close()                                   # the fold finds the file locked: rows wait
    assert d.reasoner == "llm:fake/scripted" and d.usage.llm_calls == 3
    rows = Ledger(tmp_path / "gw" / "gateway.duckdb").rows()
    assert [r["outcome"] for r in rows] == ["ok"] * 3


def test_a_read_only_ledger_stops_model_calls_and_the_offline_reasoner_answers(demo, tmp_path):
    fake = FakeModel(default=verdict())
    (tmp_path / "gw").mkdir()
    gateway = Gateway.scripted(fake, tmp_path / "gw")
    with read_only(tmp_path / "gw"):
        d = _llm_run(demo, settings_in(tmp_path), gateway)
    assert fake.requests == []                            # nothing sent without a ledger record
    assert d.reasoner.startswith("offline (took over from llm:") and d.root_causes[0].service == "inventory"
    assert any("cannot write the ledger" in n for n in d.notes), d.notes


# -- a full disk --------------------------------------------------------------------------------------

def _limited(max_bytes: int):
    def apply() -> None:          # runs in the child: writes past max_bytes fail with EFBIG
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))
    return apply


def test_a_full_disk_on_a_first_run_is_noted_and_the_next_run_finds_history_and_kb_whole(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIOPS_")}
    env.update(HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "data"))
    cmd = [sys.executable, "-m", "aiops", "diagnose", "--demo", "--format", "json", "-q"]
    # 8000 bytes: the run's start record fits, its end record (plan, evidence, answer) does not
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=env, timeout=300,
                          preexec_fn=_limited(8000))
    assert proc.returncode == 0, proc.stderr[-3000:]
    d = json.loads(proc.stdout)
    assert d["root_causes"][0]["service"] == "inventory"
    note = next(n for n in d["notes"] if n.startswith("run history:"))
    assert "answer of this run was not recorded" in note and "File too large" in note
    assert any(n.startswith("knowledge base unavailable") and "cannot create" in n for n in d["notes"])
    from aiops.history import RunHistory

    history = RunHistory(tmp_path / "data" / "aiops" / "runs.duckdb")
    assert [r["run_id"] for r in history.runs()] == [d["run_id"]]       # the start record; the torn end skipped
    again = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=env, timeout=300)
    notes = json.loads(again.stdout)["notes"]
    assert again.returncode == 0 and not any(n.startswith(("run history:", "knowledge base")) for n in notes), notes
    left = sorted(p.name for p in (tmp_path / "data" / "aiops").iterdir())
    assert "kb.duckdb" in left and not [n for n in left if "creating" in n], left   # no half-built store left over
    runs = {r["run_id"]: r for r in history.runs()}
    assert runs[json.loads(again.stdout)["run_id"]]["status"] == "ok" and len(runs) == 2


LEDGER_RUN = textwrap.dedent("""\
    import json, sys
    from aiops.agent.session import investigate
    from aiops.config import load_settings
    from aiops.gateway import FakeModel, Gateway
    from aiops.resources import demo_bundle
    from aiops.telemetry.bundle import load_bundle

    settings = load_settings(env={})
    settings.general.data_dir = sys.argv[1]
    settings.diagnose.reasoner = "llm"
    verdict = json.dumps({"hypotheses": [{"service": "inventory", "fault": "pool", "confidence": 0.5}],
                          "decision": "investigate"})
    fake = FakeModel(default=lambda r: [FakeModel.tool_call("logs__search", pattern=f"x{len(fake.requests)}")]
                     if r.tools else verdict)
    loaded = load_bundle(demo_bundle())
    d = list(investigate(loaded.incident, loaded.store, settings,
                               gateway=Gateway.scripted(fake, sys.argv[1])))[-1].diagnosis
    print(json.dumps({"reasoner": d.reasoner, "notes": list(d.notes), "sent": len(fake.requests),
                      "causes": len(d.root_causes)}))
""")


def test_a_full_disk_while_writing_the_ledger_ends_offline_and_the_ledger_reads_back(tmp_path):
    data = tmp_path / "gw"
    proc = subprocess.run([sys.executable, "-c", LEDGER_RUN, str(data)], capture_output=True, text=True, cwd=REPO,
                          timeout=300, preexec_fn=_limited(1000))
    assert proc.returncode == 0, proc.stderr[-3000:]
    run = json.loads(proc.stdout.strip().splitlines()[-1])
    assert run["reasoner"].startswith("offline (took over from llm:") and run["causes"] >= 5
    assert any("cannot write the ledger" in n and "File too large" in n for n in run["notes"]), run["notes"]
    wal = data / "gateway.duckdb.pending.jsonl"
    assert 0 < wal.stat().st_size <= 1000
    ledger = Ledger(data / "gateway.duckdb")
    rows = ledger.rows()                                  # a torn last line is skipped, the rest reads back
    assert 1 <= len(rows) < run["sent"]
    from aiops.gateway import LedgerRow

    ledger.record(LedgerRow(alias="planner", model="fake/scripted", outcome="ok"))
    assert len(ledger.rows()) == len(rows) + 1            # and the ledger takes new rows


# -- the model, mid-run ---------------------------------------------------------------------------------

def test_a_model_failing_mid_run_hands_over_and_keeps_what_it_found(demo, tmp_path):
    slept: list[float] = []
    fake = FakeModel(verdict("investigate"), *[ProviderError("server_error", "HTTP 502 from the provider")] * 4)
    gateway = Gateway.scripted(fake, tmp_path / "gw", sleep=slept.append)
    d = _llm_run(demo, settings_in(tmp_path), gateway)
    assert len(fake.requests) == 5                        # one verdict, then the planner call and 3 retries
    assert d.reasoner.startswith("offline (took over from llm:") and d.root_causes[0].service == "inventory"
    assert any("no model answered after 4 attempt(s)" in n and "502" in n for n in d.notes), d.notes
    assert len(slept) == 3


@pytest.mark.parametrize("retry_after, max_wall_s, retries", [(3600.0, 30.0, 0), (5.0, 120.0, 3)])
def test_rate_limits_never_wait_past_the_runs_wall_time_budget(demo, tmp_path, retry_after, max_wall_s, retries):
    slept: list[float] = []
    fake = FakeModel(verdict("investigate"), default=ProviderError("rate_limited", "429", retry_after=retry_after))
    gateway = Gateway.scripted(fake, tmp_path / "gw", sleep=slept.append)
    settings = settings_in(tmp_path)
    settings.diagnose.max_wall_s = max_wall_s
    d = _llm_run(demo, settings, gateway)
    assert len(slept) == retries and sum(slept) < max_wall_s
    assert all(r.timeout_s <= max_wall_s for r in fake.requests)
    assert d.reasoner.startswith("offline (took over from llm:") and len(d.root_causes) >= 5
    if not retries:
        assert any("past the run's wall-time budget" in n for n in d.notes), d.notes
