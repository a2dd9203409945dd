"""A real full disk (a small tmpfs; skipped with the reason where it cannot be mounted): the
run history and the knowledge base say "disk full", leave nothing behind that poisons a later
run, and work again once there is space. (Reports on a full disk: test_outputs.py. The
RLIMIT_FSIZE cases in test_faults.py cover EFBIG, the other way a write is refused.)
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

from small_disk import fill, small_tmpfs

REPO = Path(__file__).resolve().parents[2]


def aiops(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aiops", *args], capture_output=True, text=True, cwd=REPO,
                          env=env, timeout=300)


def _env(home: Path, data: Path, kb: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIOPS_")}
    return env | {"HOME": str(home), "XDG_DATA_HOME": str(data), "AIOPS_KB_PATH": str(kb)}


def test_a_history_on_a_full_disk_is_never_poisoned_and_recovers(tmp_path):
    with small_tmpfs(tmp_path / "disk", "1m") as disk:
        env = _env(tmp_path, disk, tmp_path / "kb" / "kb.duckdb")       # only the history is on the small disk
        history = disk / "aiops" / "runs.duckdb"
        (disk / "aiops").mkdir()
        filler = fill(disk, leave=12 * 1024)       # the run's journal records fit, a new database does not
        first = aiops("diagnose", "--demo", "--format", "json", "-q", env=env)
        assert first.returncode == 0, first.stderr[-2000:]
        run_id = json.loads(first.stdout)["run_id"]
        listed = aiops("runs", "list", "--json", env=env)
        assert listed.returncode == 0, listed.stderr                  # the runs waiting in the journal are listed
        assert [r["run_id"] for r in json.loads(listed.stdout)] == [run_id]
        warning = [line for line in listed.stderr.splitlines() if line.startswith("warning:")]
        assert len(warning) == 1 and "disk full" in warning[0] and "wait in" in warning[0], listed.stderr
        assert not history.exists(), "a database the disk could not hold was left behind"
        filler.unlink()                             # space again
        again = aiops("runs", "list", "--json", env=env)
        assert again.returncode == 0 and not again.stderr.strip(), again.stderr
        assert [r["run_id"] for r in json.loads(again.stdout)] == [run_id]
        assert history.stat().st_size > 0 and (disk / "aiops" / "runs.duckdb.pending.jsonl").stat().st_size == 0
        second = aiops("diagnose", "--demo", "--format", "json", "-q", env=env)
        runs = {r["run_id"]: r for r in json.loads(aiops("runs", "list", "--json", env=env).stdout)}
        assert runs[json.loads(second.stdout)["run_id"]]["status"] == "ok" and len(runs) == 2


def test_an_empty_history_file_left_by_an_older_version_is_replaced(tmp_path):
    from aiops.history import RunHistory

    path = tmp_path / "runs.duckdb"
    path.write_bytes(b"")
    history = RunHistory(path)
    assert history.runs() == []
    history.write("runs", {"run_id": "r1", "started_at": 1.0, "status": "ok", "incident_title": "t"})
    assert history.fold() and [r["run_id"] for r in history.runs()] == ["r1"]
    assert path.stat().st_size > 0


def _runbooks(root: Path, n: int) -> Path:
    rng = random.Random(3)
    books = root / "books"
    books.mkdir()
    words = ["pool", "latency", "restart", "rollback", "quota", "disk", "timeout", "retry", "cache", "drain"]
    for i in range(n):
        body = "\n".join(" ".join(rng.choice(words) + str(rng.randrange(10 ** 6)) for _ in range(12))
                         for _ in range(40))
        (books / f"book-{i:03d}.md").write_text(f"# Runbook {i}\n\n{body}\n")
    return books


def test_kb_sync_on_a_full_disk_says_so_and_keeps_the_knowledge_base_whole(tmp_path):
    books = _runbooks(tmp_path, 200)
    with small_tmpfs(tmp_path / "disk", "2m") as disk:
        env = _env(tmp_path, tmp_path / "data", disk / "kb.duckdb")
        proc = aiops("kb", "sync", str(books), env=env)
        assert proc.returncode == 3, proc.stderr[-2000:]
        errors = [line for line in proc.stderr.splitlines() if line.startswith(("error:", "internal error"))]
        assert len(errors) == 1 and errors[0].startswith(f"error: knowledge base {disk / 'kb.duckdb'}: disk full"), \
            proc.stderr[-2000:]
        added = sum(line.startswith(f"added {books}") for line in (proc.stdout + proc.stderr).splitlines())
        assert added > 0
        stats = aiops("kb", "stats", env=env)
        assert stats.returncode == 0, stats.stderr
        assert f"{added} user" in stats.stdout, stats.stdout        # every document reported added is there
