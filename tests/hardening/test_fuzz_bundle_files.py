"""Fuzzing every bundle file format through `aiops bundle validate`'s code path: metrics
(CSV, Prometheus matrix JSON), logs (CSV, JSONL, plain files), spans (CSV, JSONL, OTLP JSON
under traces/), events JSONL — plain, gzipped and broken gzip — generated from each format's
own columns and mutated from valid samples (strategies: tests/support/fuzz_inputs.py).

Property: the bundle loads and its report renders (text and JSON), or it is rejected with a
BundleError whose message is one line naming the file at fault. Never a traceback.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from fuzz_inputs import FORMATS, INCIDENTS, bundle_file
from fuzzing import rejected_cleanly, twin
from hypothesis import strategies as st

from aiops.cli.bundle import render_text
from aiops.telemetry.bundle import validate_bundle


def validate(files: dict[str, bytes], incident: str) -> None:
    """`aiops bundle validate` on the files: loads and renders, or one clean BundleError."""

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "bundle"
        root.mkdir()
        (root / "incident.toml").write_text(incident)
        for name, data in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(data)

        def run() -> None:
            report = validate_bundle(root).as_dict()
            json.dumps(report)
            render_text(report)

        rejected_cleanly(run, [*files, "incident.toml"])


def one_format(case: tuple[str, bytes], incident: str) -> None:
    name, data = case
    validate({name: data}, incident)


def whole_bundle(files: list[tuple[str, bytes]], incident: str) -> None:
    validate(dict(files), incident)


_FORMAT_CASES = st.sampled_from(FORMATS).flatmap(bundle_file)
test_each_format_loads_or_names_the_file, test_each_format_loads_or_names_the_file_nightly = twin(
    one_format, nightly=4500, fast=120, case=_FORMAT_CASES, incident=INCIDENTS)
test_a_bundle_of_many_files_loads_or_names_the_file, test_a_bundle_of_many_files_loads_or_names_the_file_nightly = twin(
    whole_bundle, nightly=1000, fast=25, files=st.lists(_FORMAT_CASES, min_size=2, max_size=5,
                                                         unique_by=lambda c: c[0]), incident=INCIDENTS)
