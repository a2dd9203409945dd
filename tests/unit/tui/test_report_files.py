"""Reports the app exports or opens: the diagnosis JSON read back, the self-contained HTML."""

from __future__ import annotations

import json

import pytest

from aiops.errors import BadInputError
from aiops.report.html import render_html
from aiops.report.json_reader import diagnosis_from_dict, read_diagnosis
from aiops.report.json_report import diagnosis_to_dict, render_json
from aiops.tui.export import export_report, format_of_path

from .scripted import diagnosis


def test_a_written_report_reads_back_to_the_same_document(tmp_path, demo_run):
    d = demo_run[1]
    path = tmp_path / "r.json"
    path.write_text(render_json(d))
    back = read_diagnosis(path)
    assert diagnosis_to_dict(back) == diagnosis_to_dict(d)
    assert back.root_causes[0].evidence[0].ref == d.root_causes[0].evidence[0].ref


@pytest.mark.parametrize("mutate, message", [
    (lambda doc: doc.update(schema_version=2), "schema_version: 2 is not supported"),
    (lambda doc: doc["root_causes"][0].pop("service"), r"root_causes\[0\].service: missing"),
    (lambda doc: doc["root_causes"][0].update(confidence=1.5), r"root_causes\[0\].confidence: 1.5 is not in"),
    (lambda doc: doc["root_causes"][0]["evidence"][0].update(kind="hunch"), "evidence\\[0\\].kind: 'hunch'"),
    (lambda doc: doc["incident"]["window"].update(start="yesterday"), "incident.window.start: not a timestamp"),
])
def test_a_bad_report_names_the_key(tmp_path, mutate, message):
    doc = json.loads(render_json(diagnosis()))
    mutate(doc)
    with pytest.raises(BadInputError, match=message):
        diagnosis_from_dict(doc, tmp_path / "r.json")


def test_unreadable_reports_are_one_line_errors(tmp_path):
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(BadInputError, match=r"bad.json: not JSON \(line 1"):
        read_diagnosis(tmp_path / "bad.json")
    with pytest.raises(BadInputError, match="does not exist"):
        read_diagnosis(tmp_path / "none.json")


def test_html_is_self_contained_and_escapes_everything():
    d = diagnosis()
    from dataclasses import replace

    d = replace(d, incident=replace(d.incident, title="<script>alert(1)</script>"))
    html = render_html(d)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "http://" not in html and "https://" not in html and "<link" not in html
    assert "db" in html and "connection pool exhausted" in html and "Raise the pool of db." in html


def test_export_writes_each_format_by_name_and_refuses_a_missing_directory(tmp_path):
    d = diagnosis()
    for name in ("r.json", "r.md", "r.html"):
        path = export_report(d, format_of_path(tmp_path / name), tmp_path / name)
        assert path.read_text()
    assert json.loads((tmp_path / "r.json").read_text())["run_id"] == "scripted1"
    assert (tmp_path / "r.md").read_text().startswith("# Diagnosis: orders")
    with pytest.raises(BadInputError, match="does not exist"):
        export_report(d, "json", tmp_path / "missing" / "r.json")
