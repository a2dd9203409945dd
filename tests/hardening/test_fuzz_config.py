"""Fuzzing the configuration: TOML files (known and unknown sections and keys, values of
every type, live-source tables with every option) and AIOPS_* environment variables, through
what `aiops config check` runs (load_settings, then build_sources).

Property: the settings load, or a ConfigError (BadInputError) names the file or the
environment variable at fault, in one line.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from fuzz_inputs import ENV, config_files
from fuzzing import rejected_cleanly, twin

from aiops.config import load_settings
from aiops.telemetry.live.registry import build_sources


def config_check(text: str, env: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.toml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")

        def check() -> None:
            settings = load_settings(path, env=env)
            build_sources(settings, env=env)

        rejected_cleanly(check, [str(path), *env])


test_config_loads_or_names_the_key, test_config_loads_or_names_the_key_nightly = twin(
    config_check, nightly=2000, fast=60, text=config_files(), env=ENV)
