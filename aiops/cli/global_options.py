"""The options every command shares (`aiops --config FILE --debug ...`) and the settings a
command runs with. Command modules import this, never the `aiops.cli` package itself (which
imports them)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional


class _State:
    config: Optional[Path] = None
    debug: bool = False


state = _State()


def load_cli_settings(overrides: dict | None = None):  # noqa: ANN201 - aiops.config.Settings, imported lazily
    """Settings for a command: defaults < file < env < flags (flags passed as overrides)."""
    from aiops.config import load_settings

    return load_settings(state.config, overrides=overrides)
