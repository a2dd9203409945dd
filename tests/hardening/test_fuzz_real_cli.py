"""Fuzzed input through the real command line, in a fresh process each time:
`python -m aiops bundle validate DIR --format json` and `aiops config check`.

Property: exit 0 with the document on standard output, or exit 2 with exactly one line on
standard error that starts with "error:" and names the file; never exit 1 (an internal
error) and never a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from fuzz_inputs import ENV, FORMATS, INCIDENTS, bundle_file, config_files
from fuzzing import twin
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[2]


def _aiops(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AIOPS_")}
    return subprocess.run([sys.executable, "-m", "aiops", *args], capture_output=True, text=True, cwd=REPO,
                          env={**clean, **(env or {})}, timeout=120)


def _one_clean_line(proc: subprocess.CompletedProcess, names: list[str]) -> None:
    assert proc.returncode in (0, 2), (proc.returncode, proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    if proc.returncode == 2:
        lines = proc.stderr.strip("\n").split("\n")
        assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
        assert any(" ".join(n.split()) in lines[0] for n in names), (names, lines[0])


def bundle_validate(files: list[tuple[str, bytes]], incident: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "bundle"
        root.mkdir()
        (root / "incident.toml").write_text(incident)
        for name, data in files:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(data)
        proc = _aiops("bundle", "validate", str(root), "--format", "json", env={"HOME": tmp})
        _one_clean_line(proc, [name for name, _ in files] + ["incident.toml"])
        if proc.returncode == 0:
            assert json.loads(proc.stdout)["path"] == str(root)


def config_check(text: str, env: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.toml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        proc = _aiops("config", "check", env={"HOME": tmp, "AIOPS_CONFIG": str(path), **env})
        _one_clean_line(proc, [str(path), *env])
        if proc.returncode == 0:
            assert proc.stdout.startswith(f"ok: {path}")


test_bundle_validate_in_a_real_process, test_bundle_validate_in_a_real_process_nightly = twin(
    bundle_validate, nightly=150, fast=4, bound_s=30,
    files=st.lists(st.sampled_from(FORMATS).flatmap(bundle_file), min_size=1, max_size=3, unique_by=lambda c: c[0]),
    incident=INCIDENTS)
test_config_check_in_a_real_process, test_config_check_in_a_real_process_nightly = twin(
    config_check, nightly=150, fast=4, bound_s=30, text=config_files(), env=ENV)
