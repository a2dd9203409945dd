"""`aiops detect`: the fixed CSV contract, options, bad input -> exit 2."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from aiops.cli import main


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["aiops", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def write(path: Path, rows: list[tuple[str, str]], header: str = "timestamp,value") -> Path:
    path.write_text(header + "\n" + "".join(f"{t},{v}\n" for t, v in rows), encoding="utf-8")
    return path


@pytest.fixture()
def series(tmp_path: Path) -> tuple[Path, list[tuple[str, str]]]:
    rng = np.random.default_rng(0)
    values = 50 + rng.normal(0, 1, 400)
    values[300] += 15                          # a spike
    rows = [(str(1700000000 + 60 * i), f"{v:.2f}") for i, v in enumerate(values)]
    rows[10] = (rows[10][0], "")              # missing
    rows[11] = (rows[11][0], "NaN")           # missing
    rows[12] = (rows[12][0], "50.10")         # trailing zero must be echoed as given
    return write(tmp_path / "series.csv", rows), rows


def parse(out: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(out)))


def test_csv_output_is_one_row_per_input_row_echoing_input(monkeypatch, capsys, series) -> None:
    path, rows = series
    code, out, err = run(monkeypatch, capsys, "detect", "--input", str(path), "--format", "csv")
    assert code == 0 and err == ""
    assert out.splitlines()[0] == "timestamp,value,score,anomaly"
    got = parse(out)
    assert [(r["timestamp"], r["value"]) for r in got] == rows
    assert all(0.0 <= float(r["score"]) <= 1.0 and r["anomaly"] in ("0", "1") for r in got)
    assert got[300]["anomaly"] == "1" and float(got[300]["score"]) > 0.99
    assert got[10]["score"] == got[11]["score"] == "0.000000"
    assert got[10]["anomaly"] == got[11]["anomaly"] == "0"
    assert sum(r["anomaly"] == "1" for r in got) <= 3


def test_rows_out_of_time_order_keep_their_input_order(monkeypatch, capsys, series, tmp_path) -> None:
    _, rows = series
    shuffled = [rows[i] for i in np.random.default_rng(1).permutation(len(rows))]
    path = write(tmp_path / "shuffled.csv", shuffled)
    code, out, _ = run(monkeypatch, capsys, "detect", "--input", str(path))
    got = parse(out)
    assert code == 0 and [(r["timestamp"], r["value"]) for r in got] == shuffled
    spike = next(r for r in got if r["timestamp"] == rows[300][0])
    assert spike["anomaly"] == "1"


def test_detection_is_causal_by_default(monkeypatch, capsys, series, tmp_path) -> None:
    path, rows = series
    _, before, _ = run(monkeypatch, capsys, "detect", "--input", str(path))
    later = rows[:350] + [(t, "500") for t, _ in rows[350:]]
    _, after, _ = run(monkeypatch, capsys, "detect", "--input", str(write(tmp_path / "later.csv", later)))
    assert parse(before)[:350] == parse(after)[:350]
    _, non_causal, _ = run(monkeypatch, capsys, "detect", "--input", str(tmp_path / "later.csv"), "--non-causal")
    assert all(r["anomaly"] == "1" for r in parse(non_causal)[350:])


def test_rfc3339_timestamps_json_output_file_and_options(monkeypatch, capsys, series, tmp_path) -> None:
    _, rows = series
    from aiops.timeutil import to_rfc3339

    iso = [(to_rfc3339(float(t)), v) for t, v in rows]
    path = write(tmp_path / "iso.csv", iso, header="Timestamp,Value,host")
    out_file = tmp_path / "out.json"
    code, out, _ = run(monkeypatch, capsys, "detect", "-i", str(path), "-f", "json", "-o", str(out_file),
                       "--detector", "seasonal_mad", "--threshold", "0.5")
    assert code == 0 and out == ""
    doc = json.loads(out_file.read_text())
    assert doc["rows"] == len(rows) and doc["detector"] == "seasonal_mad" and doc["threshold"] == 0.5
    assert doc["points"][0]["timestamp"] == iso[0][0]
    assert doc["points"][10]["value"] is None and doc["points"][300]["anomaly"] == 1


def test_header_only_file_gives_header_only_output(monkeypatch, capsys, tmp_path) -> None:
    code, out, _ = run(monkeypatch, capsys, "detect", "--input", str(write(tmp_path / "h.csv", [])))
    assert code == 0 and out == "timestamp,value,score,anomaly\n"


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "no such file"),
        ("", "empty file"),
        ("time,value\n1,2\n", "line 1: missing column 'timestamp'"),
        ("timestamp,value\n1700000000,1\nyesterday,2\n", "line 3: bad timestamp 'yesterday'"),
        ("timestamp,value\n1700000000,1\n1700000060,12 ms\n", "line 3: value '12 ms' is not a number"),
    ],
)
def test_bad_input_exits_2_with_one_line_naming_file_and_line(monkeypatch, capsys, tmp_path, content, message) -> None:
    path = tmp_path / "bad.csv"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    code, out, err = run(monkeypatch, capsys, "detect", "--input", str(path))
    assert code == 2 and out == ""
    assert str(path) in err and message in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("args", [["--detector", "magic"], ["--threshold", "1.5"], ["--format", "xml"]])
def test_bad_options_exit_2(monkeypatch, capsys, series, args) -> None:
    path, _ = series
    code, out, err = run(monkeypatch, capsys, "detect", "--input", str(path), *args)
    assert code == 2 and out == "" and args[0] in err
