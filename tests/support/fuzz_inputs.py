"""Strategies for fuzzing what aiops reads from files: every bundle file format (generated
from each format's own columns, or a valid sample mutated), incident.toml variants, and
configuration files with AIOPS_* environment variables. Used by tests/hardening."""

from __future__ import annotations

import dataclasses
import json

from fuzzing import (
    CELL, JSON_VALUE, NASTY, NUMBER_TEXT, TEXT, TIMESTAMP_TEXT, TOML_VALUE, csv_files, jsonl_files, maybe_gzip,
    mutated, toml_document,
)
from hypothesis import strategies as st

from aiops.config import Settings, section_names
from aiops.telemetry.formats import events, logs, metrics, spans
from aiops.telemetry.live.registry import source_kinds

WINDOWED = ('title = "fuzz"\nstarted_at = "2023-01-29T08:43:04Z"\n'
            '[window]\nstart = "2023-01-29T08:30:00Z"\nend = "2023-01-29T08:50:00Z"\n')
INCIDENTS = st.sampled_from([WINDOWED, 'title = "fuzz, window from the data"\n',
                             'title = "fuzz"\nstarted_at = "2023-01-29T08:43:04Z"\n'])
T = 1674981000
NS = T * 1_000_000_000

# Valid samples of every format, mutated byte by byte.
SAMPLES = {
    "metrics.csv": f"timestamp,metric,value,service,pod,namespace\n{T},cpu_usage_ratio,0.5,cart,cart-7d4f9c8b6-x2k9z,shop\n"
                   f"{T + 15},cpu_usage_ratio,NaN,cart,cart-7d4f9c8b6-x2k9z,shop\n2023-01-29T08:31:00Z,latency,1,,web-0,\n",
    "metrics.json": json.dumps({"status": "success", "data": {"resultType": "matrix", "result": [
        {"metric": {"__name__": "up", "service": "cart", "pod": "cart-0"}, "values": [[T, "1"], [T + 15, "0"]]}]}}),
    "logs.csv": f'timestamp,service,pod,level,message,trace_id\n{T},cart,cart-0,ERROR,"boom, ""quoted""",t1\n'
                f'2023-01-29T08:31:00Z,,web-5d9c7b8f6-abcde,,"{{""log"":""ERROR x\\n"",""stream"":""stderr""}}",\n',
    "logs.jsonl": json.dumps({"timestamp": T, "service": "cart", "message": "level=error msg=boom", "extra": 1}) + "\n"
                  + json.dumps({"ts": "2023-01-29T08:31:00Z", "pod": "web-0", "msg": "2023-01-29T08:31:00Z stdout F hi"}),
    "logs/cart-7d4f9c8b6-x2k9z.log": "2023-01-29T08:31:00Z ERROR boom\n  at x.y(Z.java:1)\n[2023-01-29 08:32:00,123] INFO ok\n"
                                     f"{T + 200} WARN slow\n",
    "spans.csv": f"trace_id,span_id,parent_span_id,service,operation,start,duration_us,status,http_status\n"
                 f"t1,a,root,web,GET /,{NS},1500,,503\nt1,b,a,cart,get,{NS + 1000},700.5,STATUS_CODE_OK,200\n",
    "spans.jsonl": json.dumps({"trace_id": "t", "span_id": "s", "pod": "cart-0", "operation": "get",
                               "start": "2023-01-29T08:30:00Z", "end": NS + 2_500_000}) + "\n",
    "traces/export.json": json.dumps({"resourceSpans": [{"resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": "cart"}}]}, "scopeSpans": [{"spans": [{
            "traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174", "name": "op", "kind": 2,
            "startTimeUnixNano": str(NS), "endTimeUnixNano": str(NS + 250_000_000), "status": {"code": 2},
            "attributes": [{"key": "http.status_code", "value": {"intValue": "500"}}]}]}]}]}, indent=1),
    "events.jsonl": json.dumps({"timestamp": "2023-01-29T08:40:00Z", "kind": "Deploy", "service": "cart",
                                "message": "v2", "version": "2.0.1"}) + "\n",
}


