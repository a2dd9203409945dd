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
    values = 50 + rng.normal(0, 1, 600)
    values[450] += 15                          # a spike, after the 300-row warm-up
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
    assert got[450]["anomaly"] == "1" and float(got[450]["score"]) > 0.99
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
    spike = next(r for r in got if r["timestamp"] == rows[450][0])
    assert spike["anomaly"] == "1"


def test_detection_is_causal_by_default(monkeypatch, capsys, series, tmp_path) -> None:
    path, rows = series
    _, before, _ = run(monkeypatch, capsys, "detect", "--input", str(path))
    later = rows[:530] + [(t, "500") for t, _ in rows[530:]]
    _, after, _ = run(monkeypatch, capsys, "detect", "--input", str(write(tmp_path / "later.csv", later)))
    assert parse(before)[:530] == parse(after)[:530]
    _, non_causal, _ = run(monkeypatch, capsys, "detect", "--input", str(tmp_path / "later.csv"), "--non-causal", "--mark", "all")
    assert all(r["anomaly"] == "1" for r in parse(non_causal)[530:])


def test_a_lasting_change_alerts_once_and_mark_all_marks_the_whole_episode(monkeypatch, capsys, series, tmp_path) -> None:
    _, rows = series
    shifted = rows[:530] + [(t, f"{float(v) + 20:.2f}") for t, v in rows[530:]]
    path = write(tmp_path / "shifted.csv", shifted)
    _, start, _ = run(monkeypatch, capsys, "detect", "--input", str(path))
    assert [i for i, r in enumerate(parse(start)) if r["anomaly"] == "1"] == [450, 530]
    _, every, _ = run(monkeypatch, capsys, "detect", "--input", str(path), "--mark", "all")
    assert all(r["anomaly"] == "1" for r in parse(every)[530:])


def test_no_alert_during_the_warmup(monkeypatch, capsys, series, tmp_path) -> None:
    _, rows = series
    path = write(tmp_path / "early.csv", rows[:100] + [(t, "90") for t, _ in rows[100:110]] + rows[110:])
    _, out, _ = run(monkeypatch, capsys, "detect", "--input", str(path), "--mark", "all")
    assert not any(r["anomaly"] == "1" for r in parse(out)[:300])
    _, out, _ = run(monkeypatch, capsys, "detect", "--input", str(path), "--warmup", "50")
    assert parse(out)[100]["anomaly"] == "1"


def wide_rows(n: int = 600) -> list[str]:
    rng = np.random.default_rng(3)
    a, b, c = (50 + rng.normal(0, 1, n) for _ in range(3))
    b[400:480] -= 10                                  # only the second sensor moves
    return [f"{1700000000 + i},{a[i]:.3f},{b[i]:.3f},{c[i]:.3f},host-1" for i in range(n)]


def test_a_wide_csv_is_scored_jointly_and_echoed(monkeypatch, capsys, tmp_path) -> None:
    path = tmp_path / "wide.csv"
    lines = wide_rows()
    path.write_text("timestamp,cpu,latency,qps,host\n" + "\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = run(monkeypatch, capsys, "detect", "-i", str(path), "--columns", "cpu,latency,qps")
    assert code == 0 and err == ""
    assert out.splitlines()[0] == "timestamp,cpu,latency,qps,score,anomaly"
    got = parse(out)
    assert [r["cpu"] for r in got] == [line.split(",")[1] for line in lines]
    assert [i for i, r in enumerate(got) if r["anomaly"] == "1"] == [400]
    code, out, _ = run(monkeypatch, capsys, "detect", "-i", str(path), "--columns", "cpu,latency,qps", "-f", "json")
    doc = json.loads(out)
    assert doc["columns"] == ["cpu", "latency", "qps"] and doc["points"][400]["values"]["latency"] < 45
    (episode,) = doc["episodes"]
    assert episode["start"] == lines[400].split(",")[0] and episode["columns"] == ["latency"]


@pytest.mark.parametrize(
    "header, extra, message",
    [
        ("timestamp,cpu,host", [], "column 'host': value 'host-1' is not a number"),
        ("timestamp,cpu,latency,qps,host", ["--columns", "cpu,disk"], "--columns: no column 'disk'"),
    ],
)
def test_bad_wide_input_exits_2_naming_the_column(monkeypatch, capsys, tmp_path, header, extra, message) -> None:
    path = tmp_path / "wide.csv"
    rows = [line.split(",") for line in wide_rows(20)]
    width = len(header.split(","))
    body = [",".join([r[0], *r[1:width - 1], r[-1]]) for r in rows]
    path.write_text(header + "\n" + "\n".join(body) + "\n", encoding="utf-8")
    code, out, err = run(monkeypatch, capsys, "detect", "--input", str(path), *extra)
    assert code == 2 and out == "" and message in err and str(path) in err


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
    assert doc["points"][10]["value"] is None and doc["points"][450]["anomaly"] == 1


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


@pytest.mark.parametrize("args", [["--detector", "magic"], ["--threshold", "1.5"], ["--format", "xml"], ["--mark", "some"],
                                  ["--warmup", "3"]])
def test_bad_options_exit_2(monkeypatch, capsys, series, args) -> None:
    path, _ = series
    code, out, err = run(monkeypatch, capsys, "detect", "--input", str(path), *args)
    assert code == 2 and out == "" and args[0] in err
