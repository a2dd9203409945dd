"""The HTML release report in a real headless browser (Debian's chromium): the charts are in
the rendered DOM with a real size, and the screenshot's chart area is drawn, not blank.

`.ci/run` installs chromium when it is missing; without it this test is skipped.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from aiops.config import load_settings
from aiops.release.gate import check_release
from aiops.release.model import ReleaseRequest, ReleaseWindows
from aiops.report.release_html import render_release_html
from aiops.simulator.release import simulate_release, write_release
from aiops.telemetry.bundle import load_bundle

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support.png import read_png  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [pytest.mark.live,
              pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")]
WIDTH, HEIGHT = 1100, 2600
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
         "--force-device-scale-factor=1", f"--window-size={WIDTH},{HEIGHT}"]
# Test-only instrumentation: the report itself has no script. This one records where each
# chart was laid out, in a hidden element that --dump-dom prints.
MEASURE = """<script>
(function () {
  var boxes = Array.prototype.map.call(document.querySelectorAll("svg.chart"), function (s) {
    var r = s.getBoundingClientRect();
    return {check: s.getAttribute("data-check"), x: r.left + window.scrollX, y: r.top + window.scrollY,
            w: r.width, h: r.height, series: s.querySelectorAll("polyline.series").length,
            points: s.querySelector("polyline.series").getAttribute("points").split(" ").length};
  });
  var pre = document.createElement("pre");
  pre.id = "chart-boxes"; pre.style.display = "none"; pre.textContent = JSON.stringify(boxes);
  document.body.appendChild(pre);
})();
</script>"""
BLUE, RED = (9, 105, 218), (207, 34, 46)          # the series and the release marker (release_svg.py)


def chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp / 'profile'}", *args], capture_output=True,
                          timeout=180, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def report_html(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("html")
    sim = simulate_release("regression", 5, "webshop", "latency")
    loaded = load_bundle(write_release(sim, tmp / "bundle"))
    settings = load_settings(None, overrides={"release.diagnose_on_fail": False}, env={})
    windows = ReleaseWindows(sim.plan.deployed_at, 3600, 900, 1)
    report = check_release(loaded.store, ReleaseRequest(sim.plan.version, windows), settings)
    loaded.store.close()
    assert report.verdict == "fail"
    path = tmp / "release-report.html"
    path.write_text(render_release_html(report), encoding="utf-8")
    return path


def test_the_charts_are_rendered_with_a_real_size(report_html, tmp_path):
    measured = tmp_path / "measured.html"
    measured.write_text(report_html.read_text().replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    proc = chromium(tmp_path, "--dump-dom", measured.as_uri())
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    dom = proc.stdout.decode()
    assert dom.count('<svg class="chart"') >= 1 and "release-marker" in dom
    boxes = json.loads(re.search(r'<pre id="chart-boxes"[^>]*>(.*?)</pre>', dom, re.S).group(1))
    assert boxes and all(b["w"] > 400 and b["h"] > 120 and b["series"] >= 1 and b["points"] > 20 for b in boxes)


def test_the_screenshot_shows_the_chart_not_a_blank_box(report_html, tmp_path):
    measured = tmp_path / "measured.html"
    measured.write_text(report_html.read_text().replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    dom = chromium(tmp_path, "--dump-dom", measured.as_uri()).stdout.decode()
    box = json.loads(re.search(r'<pre id="chart-boxes"[^>]*>(.*?)</pre>', dom, re.S).group(1))[0]
    shot = tmp_path / "report.png"
    proc = chromium(tmp_path, f"--screenshot={shot}", report_html.as_uri())
    assert proc.returncode == 0 and shot.exists(), proc.stderr.decode()[-2000:]
    pixels = read_png(shot.read_bytes())[:, :, :3].astype(int)
    assert pixels.shape[:2] == (HEIGHT, WIDTH)
    x0, y0 = int(box["x"]), int(box["y"])
    assert y0 + box["h"] <= HEIGHT, "the first chart lies below the screenshot"
    area = pixels[y0:y0 + int(box["h"]), x0:x0 + int(box["w"])]

    def share(color: tuple[int, int, int]) -> float:
        return float((np.abs(area - np.array(color)).sum(axis=2) < 60).mean())

    colors = len(np.unique(area.reshape(-1, 3), axis=0))
    assert colors > 20, "the chart area is (nearly) one colour"
    assert share(BLUE) > 0.002, "no series line drawn"
    assert share(RED) > 0.0005, "no release marker drawn"
    # the card is white: the shaded baseline and after windows must cover much of the chart
    assert (np.abs(area - 255).sum(axis=2) > 20).mean() > 0.3
