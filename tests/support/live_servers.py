"""Real Prometheus / Alertmanager processes for the live tests: free loopback ports, a tmp
dir each, readiness polled in a bounded loop, stopped at teardown.

The binaries come from Debian's packages (`.ci/run` installs them when missing); tests
skip with a reason when they are absent.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

READY_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def missing_binaries(*names: str) -> list[str]:
    return [n for n in names if shutil.which(n) is None]


@dataclass
class ServerProcess:
    name: str
    url: str
    proc: subprocess.Popen
    log: Path

    def wait_ready(self, path: str, timeout_s: float = READY_TIMEOUT_S) -> None:
        """Poll url+path until it answers 200; the process dying or the deadline ends it."""
        import time

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + path, timeout=1.0) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            try:
                self.proc.wait(timeout=0.1)      # doubles as the pause between polls
            except subprocess.TimeoutExpired:
                continue
            raise RuntimeError(f"{self.name} exited with {self.proc.returncode}: {self.log.read_text()[-2000:]}")
        raise RuntimeError(f"{self.name} not ready after {timeout_s:g} s: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def _spawn(name: str, cmd: list[str], workdir: Path, port: int) -> ServerProcess:
    log = workdir / f"{name}.log"
    fh = open(log, "w")  # noqa: SIM115 - lives as long as the process
    proc = subprocess.Popen(cmd, cwd=workdir, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    return ServerProcess(name, f"http://127.0.0.1:{port}", proc, log)


def start_prometheus(workdir: Path, data_dir: Path) -> ServerProcess:
    """Prometheus over `data_dir` (e.g. blocks made by promtool), scraping nothing."""
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 15s\nscrape_configs: []\n")
    server = _spawn("prometheus", [
        "prometheus", f"--config.file={config}", f"--storage.tsdb.path={data_dir}",
        f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=100y",
        "--log.level=warn"], workdir, port)
    try:
        server.wait_ready("/-/ready")
    except BaseException:
        server.stop()
        raise
    return server


def start_alertmanager(workdir: Path, config_text: str | None = None) -> ServerProcess:
    """Alertmanager with `config_text` as its configuration (default: route everything to a
    receiver that sends nothing)."""
    port = free_port()
    cluster = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "alertmanager.yml"
    config.write_text(config_text or "route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n")
    server = _spawn("alertmanager", [
        "prometheus-alertmanager", f"--config.file={config}", f"--storage.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}", f"--cluster.listen-address=127.0.0.1:{cluster}",
        "--cluster.advertise-address=127.0.0.1:{0}".format(cluster), "--log.level=warn"], workdir, port)
    try:
        server.wait_ready("/-/ready")
    except BaseException:
        server.stop()
        raise
    return server


def create_blocks(openmetrics_file: Path, data_dir: Path) -> None:
    """`promtool tsdb create-blocks-from openmetrics FILE DIR` (raises with its output on failure)."""
    out = subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", str(openmetrics_file), str(data_dir)],
                         capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise RuntimeError(f"promtool failed ({out.returncode}): {out.stderr[-2000:]}")
