"""The knowledge base stays usable while `aiops kb watch` (a real second process) applies
edits: `kb search` and a diagnosis's runbook lookup succeed every time, and see the edits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from inprocess_cli import run_aiops

REPO = Path(__file__).resolve().parents[2]
RUNS = 100


@pytest.fixture(scope="module")
def watched(tmp_path_factory):
    """(env, docs dir, editor) with `aiops kb watch` running over docs in another process."""
    tmp_path = tmp_path_factory.mktemp("watched")
    data, docs = tmp_path / "data", tmp_path / "docs"
    docs.mkdir()
    (docs / "pool.md").write_text("---\ntitle: Orders pool runbook\nfaults: [resource_exhaustion]\n---\n"
                                  "# Orders pool runbook\n\nWhen the orders pool is exhausted, restart pgbouncer.\n")
    env = {"AIOPS_GENERAL_DATA_DIR": str(data), "AIOPS_KB_PATH": None}
    proc_env = {k: v for k, v in os.environ.items() if not k.startswith("AIOPS_")}
    proc_env |= {"AIOPS_GENERAL_DATA_DIR": str(data), "PYTHONPATH": str(REPO), "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    watcher = subprocess.Popen([sys.executable, "-m", "aiops", "kb", "watch", str(docs), "--interval", "0.05"],
                               env=proc_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    snapshot = data / "kb.duckdb.snapshot"
    deadline = time.monotonic() + 60
    while not snapshot.exists():
        assert watcher.poll() is None, watcher.stderr.read()
        assert time.monotonic() < deadline, "kb watch published nothing within 60 s"
        time.sleep(0.05)
    stop = threading.Event()
    edits = []

    def edit() -> None:
        n = 0
        while not stop.is_set() and n < 5000:
            n += 1
            marker = f"zebra{n}"
            (docs / f"note{n % 3}.md").write_text(f"# Shift note {n}\n\nThe {marker} dashboard shows queue depth.\n")
            edits.append(marker)
            stop.wait(0.1)

    editor = threading.Thread(target=edit, daemon=True)
    editor.start()
    yield env, docs, edits
    stop.set()
    editor.join(timeout=10)
    watcher.terminate()
    _, err = watcher.communicate(timeout=30)
    assert "in use by another process" not in err, err


def test_kb_search_succeeds_every_time_while_watch_applies_edits(watched):
    env, _, edits = watched
    failures, found_new = [], 0
    for i in range(RUNS):
        result = run_aiops("kb", "search", "orders pool exhausted pgbouncer", "--k", "3", "--format", "json", env=env)
        if result.exit_code != 0:
            failures.append(result.stderr)
            continue
        hits = json.loads(result.stdout)["hits"]
        assert hits and hits[0]["title"] == "Orders pool runbook"
        if i % 10 == 9:       # ... and the edits the watcher applied are seen
            seen = run_aiops("kb", "search", "shift note dashboard queue depth", "--k", "3", "--format", "json", env=env)
            found_new += seen.exit_code == 0 and any(h["title"].startswith("Shift note") for h in json.loads(seen.stdout)["hits"])
    assert failures == [], f"{len(failures)} of {RUNS} searches failed: {failures[:2]}"
    assert len(edits) > 20 and found_new >= 5


def test_the_diagnosis_runbook_lookup_succeeds_every_time_while_watch_applies_edits(watched):
    from aiops.agent.session import KbOpener
    from aiops.config import load_settings

    env, _, edits = watched
    settings = load_settings(env={"AIOPS_GENERAL_DATA_DIR": env["AIOPS_GENERAL_DATA_DIR"]})
    fallbacks = []
    for _ in range(RUNS):
        opener = KbOpener(settings)            # what every diagnosis opens its runbooks with
        kb = opener()
        try:
            if kb is None or kb.notes or opener.failed:
                fallbacks.append(opener.failed or kb.notes)
                continue
            assert kb.search("orders pool exhausted", k=1, fault="resource_exhaustion")[0].title == "Orders pool runbook"
        finally:
            opener.close()
    assert fallbacks == [], f"{len(fallbacks)} of {RUNS} runs lost the operator's runbooks: {fallbacks[:2]}"
    # Whole diagnoses too (a few: each takes seconds; the slow test runs a hundred).
    for _ in range(3):
        result = run_aiops("diagnose", "--demo", "--format", "json", env=env)
        assert result.exit_code == 0, result.stderr
        d = json.loads(result.stdout)
        assert not [m for m in d["missing_evidence"] if "runbooks" in m or "knowledge base" in m]
        assert d["runbooks"]


@pytest.mark.slow
def test_a_hundred_diagnoses_keep_their_runbooks_while_watch_applies_edits(watched):
    env, _, _ = watched
    lost = []
    for _ in range(RUNS):
        result = run_aiops("diagnose", "--demo", "--format", "json", env=env)
        assert result.exit_code == 0, result.stderr
        d = json.loads(result.stdout)
        lost += [m for m in d["missing_evidence"] if "runbooks" in m or "knowledge base" in m]
    assert lost == []
