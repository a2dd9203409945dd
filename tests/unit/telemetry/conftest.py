"""Fixture bundles written from strings into tmp_path."""

from __future__ import annotations

import gzip
import textwrap
from pathlib import Path
from typing import Callable

import pytest


INCIDENT = """\
title = "Checkout latency above SLO"
started_at = "2023-01-29T08:43:04Z"
[window]
start = "2023-01-29T08:30:00Z"
end = "2023-01-29T08:50:00Z"
"""

MakeBundle = Callable[..., Path]


@pytest.fixture
def make_bundle(tmp_path: Path) -> MakeBundle:
    """make_bundle({"metrics.csv": "...", "logs/x.log.gz": "..."}, incident=...) -> bundle dir.

    Text is dedented; a name ending in .gz is gzip-compressed; bytes are written as is;
    incident=None leaves incident.toml out.
    """
    counter = iter(range(1000))

    def make(files: dict[str, str | bytes] | None = None, incident: str | None = INCIDENT) -> Path:
        root = tmp_path / f"bundle{next(counter)}"
        root.mkdir()
        if incident is not None:
            (root / "incident.toml").write_text(textwrap.dedent(incident))
        for name, content in (files or {}).items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            data = content if isinstance(content, bytes) else textwrap.dedent(content).lstrip("\n").encode()
            if name.endswith(".gz") and not isinstance(content, bytes):
                data = gzip.compress(data)
            path.write_bytes(data)
        return root

    return make
