"""Fuzzing incident.toml and alert JSON (a bundle's alert.json, `--alert-file`, the
Alertmanager v2 API list).

Properties: incident.toml (with or without alert.json beside it) is read, or rejected with a
one-line BundleError naming incident.toml / alert.json; an alert file given with
--alert-file is read or rejected naming the file; the alert parsers shared with the live
Alertmanager source never raise on any JSON value.
"""

from __future__ import annotations

import json
import tempfile
from datetime import timezone
from pathlib import Path

from fuzzing import JSON_VALUE, NASTY, TEXT, TIMESTAMP_TEXT, TOML_VALUE, mutated, rejected_cleanly, toml_document, twin
from hypothesis import strategies as st

from aiops.telemetry.alerts import api_alerts, pick_alert, webhook_alerts, webhook_payload
from aiops.telemetry.bundle import load_incident
from aiops.telemetry.live.live_incident import alert_from_file

VALID_INCIDENT = ('title = "Checkout latency above SLO"\nstarted_at = "2023-01-29T08:43:04Z"\nsymptom = "p99 up"\n'
                  '[window]\nstart = "2023-01-29T08:30:00Z"\nend = "2023-01-29T08:50:00Z"\n'
                  '[alert]\nalertname = "HighLatency"\nservice = "frontend"\n')


def _w(valid: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(valid, valid, valid, TOML_VALUE)


TIME = st.one_of(TIMESTAMP_TEXT, st.integers(-(2 ** 63), 2 ** 63 - 1), st.floats(),
                 st.datetimes(timezones=st.sampled_from([None, timezone.utc])), st.dates(), st.times())
INCIDENT = st.fixed_dictionaries({}, optional={
    "title": _w(st.one_of(TEXT, NASTY)), "started_at": _w(TIME), "symptom": _w(TEXT),
    "window": _w(st.fixed_dictionaries({}, optional={"start": _w(TIME), "end": _w(TIME)})),
    "alert": _w(st.dictionaries(st.one_of(TEXT, st.sampled_from(["alertname", "service", "severity"])), TOML_VALUE,
                                max_size=4)),
    "runbook": TOML_VALUE})

ALERT = st.fixed_dictionaries({}, optional={
    "status": st.one_of(st.sampled_from(["firing", "resolved", "active", "suppressed"]), JSON_VALUE,
                        st.fixed_dictionaries({"state": JSON_VALUE})),
    "labels": st.one_of(st.dictionaries(st.one_of(TEXT, st.sampled_from(["alertname", "service", "severity"])),
                                        st.one_of(TEXT, JSON_VALUE), max_size=4), JSON_VALUE),
    "annotations": st.one_of(st.dictionaries(st.sampled_from(["summary", "title", "description"]), JSON_VALUE), JSON_VALUE),
    "startsAt": st.one_of(TIMESTAMP_TEXT, JSON_VALUE), "endsAt": st.one_of(TIMESTAMP_TEXT, JSON_VALUE),
    "fingerprint": JSON_VALUE, "generatorURL": JSON_VALUE})
PAYLOAD = st.one_of(st.fixed_dictionaries({"alerts": st.one_of(st.lists(st.one_of(ALERT, JSON_VALUE), max_size=4),
                                                                 JSON_VALUE)},
                                          optional={"commonLabels": JSON_VALUE, "version": JSON_VALUE}), JSON_VALUE)


@st.composite
def incident_texts(draw) -> str:
    if draw(st.integers(0, 3)) == 0:
        return draw(mutated(VALID_INCIDENT.encode())).decode("utf-8", errors="replace")
    return toml_document(draw(INCIDENT))


@st.composite
def alert_files(draw) -> bytes:
    how = draw(st.sampled_from(["json", "json", "json", "mutated", "deep"]))
    if how == "deep":
        n = draw(st.integers(1, 100_000))
        return ('{"alerts": ' + "[" * n + "]" * n + "}").encode()
    text = json.dumps(draw(PAYLOAD))
    return draw(mutated(text.encode())) if how == "mutated" else text.encode()


def incident_toml(text: str, alert: bytes | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "incident.toml").write_text(text, encoding="utf-8", errors="surrogatepass")
        if alert is not None:
            (root / "alert.json").write_bytes(alert)
        rejected_cleanly(lambda: load_incident(root), ["incident.toml", "alert.json"])


def alert_file(data: bytes, name: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "page.json"
        path.write_bytes(data)
        rejected_cleanly(lambda: alert_from_file(path, name), [str(path), "page.json"])


def alert_parsers(doc: object, name: str | None) -> None:
    """The shared parsers take any JSON: they answer None or alerts, never raise."""
    for alerts in (webhook_alerts(doc), api_alerts(doc)):
        if alerts is None:
            continue
        chosen = pick_alert(alerts, name)
        if chosen is not None:
            json.dumps(webhook_payload(chosen), default=str)
            assert chosen.firing and isinstance(chosen.title, str)


test_incident_toml_reads_or_names_the_file, test_incident_toml_reads_or_names_the_file_nightly = twin(
    incident_toml, nightly=2000, fast=60, text=incident_texts(), alert=st.one_of(st.none(), alert_files()))
test_alert_file_reads_or_names_the_file, test_alert_file_reads_or_names_the_file_nightly = twin(
    alert_file, nightly=800, fast=30, data=alert_files(), name=st.one_of(st.none(), TEXT, st.just("HighLatency")))
test_alert_parsers_take_any_json, test_alert_parsers_take_any_json_nightly = twin(
    alert_parsers, nightly=1000, fast=40, doc=st.one_of(PAYLOAD, st.lists(st.one_of(ALERT, JSON_VALUE), max_size=4)),
    name=st.one_of(st.none(), TEXT))
