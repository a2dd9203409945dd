from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from aiops.kb import HashingEmbedder, KnowledgeBase
from aiops.kb.builtin import sync_builtin


@pytest.fixture(scope="session")
def builtin_kb() -> KnowledgeBase:
    """The shipped runbooks in an in-memory knowledge base (built once per session)."""
    kb = KnowledgeBase.open(None, HashingEmbedder())
    sync_builtin(kb)
    yield kb
    kb.close()


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    """A small directory of operator documents in the three supported formats."""
    root = tmp_path / "docs"
    (root / "team").mkdir(parents=True)
    (root / "payments.md").write_text(
        "---\ntitle: Payment service runbook\ntags: [payments, database]\nservices: [payment]\nfaults: [connection_pool_exhaustion]\n---\n"
        "# Payment service runbook\n\nOwned by the payments team.\n\n"
        "## Symptoms\n\nCheckout fails with `PaymentDeclined` and pgbouncer reports no free server connections.\n\n"
        "## Remediation\n\nRestart pgbouncer, then raise `default_pool_size` to 40.\n",
        encoding="utf-8")
    (root / "team" / "oncall.txt").write_text(
        "On-call handbook\n\nPage the secondary after 15 minutes without acknowledgement.\n\n"
        "Escalate zebra-level incidents to the incident commander.\n", encoding="utf-8")
    (root / "team" / "kafka.html").write_text(
        "<html><head><title>Kafka broker guide</title></head><body><h1>Kafka</h1>"
        "<h2>Under-replicated partitions</h2><p>Check <code>kafka-topics --describe --under-replicated-partitions</code>.</p>"
        "<script>var x = 1;</script></body></html>", encoding="utf-8")
    (root / "notes.pdf").write_bytes(b"%PDF-1.4 not indexed")
    (root / ".hidden.md").write_text("# secret draft\n", encoding="utf-8")
    return root


@pytest.fixture
def kb(tmp_path: Path) -> KnowledgeBase:
    base = KnowledgeBase.open(tmp_path / "kb.duckdb", HashingEmbedder(dim=128))
    yield base
    base.close()


@pytest.fixture(scope="session")
def builtin_store_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store file with the shipped runbooks synced in (default settings), built once."""
    from aiops.config import load_settings
    from aiops.kb import open_default_kb

    data = tmp_path_factory.mktemp("builtin-data")
    open_default_kb(load_settings(env={"AIOPS_GENERAL_DATA_DIR": str(data)})).close()
    return data / "kb.duckdb"


@pytest.fixture
def data_dir(tmp_path: Path, builtin_store_file: Path) -> Path:
    """A data directory whose kb.duckdb already holds the shipped runbooks (as after a first run)."""
    data = tmp_path / "data"
    data.mkdir()
    for item in builtin_store_file.parent.iterdir():
        if item.name.startswith("kb.duckdb"):
            shutil.copy2(item, data / item.name)
    return data
