"""Unusable bundles fail with one-line BundleErrors (exit 2) that name the file and the fault."""

from __future__ import annotations

import json

import pytest

from aiops.errors import BundleError
from aiops.telemetry.bundle import load_bundle
from aiops.telemetry.store import TelemetryStore

T0 = 1674981000  # 2023-01-29T08:30:00Z, as in conftest.INCIDENT


def error_of(bundle) -> str:
    with pytest.raises(BundleError) as info:
        load_bundle(bundle)
    message = str(info.value)
    assert "\n" not in message and info.value.exit_code == 2
    return message


def test_bundle_path_must_be_an_existing_directory(tmp_path):
    assert "does not exist" in error_of(tmp_path / "missing")
    (tmp_path / "file").write_text("x")
    assert "not a bundle directory" in error_of(tmp_path / "file")


def test_incident_toml_missing_invalid_or_without_title(make_bundle):
    assert "missing incident.toml" in error_of(make_bundle(incident=None))
    assert error_of(make_bundle(incident='title = "x\n')).startswith("incident.toml: not valid TOML")
    assert "missing title" in error_of(make_bundle(incident="symptom = 'slow'\n"))


def test_bad_window_values_name_the_key(make_bundle):
    msg = error_of(make_bundle(incident='title = "t"\n[window]\nstart = "yesterday"\nend = "2023-01-29T08:50:00Z"\n'))
    assert "window.start" in msg and "yesterday" in msg
    msg = error_of(make_bundle(incident='title = "t"\n[window]\nstart = "2023-01-29T08:50:00Z"\nend = "2023-01-29T08:30:00Z"\n'))
    assert "window.end" in msg and "not after" in msg


def test_no_window_and_nothing_to_derive_it_from(make_bundle):
    assert "no [window]" in error_of(make_bundle(incident='title = "t"\n'))


def test_zero_byte_file_is_an_error_but_header_only_is_no_data(make_bundle):
    assert error_of(make_bundle({"logs.csv": b""})) == "logs.csv: empty file (no header row)"
    assert error_of(make_bundle({"events.jsonl": b""})) == "events.jsonl: empty file (0 bytes)"
    assert "logs/a.log: empty file" in error_of(make_bundle({"logs/a.log": b""}))
    loaded = load_bundle(make_bundle({"metrics.csv": "timestamp,metric,value\n"}))
    assert loaded.files == [("metrics.csv", "metrics", 0)]
    assert "metrics.csv: no data rows" in loaded.warnings


def test_malformed_csv_row_names_the_line(make_bundle):
    text = f"timestamp,metric,value,service\n{T0},cpu,1,a\n{T0},cpu,1,a,extra\n"
    msg = error_of(make_bundle({"metrics.csv": text}))
    assert msg.startswith("metrics.csv line 3: malformed CSV row")
    assert "Expected Number of Columns: 4 Found: 5" in msg and "extra" in msg


def test_unknown_timestamp_format_names_file_line_column_and_value(make_bundle):
    text = f"timestamp,service,message\n{T0},a,ok\n29/01/2023 08:30,a,bad\n"
    msg = error_of(make_bundle({"logs.csv": text}))
    assert msg == "logs.csv line 3: column 'timestamp': unknown timestamp format: '29/01/2023 08:30'"
    line = json.dumps({"timestamp": "soon", "kind": "deploy"})
    assert error_of(make_bundle({"events.jsonl": line})) == (
        "events.jsonl record 1: column 'timestamp': unknown timestamp format: 'soon'")
    msg = error_of(make_bundle({"logs/api.log": "Jan 29 08:30:00 host api: started\n"}))
    assert msg.startswith("logs/api.log line 1: unknown timestamp format")


def test_non_numeric_metric_value(make_bundle):
    msg = error_of(make_bundle({"metrics.csv": f"timestamp,metric,value\n{T0},cpu,high\n"}))
    assert msg == "metrics.csv line 2: column 'value': not a number: 'high'"


@pytest.mark.parametrize("name, text, missing", [
    ("metrics.csv", f"timestamp,value,service\n{T0},1,a\n", "'metric'"),
    ("logs.csv", f"timestamp,message\n{T0},hi\n", "'service' (or 'pod')"),
    ("spans.csv", f"trace_id,span_id,service,operation,start\nt,s,a,op,{T0}\n", "'duration_us' (or 'end')"),
    ("events.jsonl", '{"kind": "deploy"}\n', "'timestamp'"),
])
def test_missing_required_column(make_bundle, name, text, missing):
    msg = error_of(make_bundle({name: text}))
    assert msg.startswith(f"{name}: missing required") and missing in msg


def test_malformed_json(make_bundle):
    assert error_of(make_bundle({"logs.jsonl": '{"timestamp": 1, \n'})).startswith("logs.jsonl: malformed JSON")
    assert error_of(make_bundle({"traces/t.json": '{"resourceSpans": ['})).startswith(
        "traces/t.json line 1 column 20: malformed JSON")
    assert "resultType = 'scalar'" in error_of(make_bundle({"metrics.json": '{"resultType": "scalar", "result": [1, "2"]}'}))
    assert "not a valid gzip file" in error_of(make_bundle({"logs.jsonl.gz": b"plain text"}))


def test_a_bad_file_leaves_a_file_store_unchanged(make_bundle, tmp_path):
    good = make_bundle({"metrics.csv": f"timestamp,metric,value,service\n{T0},cpu,1,a\n"})
    bad = make_bundle({"metrics.csv": f"timestamp,metric,value,service\n{T0},cpu,2,b\n",
                       "logs.csv": "timestamp,service,message\nnope,a,x\n"})
    store = TelemetryStore(tmp_path / "t.duckdb")
    load_bundle(good, store=store)
    with pytest.raises(BundleError):
        load_bundle(bad, store=store)
    assert store.counts() == {"metrics": 1, "logs": 0, "spans": 0, "events": 0}
    store.close()
    with TelemetryStore(tmp_path / "t.duckdb") as reopened:
        assert reopened.services() == ["a"]
