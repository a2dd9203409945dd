"""`pip install .` must ship the content (tools, knowledge, playbooks, demo) inside the wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_wheel_carries_content_and_console_script(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "--no-index",
         "-q", "-w", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    wheel = next(tmp_path.glob("aiops-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for kind in ("knowledge", "demo"):
        assert any(n.startswith(f"aiops/_content/{kind}/") for n in names), kind
    assert len([n for n in names if n.startswith("aiops/_content/playbooks/") and n.endswith(".yaml")]) >= 12
    assert len([n for n in names if n.startswith("aiops/_content/tools/") and n.endswith(".yaml")]) >= 3
    assert {"aiops/prompts/planner/v1.md", "aiops/prompts/reflector/v1.md"} <= names
    assert "aiops/_content/demo/checkout-incident/incident.toml" in names
    assert "aiops/tui/app.tcss" in names, "the TUI's styles ship with it"
    runbooks = [n for n in names if n.startswith("aiops/_content/knowledge/") and n.endswith(".md")]
    assert len(runbooks) >= 25
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "aiops = aiops.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()
