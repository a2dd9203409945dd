from __future__ import annotations

import pytest

from aiops.config import load_settings
from aiops.errors import ConfigError


def write(tmp_path, text: str):
    p = tmp_path / "config.toml"
    p.write_text(text)
    return p


def test_defaults_without_file(tmp_path):
    s = load_settings(None, env={})
    assert s.diagnose.max_root_causes == 10
    assert s.source_file is None


def test_precedence_file_env_flag(tmp_path):
    p = write(tmp_path, "[diagnose]\nmax_root_causes = 7\nmax_steps = 3\n")
    env = {"AIOPS_DIAGNOSE_MAX_STEPS": "5"}
    s = load_settings(p, env=env, overrides={"diagnose.max_root_causes": 4})
    assert s.diagnose.max_steps == 5            # env beats file
    assert s.diagnose.max_root_causes == 4      # flag beats file
    assert s.source_file == str(p)


def test_aiops_config_env_names_the_file(tmp_path):
    p = write(tmp_path, "[diagnose]\nmax_steps = 2\n")
    s = load_settings(None, env={"AIOPS_CONFIG": str(p)})
    assert s.diagnose.max_steps == 2


@pytest.mark.parametrize(
    "text, needle",
    [
        ("[diagnose]\nmax_stepz = 3\n", "diagnose.max_stepz"),
        ("[nosuch]\nx = 1\n", "[nosuch]"),
        ('[diagnose]\nmax_steps = "many"\n', "'many'"),
        ('[diagnose]\nformat = "yaml"\n', "'yaml'"),
        ("[diagnose\n", "not valid TOML"),
    ],
)
def test_bad_file_names_file_key_and_value(tmp_path, text, needle):
    p = write(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        load_settings(p, env={})
    msg = str(exc.value)
    assert str(p) in msg and needle in msg
    assert "\n" not in msg


def test_bad_env_var_is_named():
    with pytest.raises(ConfigError, match="AIOPS_DIAGNOSE_MAX_STEPS"):
        load_settings(None, env={"AIOPS_DIAGNOSE_MAX_STEPS": "x"})
    with pytest.raises(ConfigError, match="AIOPS_BOGUS"):
        load_settings(None, env={"AIOPS_BOGUS": "1"})


def test_missing_explicit_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml", env={})
