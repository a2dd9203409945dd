"""The ledger keeps every row through a SIGKILL and while another process locks DuckDB."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from aiops.gateway import FakeModel, Gateway, Ledger, LedgerBusy, LedgerRow

_CALLER = textwrap.dedent("""
    import sys
    from aiops.gateway import FakeModel, Gateway
    gateway = Gateway.scripted(FakeModel(default="ok"), sys.argv[1])
    i = 0
    while True:
        gateway.complete("fast", [{"role": "user", "content": f"question {i}"}])
        i += 1
        if i % 7 == 0:
            gateway.ledger.fold()        # some rows in DuckDB, some still in the write-ahead file
        print(i, flush=True)
""")


def test_no_row_is_lost_when_the_process_is_killed(tmp_path):
    wanted = 20
    proc = subprocess.Popen([sys.executable, "-c", _CALLER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        done = 0
        for line in proc.stdout:
            done = int(line)
            if done >= wanted:
                break
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
        proc.stdout.close()
    assert done == wanted and proc.returncode == -signal.SIGKILL
    rows = Ledger(tmp_path / "gateway.duckdb").rows()
    ok = [r for r in rows if r["outcome"] == "ok"]
    assert len(ok) >= wanted                      # every call that returned has its row (maybe one more)
    assert len({r["id"] for r in rows}) == len(rows)
    assert all(r["model"] == "fake/scripted" and r["prompt_tokens"] > 0 for r in ok)


_HOLDER = textwrap.dedent("""
    import sys, duckdb
    con = duckdb.connect(sys.argv[1])
    print("locked", flush=True)
    sys.stdin.read()
    con.close()
""")


def test_a_locked_database_queues_rows_until_it_is_free(tmp_path):
    path = tmp_path / "gateway.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        g = Gateway.scripted(FakeModel(default="ok"), tmp_path)
        g.ledger = Ledger(path, lock_wait_s=0.0)
        for i in range(5):
            g.complete("fast", [{"role": "user", "content": f"q{i}"}])   # calls still work
        assert g.ledger.fold() is False
        with pytest.raises(LedgerBusy, match="locked by another process"):
            g.ledger.usage("model")
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
        holder.stdout.close()
    assert g.ledger.fold() is True
    assert os.path.getsize(g.ledger.wal_path) == 0
    assert [r["outcome"] for r in g.ledger.rows()] == ["ok"] * 5
    assert g.ledger.usage("model")[0]["requests"] == 5


def test_a_torn_last_line_is_skipped_and_later_rows_survive(tmp_path):
    ledger = Ledger(tmp_path / "gateway.duckdb")
    ledger.record(LedgerRow(alias="fast", model="m", outcome="ok", prompt_tokens=3))
    with open(ledger.wal_path, "a") as f:
        f.write('{"alias": "fast", "model": "m", "outco')        # a writer killed mid-line
    ledger.record(LedgerRow(alias="fast", model="m", outcome="rate_limited"))
    assert [r["outcome"] for r in ledger.rows()] == ["ok", "rate_limited"]


def test_folding_twice_never_duplicates_rows(tmp_path):
    ledger = Ledger(tmp_path / "gateway.duckdb")
    row = LedgerRow(alias="fast", model="m", outcome="ok", prompt_tokens=3, completion_tokens=2, cost_usd=0.01)
    ledger.record(row)
    ledger.fold()
    ledger.record(row)            # the same row again, as after a crash between commit and truncate
    ledger.fold()
    assert len(ledger.rows()) == 1
    assert ledger.totals(since=0).tokens == 5


def test_usage_groups_by_key_model_and_day(tmp_path):
    ledger = Ledger(tmp_path / "gateway.duckdb")
    ledger.record(LedgerRow(alias="planner", model="openai/gpt-4o", outcome="ok", key_id="k-1", prompt_tokens=100,
                            completion_tokens=20, cost_usd=0.002, ts=1_700_000_000.0))
    ledger.record(LedgerRow(alias="planner", model="openai/gpt-4o", outcome="ok", key_id="k-1", cache_hit=True,
                            ts=1_700_000_100.0))
    ledger.record(LedgerRow(alias="fast", model="openai/gpt-4o-mini", outcome="rate_limited", key_id="k-2",
                            ts=1_700_090_000.0))
    by_model = {r["grp"]: r for r in ledger.usage("model")}
    assert by_model["openai/gpt-4o"]["requests"] == 1 and by_model["openai/gpt-4o"]["cache_hits"] == 1
    assert by_model["openai/gpt-4o"]["prompt_tokens"] == 100
    assert by_model["openai/gpt-4o-mini"]["failures"] == 1
    assert [r["grp"] for r in ledger.usage("day")] == ["2023-11-14", "2023-11-15"]
    assert {r["grp"] for r in ledger.usage("key")} == {"k-1", "k-2"}
    assert [r["grp"] for r in ledger.usage("key", since=1_700_050_000.0)] == ["k-2"]
