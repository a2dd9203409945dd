"""config.example.toml documents every setting and is itself a valid configuration."""

import dataclasses
import tomllib
from pathlib import Path

from aiops.config import Settings, load_settings, section_names

EXAMPLE = Path(__file__).resolve().parents[3] / "config.example.toml"


def test_example_loads_and_lists_every_key():
    load_settings(EXAMPLE, env={})
    data = tomllib.loads(EXAMPLE.read_text())
    for section in section_names():
        declared = {f.name for f in dataclasses.fields(getattr(Settings(), section))}
        assert set(data.get(section, {})) == declared, f"[{section}] in config.example.toml"
