"""Suite-wide fixtures: no real network, isolated config and data directories."""

from __future__ import annotations

import ipaddress
import socket
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "support"))   # from inprocess_cli import run_aiops

_real_getaddrinfo = socket.getaddrinfo
_LOCAL_NAMES = {"localhost", "127.0.0.1", "::1", "", None}
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_local(address: object) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    host = address[0] if isinstance(address, tuple) and address else ""
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded(real):
    def connect(self, address):  # noqa: ANN001
        if not _is_local(address):
            raise ConnectionRefusedError(f"network blocked in tests: {address!r}")
        return real(self, address)

    return connect


def _guarded_getaddrinfo(host, *args, **kwargs):  # noqa: ANN001
    name = host.decode() if isinstance(host, bytes) else host
    if name not in _LOCAL_NAMES:
        raise socket.gaierror(f"name lookup blocked in tests: {name!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection to a non-loopback address, or lookup of a non-local name, fails."""
    monkeypatch.setattr(socket, "getaddrinfo", _guarded_getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", _guarded(_real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded(_real_connect_ex))


@pytest.fixture(scope="session", autouse=True)
def _isolated_session_home(tmp_path_factory: pytest.TempPathFactory):
    """The same for module- and session-scoped fixtures, which run before function-scoped
    ones (a module fixture running `aiops diagnose` must not write the developer's history)."""
    mp = pytest.MonkeyPatch()
    home = tmp_path_factory.mktemp("session-home")
    mp.setenv("HOME", str(home))
    mp.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    for name in list(__import__("os").environ):
        if (name.startswith("AIOPS_") and not name.startswith("AIOPS_TEST_")) or name.startswith("OTEL_"):
            mp.delenv(name, raising=False)
    yield
    mp.undo()


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's ~/.config/aiops or writes to their data directory."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    for name in list(__import__("os").environ):
        if (name.startswith("AIOPS_") and not name.startswith("AIOPS_TEST_")) or name.startswith("OTEL_"):
            monkeypatch.delenv(name, raising=False)      # no test exports to the developer's collector


_NIGHTLY_MARKERS = ("slow", "fuzz", "live_llm")


@pytest.fixture(scope="module")
def demo():
    """The bundled demo incident, loaded once per test module."""
    from aiops.resources import demo_bundle
    from aiops.telemetry.bundle import load_bundle

    loaded = load_bundle(demo_bundle())
    yield loaded
    loaded.store.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Slow tests, the nightly fuzz suite and the live-model tests run only when asked for by
    marker (`pytest -m fuzz`, `pytest -m slow`, `pytest -m live_llm`); the default run leaves
    them out (.ci/run runs the live-model tests in a second pass)."""
    if config.getoption("markexpr"):
        return
    nightly = [i for i in items if any(i.get_closest_marker(m) for m in _NIGHTLY_MARKERS)]
    if nightly:
        config.hook.pytest_deselected(items=nightly)
        items[:] = [i for i in items if not any(i.get_closest_marker(m) for m in _NIGHTLY_MARKERS)]
