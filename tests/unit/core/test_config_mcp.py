"""[mcp.servers.NAME] tables are checked when the settings load: one line naming the file,
the key and the value; `aiops` exits 2."""

from __future__ import annotations

import pytest

from aiops.config import load_settings
from aiops.errors import ConfigError
from inprocess_cli import run_aiops


def load(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text)
    return load_settings(path, env={})


def test_a_stdio_and_an_http_server_load_with_their_defaults(tmp_path):
    s = load(tmp_path, '[mcp.servers.graf]\ncommand = "mcp-grafana"\nargs = ["-t", "stdio"]\nallow = ["list_*"]\n'
                       '[mcp.servers.web]\nurl = "https://mcp.example/mcp"\nheaders_env = { Authorization = "TOKEN" }\n'
                       '[mcp.servers.off]\ncommand = "x"\nenabled = false\n')
    graf, web = s.mcp.configs()
    assert (graf.name, graf.transport, graf.args, graf.allow, graf.timeout_s, graf.startup_timeout_s) == \
        ("graf", "stdio", ("-t", "stdio"), ("list_*",), 30.0, 60.0)
    assert (web.transport, web.url, web.headers_env, web.allow) == ("http", "https://mcp.example/mcp",
                                                                    {"Authorization": "TOKEN"}, ())


@pytest.mark.parametrize("table,message", [
    ('command = "x"\nurl = "http://h/mcp"', "needs exactly one of command (stdio) or url"),
    ('allow = ["a"]', "needs exactly one of command (stdio) or url"),
    ('url = "ftp://h/mcp"', "mcp.servers.s.url = 'ftp://h/mcp' is not an http:// or https:// URL"),
    ('command = "x"\nallowed = ["a"]', "unknown key mcp.servers.s.allowed (known: command, args"),
    ('command = "x"\nallow = "a"', "mcp.servers.s.allow = 'a' has the wrong type"),
    ('command = "x"\nargs = [1]', "mcp.servers.s.args = [1] must hold strings only"),
    ('command = "x"\ntimeout_s = 0', "mcp.servers.s.timeout_s = 0 must be > 0"),
    ('command = "x"\npass_env = ["NOT-A-NAME"]', "'NOT-A-NAME' is not an environment variable name"),
    ('command = "x"\nspecialist = "magic"', "mcp.servers.s.specialist = 'magic' is not one of"),
])
def test_a_bad_server_table_names_the_key_and_the_value(tmp_path, table, message):
    with pytest.raises(ConfigError) as err:
        load(tmp_path, f"[mcp.servers.s]\n{table}\n")
    assert message in str(err.value) and str(tmp_path / "config.toml") in str(err.value)


def test_the_cli_refuses_a_bad_server_table_with_exit_2(tmp_path):
    (tmp_path / "config.toml").write_text('[mcp.servers."bad name"]\ncommand = "x"\n')
    out = run_aiops("--config", tmp_path / "config.toml", "tools")
    assert out.exit_code == 2
    assert out.stderr.startswith("error: ") and "a server name is 1-40 letters" in out.stderr
