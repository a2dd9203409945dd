"""The shipped runbooks are complete enough to act on: metadata, symptoms, checks, causes, remediation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from aiops.kb.documents import parse_document
from aiops.resources import content_dir

RUNBOOKS = sorted(content_dir("knowledge").glob("*.md"))
REQUIRED_TOPICS = [
    "crashloopbackoff", "oomkilled", "imagepullbackoff", "node-notready", "disk-pressure", "dns", "certificate",
    "connection-pool", "slow", "cache-stampede", "memory-leak", "cpu-throttling", "hpa-flapping", "bad-deploy",
    "network-partition", "queue-backlog", "5xx", "slo-burn",
]


def test_at_least_25_runbooks_cover_the_required_topics() -> None:
    names = [p.name for p in RUNBOOKS]
    assert len(names) >= 25
    missing = [t for t in REQUIRED_TOPICS if not any(t in n for n in names)]
    assert missing == []


@pytest.mark.parametrize("path", RUNBOOKS, ids=lambda p: p.name)
def test_runbook_has_metadata_and_actionable_sections(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    meta = yaml.safe_load(text.split("---\n")[1])
    assert meta["title"] and meta["tags"]
    assert isinstance(meta.get("faults"), list)
    for related in meta.get("related", []):
        assert (path.parent / related).is_file(), related
    doc = parse_document(path, text.encode("utf-8"))
    sections = " | ".join(c.section for c in doc.chunks).lower()
    assert "symptoms" in sections
    assert "checks" in sections or "check" in sections
    assert "cause" in sections
    assert "remediation" in sections or "what to do" in sections
    assert re.search(r"```(promql|sql)", text), "needs a query to run"
    assert "kubectl" in text or "redis-cli" in text or "chronyc" in text or "SELECT" in text
