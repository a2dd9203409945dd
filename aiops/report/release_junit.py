"""The post-release report as JUnit XML: one test case per check, so CI systems (GitHub
test reporters, GitLab's `artifacts:reports:junit`, Jenkins) list them like tests.

fail -> <failure> (its text holds the evidence), skip -> <skipped>, warn -> a passing case whose
<system-out> starts with "WARN" (JUnit has no warning state), pass -> a case whose <system-out>
holds the comparison.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from aiops.release.model import ReleaseReport
from aiops.safe_text import map_strings
from aiops.timeutil import to_rfc3339


_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    """Log lines may hold control characters XML 1.0 cannot carry: drop them."""
    return _NOT_XML.sub("", value)


def render_release_junit(report: ReleaseReport) -> str:
    report = map_strings(report)       # control characters from the data shown as escapes
    counts = report.counts()
    name = f"aiops release {report.release}"
    attrs = {"name": name, "tests": str(len(report.checks)), "failures": str(counts["fail"]), "errors": "0",
             "skipped": str(counts["skip"]), "time": f"{report.duration_s:.3f}"}
    suites = ET.Element("testsuites", attrs)
    suite = ET.SubElement(suites, "testsuite", {**attrs, "timestamp": to_rfc3339(report.windows.deployed_at)})
    props = ET.SubElement(suite, "properties")
    for key, value in (("release", report.release), ("verdict", report.verdict),
                       ("deployed_at", to_rfc3339(report.windows.deployed_at)),
                       ("history_days_used", str(report.history_days_used)), ("source", report.source)):
        ET.SubElement(props, "property", {"name": key, "value": _text(value)})
    for c in report.checks:
        case = ET.SubElement(suite, "testcase", {"classname": _text(f"release.{c.category}.{c.service or 'all'}"),
                                                 "name": _text(c.name),
                                                 "time": "0"})
        detail = "\n".join([c.summary, *c.evidence, *([c.seasonal] if c.seasonal else [])])
        if c.status == "fail":
            failure = ET.SubElement(case, "failure", {"message": _text(c.summary), "type": "release-regression"})
            failure.text = _text(detail)
            continue                                   # the failure carries the detail
        if c.status == "skip":
            ET.SubElement(case, "skipped", {"message": _text(c.summary)})
        out = ET.SubElement(case, "system-out")
        out.text = _text(("WARN: " if c.status == "warn" else "") + detail)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
