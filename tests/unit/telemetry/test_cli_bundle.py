"""`aiops bundle validate PATH [--format text|json]`."""

from __future__ import annotations

import json

from inprocess_cli import run_aiops

T0 = 1674981000  # 2023-01-29T08:30:00Z, as in conftest.INCIDENT

FILES = {"metrics.csv": f"timestamp,metric,value,pod\n{T0},cpu,1,cart-7d4f9c8b6-x2k9z\n",
         "logs/db.log": "2023-01-29T08:31:00Z ERROR down\n"}


def run(*args: str) -> tuple[int, str, str]:
    result = run_aiops("bundle", "validate", *args)
    return result.exit_code, result.stdout, result.stderr


def test_validate_json_reports_files_window_and_services(make_bundle):
    code, out, err = run(str(make_bundle(FILES)), "--format", "json")
    assert code == 0 and err == ""
    report = json.loads(out)
    assert report["files"] == [{"path": "metrics.csv", "table": "metrics", "rows": 1},
                               {"path": "logs/db.log", "table": "logs", "rows": 1}]
    assert report["incident"]["window"] == {"start": "2023-01-29T08:30:00Z", "end": "2023-01-29T08:50:00Z"}
    assert report["services"] == ["cart", "db"]
    assert report["data_range"] == {"start": "2023-01-29T08:30:00Z", "end": "2023-01-29T08:31:00Z"}


def test_validate_text(make_bundle):
    code, out, _ = run(str(make_bundle(FILES)))
    assert code == 0
    assert "window   2023-01-29T08:30:00Z .. 2023-01-29T08:50:00Z" in out
    assert "logs/db.log" in out and "services (2) cart, db" in out


def test_validate_bad_bundle_exits_2_with_one_line(make_bundle):
    code, out, err = run(str(make_bundle({"logs.csv": "timestamp,service,message\nx,a,b\n"})))
    assert code == 2 and out == ""
    assert err == "error: logs.csv line 2: column 'timestamp': unknown timestamp format: 'x'"