def _w(valid: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly the valid shape, sometimes any JSON value in its place."""
    return st.one_of(valid, valid, valid, JSON_VALUE)


DEEP = st.integers(1, 100_000).map(lambda n: "[" * n + "]" * n)

# -- Prometheus matrix JSON -----------------------------------------------------------------------
LABELS = st.dictionaries(st.one_of(st.sampled_from(["__name__", "service", "pod", "job", "app", "container"]), TEXT),
                         st.one_of(TEXT, NASTY), max_size=5)
SAMPLE = st.tuples(st.one_of(st.integers(-(2 ** 70), 2 ** 70), st.floats(), TIMESTAMP_TEXT), NUMBER_TEXT).map(list)
SERIES = st.fixed_dictionaries({"metric": _w(LABELS), "values": _w(st.lists(_w(SAMPLE), max_size=5))},
                               optional={"value": _w(SAMPLE)})
MATRIX = st.fixed_dictionaries({"resultType": _w(st.sampled_from(["matrix", "vector", "scalar", "string"])),
                                "result": _w(st.lists(_w(SERIES), max_size=4))})
PROM_DOC = st.one_of(st.fixed_dictionaries({"status": _w(st.sampled_from(["success", "error"])), "data": _w(MATRIX)},
                                           optional={"error": TEXT}), MATRIX, JSON_VALUE)


@st.composite
def prometheus_files(draw) -> bytes:
    docs = draw(st.lists(PROM_DOC, min_size=1, max_size=3))
    if draw(st.booleans()):
        return draw(st.one_of(DEEP, st.just("\n".join(json.dumps(d) for d in docs)))).encode()
    return json.dumps(docs[0], indent=draw(st.sampled_from([None, 2]))).encode()


# -- OTLP JSON --------------------------------------------------------------------------------------
IDS = st.one_of(st.text("0123456789abcdef", max_size=32), st.sampled_from(["AAAAAAAAAAE=", "////", "=", ""]), CELL,
                st.integers())
NANOS = st.one_of(st.integers(-(2 ** 70), 2 ** 70), st.integers(0, 2 ** 64).map(str), NUMBER_TEXT, st.floats(),
                  st.just(str(NS)), st.just("9" * 400))
ANY_VALUE = st.deferred(lambda: st.one_of(
    st.fixed_dictionaries({"stringValue": CELL}), st.fixed_dictionaries({"intValue": st.one_of(NUMBER_TEXT, st.integers())}),
    st.fixed_dictionaries({"doubleValue": st.floats()}), st.fixed_dictionaries({"boolValue": st.booleans()}),
    st.fixed_dictionaries({"arrayValue": _w(st.fixed_dictionaries({"values": st.lists(ANY_VALUE, max_size=2)}))}),
    st.fixed_dictionaries({"kvlistValue": _w(st.fixed_dictionaries({"values": st.lists(ATTRIBUTE, max_size=2)}))}),
    JSON_VALUE))
ATTRIBUTE = st.deferred(lambda: _w(st.fixed_dictionaries(
    {"key": st.one_of(st.sampled_from(["service.name", "k8s.pod.name", "http.status_code",
                                       "http.response.status_code"]), TEXT, st.integers()), "value": ANY_VALUE})))
SPAN = st.fixed_dictionaries({}, optional={
    "traceId": IDS, "spanId": IDS, "parentSpanId": IDS, "name": _w(CELL), "startTimeUnixNano": NANOS,
    "endTimeUnixNano": NANOS, "attributes": _w(st.lists(ATTRIBUTE, max_size=3)), "kind": _w(st.integers(-1, 7)),
    "status": _w(st.fixed_dictionaries({}, optional={
        "code": _w(st.one_of(st.integers(-5, 5), st.sampled_from(["STATUS_CODE_ERROR", "STATUS_CODE_OK", "2"]))),
        "message": CELL}))})
SCOPE = st.fixed_dictionaries({"spans": _w(st.lists(_w(SPAN), max_size=3))}, optional={"scope": JSON_VALUE})
RESOURCE_SPANS = st.sampled_from(["scopeSpans", "scope_spans", "instrumentationLibrarySpans"]).flatmap(
    lambda key: st.fixed_dictionaries({
        "resource": _w(st.fixed_dictionaries({"attributes": _w(st.lists(ATTRIBUTE, max_size=3))})),
        key: _w(st.lists(_w(SCOPE), max_size=2))}))
OTLP_DOC = st.one_of(st.fixed_dictionaries({"resourceSpans": _w(st.lists(_w(RESOURCE_SPANS), max_size=2))}), JSON_VALUE)


@st.composite
def otlp_files(draw) -> bytes:
    docs = draw(st.lists(OTLP_DOC, min_size=1, max_size=3))
    how = draw(st.sampled_from(["lines", "pretty", "deep", "concatenated"]))
    if how == "deep":
        return draw(DEEP).encode()
    if how == "pretty":
        return json.dumps(docs[0], indent=2).encode()
    return ("\n" if how == "lines" else "").join(json.dumps(d) for d in docs).encode()


# -- plain log files --------------------------------------------------------------------------------
PREFIX = st.one_of(TIMESTAMP_TEXT, st.sampled_from(["[2023-01-29T08:43:04Z]", "2023-01-29 08:43:04,123", str(T), ""]))
BODY = st.one_of(TEXT, NASTY, st.sampled_from(["ERROR boom", "INFO ok", "  at com.x.Y(Y.java:1)", "Traceback (most "
                                                "recent call last):", '{"log":"x\\n","stream":"stdout"}']))
LINE = st.builds(lambda p, sep, body: p + sep + body, PREFIX, st.sampled_from([" ", "\t", " | ", "", "] "]), BODY)
LOG_STEMS = st.one_of(st.sampled_from(["cart", "cart-7d4f9c8b6-x2k9z", "web-0", "a b", "é", "-", "_"]),
                      st.text(st.characters(codec="ascii", exclude_characters="/\x00."), min_size=1, max_size=12))


@st.composite
def plain_log_files(draw) -> tuple[str, bytes]:
    lines = draw(st.lists(LINE, max_size=8))
    text = "\n".join(lines) + draw(st.sampled_from(["", "\n", "\r\n"]))
    return f"logs/{draw(LOG_STEMS)}.log", text.encode("utf-8", errors="surrogatepass")


# -- one property over every format -------------------------------------------------------------------
GENERATED = {
    "metrics.csv": csv_files(metrics.TIMESTAMP + metrics.METRIC + metrics.VALUE + metrics.SERVICE + metrics.POD
                             + metrics.SERVICE_FALLBACK_LABELS),
    "metrics.json": prometheus_files(),
    "logs.csv": csv_files(logs.TIMESTAMP + logs.MESSAGE + logs.SERVICE + logs.POD + logs.LEVEL + logs.TRACE_ID),
    "logs.jsonl": jsonl_files(logs.TIMESTAMP + logs.MESSAGE + logs.SERVICE + logs.POD + logs.LEVEL + logs.SPAN_ID),
    "spans.csv": csv_files(spans.TRACE_ID + spans.SPAN_ID + spans.PARENT + spans.SERVICE + spans.OPERATION + spans.START
                           + spans.END + spans.DURATION_US + spans.DURATION_MS + spans.STATUS + spans.HTTP_STATUS),
    "spans.jsonl": jsonl_files(spans.TRACE_ID + spans.SPAN_ID + spans.PARENT + spans.POD + spans.OPERATION + spans.START
                               + spans.END + spans.DURATION_US + spans.STATUS + spans.HTTP_STATUS),
    "traces/export.json": otlp_files(),
    "events.jsonl": jsonl_files(events.TIMESTAMP + events.KIND + events.SERVICE + events.POD + events.MESSAGE),
}


@st.composite
def bundle_file(draw, fmt: str) -> tuple[str, bytes]:
    """(path inside the bundle, content) for one format: generated, or a valid sample mutated."""
    if fmt == "logs/*.log":
        name, data = draw(st.one_of(plain_log_files(), st.tuples(
            st.just("logs/cart-7d4f9c8b6-x2k9z.log"), mutated(SAMPLES["logs/cart-7d4f9c8b6-x2k9z.log"].encode()))))
    else:
        name = fmt
        data = draw(st.one_of(GENERATED[fmt], mutated(SAMPLES[fmt].encode())))
    how = draw(st.sampled_from(["plain", "plain", "plain", "gzip", "broken-gzip"]))
    if how != "plain":
        name += ".gz"
    return name, maybe_gzip(data, how)


FORMATS = sorted(GENERATED) + ["logs/*.log"]



# -- configuration ---------------------------------------------------------------------------------

_FIELDS = {s: [f.name for f in dataclasses.fields(getattr(Settings(), s))] for s in section_names()}
_SOURCE_KINDS = sorted(k.name for k in source_kinds())


def _options(kind: str) -> list[str]:
    for k in source_kinds():
        if k.name == kind:
            return [f.name for f in dataclasses.fields(k.load().Options)]
    return []


def _tw(valid: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(valid, valid, TOML_VALUE)


SECTION = st.sampled_from(section_names()).flatmap(lambda s: st.tuples(st.just(s), _tw(st.dictionaries(
    st.one_of(st.sampled_from(_FIELDS[s]), TEXT), TOML_VALUE, max_size=4))))
SOURCE_TABLE = st.sampled_from(_SOURCE_KINDS).flatmap(lambda kind: st.tuples(st.just(kind), st.dictionaries(
    st.one_of(st.sampled_from(["main", "prod"]), TEXT), _tw(st.dictionaries(
        st.one_of(st.sampled_from(_options(kind)), TEXT), st.one_of(TOML_VALUE, st.sampled_from(
            ["http://127.0.0.1:9090", "ftp://x", "", "not a url", "30s", "-1"])), max_size=5)), max_size=2)))


@st.composite
def config_files(draw) -> str:
    if draw(st.integers(0, 5)) == 0:
        sample = '[diagnose]\nmax_steps = 4\n[sources.prometheus.main]\nurl = "http://127.0.0.1:9090"\n'
        return draw(mutated(sample.encode())).decode("utf-8", errors="replace")
    doc = dict(draw(st.lists(SECTION, max_size=4)))
    doc.update({draw(st.one_of(TEXT, NASTY)): draw(TOML_VALUE) for _ in range(draw(st.integers(0, 1)))})
    text = toml_document(doc)
    for kind, tables in draw(st.lists(SOURCE_TABLE, max_size=2)):
        for name, table in tables.items():
            if isinstance(table, dict):
                text += toml_document({f"sources.{kind}.{name}": table}).replace(
                    f'["sources.{kind}.{name}"]', f'[sources.{kind}."{name}"]'.replace("\\", "\\\\"))
    return text


ENV_NAME = st.one_of(
    st.sampled_from(section_names()).flatmap(
        lambda s: st.sampled_from(_FIELDS[s]).map(lambda k: f"AIOPS_{s.upper()}_{k.upper()}")),
    TEXT.map(lambda t: "AIOPS_" + "".join(c for c in t if c.isalnum() or c == "_").upper()))
ENV = st.dictionaries(ENV_NAME, st.one_of(TEXT, NASTY, st.sampled_from(["1", "0", "true", "nan", "inf", "-3", "1e9"])),
                      max_size=3).map(lambda d: {k: v.replace("\x00", "") for k, v in d.items()})


