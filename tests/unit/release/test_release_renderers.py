"""The four renderings of a release report: PR-comment-sized Markdown, self-contained HTML,
strict JSON, valid JUnit XML — built from report objects, no data source needed."""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET

from aiops.release.model import Chart, CheckResult, DeployEvent, ReleaseReport, ReleaseWindows
from aiops.report.release_html import render_release_html
from aiops.report.release_json import render_release_json
from aiops.report.release_junit import render_release_junit
from aiops.report.release_markdown import MAX_CHARS, render_release_markdown

T = 1_714_557_600.0
WINDOWS = ReleaseWindows(T, 3600, 900, 7)


def _chart(jump: float = 2.0) -> Chart:
    ts = tuple(T - 3600 + 30 * i for i in range(150))
    values = tuple(0.05 if t < T else 0.05 * jump for t in ts)
    return Chart("cart · latency p90", "s", ts, values, 0.05, tuple([math.nan] * 10 + [0.05] * 140))


def _report(checks: list[CheckResult], verdict: str = "fail") -> ReleaseReport:
    return ReleaseReport(release="v1.4.2", windows=WINDOWS, verdict=verdict, checks=tuple(checks),
                         services=tuple(sorted({c.service for c in checks})),
                         deploys=(DeployEvent(T - 20, "cart", "deployment/cart image updated v1.4.1 -> v1.4.2"),),
                         history_days_used=2, thresholds={"alpha": 0.001}, source="bundle x", duration_s=1.5)


FAIL = CheckResult("latency_p90", "golden", "cart", "fail", "latency p90 of cart: 50.0 ms -> 100.0 ms (+100%, p<1e-12)",
                   before=0.05, after=0.1, change=1.0, unit="s", p_value=1e-13, evidence=("source: latency_p90_seconds",),
                   chart=_chart())
EVIL = CheckResult("log_templates", "logs", "cart", "warn", 'log templates of cart: new "<script>alert(1)</script> & |x|"',
                   evidence=('warn: new error template "<img src=x onerror=alert(1)>\x07"',), change=math.inf,
                   p_value=math.nan, unit="lines/min")


def test_markdown_fits_a_pr_comment_even_with_thousands_of_checks():
    many = [CheckResult("latency_p99", "golden", f"service-{i:04d}", "pass", "latency p99 fine " + "x" * 80,
                        before=0.01, after=0.01, change=0.0, unit="s", p_value=0.5) for i in range(3000)]
    text = render_release_markdown(_report([FAIL, *many]))
    assert len(text) <= MAX_CHARS
    assert "**FAIL**" in text and "| ❌ fail | cart | latency p90 | 50.0 ms | 100.0 ms | +100% | p<1e-12 |" in text
    assert "more checks in the JSON/HTML report" in text
    assert "(deployed in this release)" not in text        # no diagnosis here


def test_html_is_self_contained_and_escapes_what_logs_contain():
    html = render_release_html(_report([FAIL, EVIL]))
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; |x|" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    no_xmlns = html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert not re.search(r"https?://|<link|@import|url\(|<img|<iframe", no_xmlns)
    assert html.count('<svg class="chart"') == 1
    svg = html[html.index('<svg class="chart"'):html.index("</svg>")]
    for part in ('class="series"', 'class="release-marker"', 'class="before-window"', 'class="after-window"',
                 'class="baseline-level"', 'class="previous-day"', "release v1.4.2"):
        assert part in svg
    points = re.search(r'class="series" points="([^"]+)"', svg).group(1).split()
    ys = {float(p.split(",")[1]) for p in points}
    assert len(points) == 150 and len(ys) == 2       # the step up is drawn as two levels


def test_json_is_strict_and_has_no_nan():
    doc = json.loads(render_release_json(_report([FAIL, EVIL])),
                     parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    assert doc["schema_version"] == 1 and doc["verdict"] == "fail"
    warn = next(c for c in doc["checks"] if c["status"] == "warn")
    assert warn["change"] is None and warn["p_value"] is None
    assert doc["deploys"][0]["service"] == "cart" and doc["windows"]["after"]["end"] == "2024-05-01T10:15:00Z"


def test_junit_is_valid_xml_with_one_case_per_check():
    xml = render_release_junit(_report([FAIL, EVIL, CheckResult("restarts", "restarts", "cart", "skip", "no data")]))
    root = ET.fromstring(xml.encode())
    suite = root.find("testsuite")
    assert suite.get("tests") == "3" and suite.get("failures") == "1" and suite.get("skipped") == "1"
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert cases["latency_p90 · cart"].find("failure").get("message").startswith("latency p90 of cart")
    assert cases["log_templates · cart"].find("system-out").text.startswith("WARN: ")
    assert "\x07" not in xml and cases["restarts · cart"].find("skipped") is not None
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert props["verdict"] == "fail" and props["release"] == "v1.4.2"


def test_a_passing_report_still_charts_the_released_service():
    ok = CheckResult("latency_p90", "golden", "cart", "pass", "latency p90 of cart: 50.0 ms -> 51.0 ms",
                     before=0.05, after=0.051, change=0.02, unit="s", p_value=0.3, chart=_chart(1.02))
    other = CheckResult("traffic", "golden", "frontend", "pass", "traffic fine", chart=_chart(1.0))
    html = render_release_html(_report([ok, other], verdict="pass"))
    assert html.count('<svg class="chart"') == 1 and 'data-check="latency_p90:cart"' in html
    assert "Every check passed" in html
    md = render_release_markdown(_report([ok, other], verdict="pass"))
    assert "**PASS**" in md and "No check found a significant and meaningful change" in md
