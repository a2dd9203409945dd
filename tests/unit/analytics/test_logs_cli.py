"""`aiops logs templates`: the fixed CSV contract, other formats, bad input -> exit 2."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import pytest

from aiops.cli import main


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["aiops", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


@pytest.fixture()
def app_log(tmp_path: Path) -> Path:
    path = tmp_path / "app.log"
    path.write_text(
        "2023-01-29T08:43:04Z INFO user alice logged in from 10.0.0.1\n"
        "2023-01-29T08:43:05Z ERROR failed to connect to db-1:5432, connection refused\n"
        "2023-01-29T08:43:06Z INFO user bob logged in from 10.0.0.2\n"
        "\n"
        "2023-01-29T08:43:07Z ERROR failed to connect to db-2:5432, connection refused\n",
        encoding="utf-8",
    )
    return path


def test_csv_has_the_exact_header_and_one_row_per_line(monkeypatch, capsys, app_log: Path) -> None:
    code, out, err = run(monkeypatch, capsys, "logs", "templates", "--input", str(app_log), "--format", "csv")
    assert code == 0 and err == ""
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["line", "template_id", "template"]
    assert [r[0] for r in rows[1:]] == ["1", "2", "3", "4", "5"]
    assert rows[1][1] == rows[3][1] and rows[2][1] == rows[5][1] and rows[1][1] != rows[2][1]
    assert rows[1][2] == "INFO user <*> logged in from <*>"
    assert rows[2][2] == "ERROR failed to connect to db-<*>:<*>, connection refused"
    assert rows[4][2] == ""                                   # a blank line keeps its row
    assert out.count("\n") == 6


def test_csv_is_the_default_and_can_go_to_a_file(monkeypatch, capsys, app_log: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    code, out, _ = run(monkeypatch, capsys, "logs", "templates", "-i", str(app_log), "--output", str(target))
    assert code == 0 and out == ""
    assert target.read_text(encoding="utf-8").splitlines()[0] == "line,template_id,template"


def test_json_summarises_templates_by_count(monkeypatch, capsys, app_log: Path) -> None:
    code, out, _ = run(monkeypatch, capsys, "logs", "templates", "--input", str(app_log), "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["lines"] == 5 and doc["template_count"] == 3
    assert [t["count"] for t in doc["templates"]] == [2, 2, 1]
    assert doc["templates"][0]["first_line"] == 1


def test_text_shows_top_templates_with_counts(monkeypatch, capsys, app_log: Path) -> None:
    code, out, _ = run(monkeypatch, capsys, "logs", "templates", "--input", str(app_log), "--format", "text", "--top", "1")
    assert code == 0
    assert out.splitlines()[0] == "5 lines, 3 templates (top 1 shown)"
    assert "INFO user <*> logged in from <*>" in out and "ERROR" not in out


def test_non_utf8_bytes_and_crlf_are_tolerated(monkeypatch, capsys, tmp_path: Path) -> None:
    path = tmp_path / "odd.log"
    path.write_bytes(b"caf\xe9 opened 1\r\ncaf\xe9 opened 2\r\nlast line without newline")
    code, out, _ = run(monkeypatch, capsys, "logs", "templates", "--input", str(path))
    rows = list(csv.reader(io.StringIO(out)))
    assert code == 0 and len(rows) == 4
    assert rows[1][2] == "caf\ufffd opened <*>" and rows[1][1] == rows[2][1]


def test_standard_input_is_read_with_dash(monkeypatch, capsys) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"job 1 done\njob 2 done\n")))
    code, out, _ = run(monkeypatch, capsys, "logs", "templates", "--input", "-")
    rows = list(csv.reader(io.StringIO(out)))
    assert code == 0 and [r[0] for r in rows[1:]] == ["1", "2"]
    assert rows[1][1] == rows[2][1] and rows[1][2] == "job <*> done"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--input", "missing.log"], "missing.log: no such file"),
        (["--input", "."], "is a directory"),
        (["--input", "{log}", "--format", "xml"], "--format 'xml'"),
        (["--input", "{log}", "--sim-threshold", "1.5"], "--sim-threshold"),
    ],
)
def test_bad_input_exits_2_with_one_line(monkeypatch, capsys, app_log: Path, args: list[str], message: str) -> None:
    args = [a.replace("{log}", str(app_log)) for a in args]
    code, out, err = run(monkeypatch, capsys, "logs", "templates", *args)
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1
