"""Where run traces go: OTLP/HTTP (from the standard OTEL_* variables), the console, a file.

    setup = tracing_setup(settings, "console")      # or "FILE.jsonl", "otlp", "none", None
    for event in diagnose(bundle, settings, tracer_provider=setup.provider): ...
    setup.shutdown()                                 # flushes every exporter

OTLP is on when `[tracing] exporter = "otlp"`, or `"auto"` (the default) and the
environment names an OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT, ..._TRACES_ENDPOINT) or
OTEL_TRACES_EXPORTER=otlp. The variables are read with the settings (`Settings.otel_env`,
aiops.config) and handed to the exporter here: endpoint, headers, timeout, compression,
certificate. Only OTLP over HTTP (http/protobuf, port 4318) is spoken.

A JSON-lines file gets one span a line, in the columns of an incident bundle's
`spans.jsonl` (trace_id, span_id, parent_span_id, service, operation, start, duration_us,
status) plus the attributes: aiops's own traces can be read back as a bundle.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Mapping, Sequence

from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from aiops.config import Settings
from aiops.errors import BadInputError, ConfigError

DEFAULT_OTLP_ENDPOINT = "http://localhost:4318/v1/traces"
TRACE_CHOICES = ("console", "otlp", "none")


@dataclass
class TraceSetup:
    provider: Any
    exporters: list[str] = field(default_factory=list)     # what the spans go to, for a note
    flush_timeout_s: float = 3.0
    remote: list[Any] = field(default_factory=list)        # exporters that may hang on a dead collector

    def shutdown(self) -> str:
        """Flush and close every exporter (call once, when the command is done). A collector
        that does not answer gets `flush_timeout_s`, then its spans are dropped: the returned
        note says so ("" when all went well)."""
        note = ""
        try:
            # the batch processor flushes in the calling thread and retries a dead collector for
            # the exporter's whole timeout: flush in a helper thread and stop waiting in time
            flusher = threading.Thread(target=self.provider.force_flush, name="aiops-trace-flush", daemon=True)
            flusher.start()
            flusher.join(self.flush_timeout_s)
            if flusher.is_alive():
                where = ", ".join(e for e in self.exporters if e.startswith("otlp"))
                note = f"traces not delivered: {where} did not accept them within {self.flush_timeout_s:g} s"
                for exporter in self.remote:
                    exporter.shutdown()      # ends the retry loop still waiting on the collector
                flusher.join(self.flush_timeout_s)
            self.provider.shutdown()
        except Exception:  # noqa: BLE001 - an exporter that cannot flush never fails the command
            pass
        return note


def _first(env: Mapping[str, str], *names: str) -> str:
    return next((env[n].strip() for n in names if env.get(n, "").strip()), "")


def otlp_configured(env: Mapping[str, str]) -> bool:
    exporters = {e.strip().lower() for e in env.get("OTEL_TRACES_EXPORTER", "").split(",") if e.strip()}
    if exporters and "otlp" not in exporters:
        return False            # e.g. OTEL_TRACES_EXPORTER=none
    return "otlp" in exporters or bool(_first(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"))


def otlp_endpoint(env: Mapping[str, str]) -> str:
    traces = _first(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    if traces:
        return traces
    base = _first(env, "OTEL_EXPORTER_OTLP_ENDPOINT")
    return base.rstrip("/") + "/v1/traces" if base else DEFAULT_OTLP_ENDPOINT


def otlp_exporter(env: Mapping[str, str]) -> Any:
    protocol = _first(env, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL") or "http/protobuf"
    if protocol != "http/protobuf":
        name = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL" if env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") else \
            "OTEL_EXPORTER_OTLP_PROTOCOL"
        raise ConfigError(f"environment variable {name} = {protocol!r}: aiops exports OTLP over HTTP only "
                          "(http/protobuf, the collector's port 4318)")
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.util.re import parse_env_headers

    options: dict[str, Any] = {"endpoint": otlp_endpoint(env)}
    headers = _first(env, "OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS")
    if headers:
        options["headers"] = parse_env_headers(headers, liberal=True)
    timeout = _first(env, "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT")
    if timeout:
        try:
            options["timeout"] = float(timeout)       # seconds, as the Python SDK reads it
        except ValueError:
            raise ConfigError(f"environment variable OTEL_EXPORTER_OTLP_TIMEOUT = {timeout!r} is not a number") from None
    compression = _first(env, "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "OTEL_EXPORTER_OTLP_COMPRESSION")
    if compression:
        try:
            options["compression"] = Compression(compression)
        except ValueError:
            raise ConfigError(f"environment variable OTEL_EXPORTER_OTLP_COMPRESSION = {compression!r} is not one of "
                              "gzip, deflate, none") from None
    certificate = _first(env, "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", "OTEL_EXPORTER_OTLP_CERTIFICATE")
    if certificate:
        options["certificate_file"] = certificate
    return OTLPSpanExporter(**options)


def tracing_setup(settings: Settings, trace: str | None = None, console: IO[str] | None = None) -> TraceSetup:
    """A tracer provider with the exporters the settings, the OTEL_* variables and `trace`
    (--trace: console | otlp | none | a file path) ask for. Bad values raise (exit 2)."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    from aiops import __version__

    env = settings.otel_env
    mode = settings.tracing.exporter
    if trace == "none":
        mode = "none"
    elif trace == "otlp":
        mode = "otlp"
    service = _first(env, "OTEL_SERVICE_NAME") or settings.tracing.service_name
    provider = TracerProvider(resource=Resource.create({"service.name": service, "service.version": __version__}))
    setup = TraceSetup(provider, flush_timeout_s=settings.tracing.flush_timeout_s)
    try:
        if mode == "otlp" or (mode == "auto" and otlp_configured(env)):
            exporter = otlp_exporter(env)
            setup.remote.append(exporter)
            provider.add_span_processor(BatchSpanProcessor(exporter))
            setup.exporters.append(f"otlp {otlp_endpoint(env)}")
        if trace == "console":
            import sys

            provider.add_span_processor(SimpleSpanProcessor(ConsoleTreeExporter(console or sys.stderr)))
            setup.exporters.append("console")
        path = trace if trace is not None and trace not in TRACE_CHOICES else settings.tracing.file
        if path and mode != "none":
            provider.add_span_processor(SimpleSpanProcessor(JsonLinesSpanExporter(Path(path).expanduser())))
            setup.exporters.append(f"jsonl {path}")
    except BaseException:
        provider.shutdown()
        raise
    return setup


# -- exporters -----------------------------------------------------------------------------------

def _status(span: Any) -> str:
    return span.status.status_code.name        # UNSET | OK | ERROR


def span_record(span: Any) -> dict[str, Any]:
    """One finished span as a flat JSON object (the bundle spans.jsonl columns + attributes)."""
    ctx = span.context
    return {
        "trace_id": format(ctx.trace_id, "032x"),
        "span_id": format(ctx.span_id, "016x"),
        "parent_span_id": format(span.parent.span_id, "016x") if span.parent is not None else "",
        "service": span.resource.attributes.get("service.name", "aiops"),
        "operation": span.name,
        "start": span.start_time,
        "duration_us": round((span.end_time - span.start_time) / 1000, 3),
        "status": _status(span),
        "status_message": span.status.description or "",
        "attributes": {k: list(v) if isinstance(v, tuple) else v for k, v in (span.attributes or {}).items()},
        "events": [{"name": e.name, "timestamp": e.timestamp, "attributes": dict(e.attributes or {})}
                   for e in span.events],
    }


class JsonLinesSpanExporter(SpanExporter):
    """Appends one JSON span per line; the file is opened (or refused) at once."""

    def __init__(self, path: Path) -> None:
        if not path.parent.is_dir():
            raise BadInputError(f"--trace {path}: directory {path.parent} does not exist")
        try:
            self._file: IO[str] | None = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed at shutdown
        except OSError as exc:
            raise BadInputError(f"--trace {path}: cannot write: {exc.strerror or exc}") from None
        self._lock = threading.Lock()

    def export(self, spans: Sequence[Any]) -> Any:
        lines = "".join(json.dumps(span_record(s), ensure_ascii=False, default=str) + "\n" for s in spans)
        with self._lock:
            if self._file is None:
                return SpanExportResult.FAILURE
            try:
                self._file.write(lines)
                self._file.flush()
            except OSError:
                return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


_SHOWN = {
    "invoke_agent": ("aiops.run_id", "aiops.reasoner", "aiops.top.service", "aiops.llm_calls"),
    "aiops.round": ("aiops.round", "aiops.decision"),
    "aiops.plan": ("aiops.plan.tools", "aiops.prompt.version"),
    "aiops.reflect": ("aiops.decision", "aiops.hypotheses", "aiops.prompt.version"),
    "execute_tool": ("aiops.tool.status", "aiops.tool.findings", "aiops.tool.summary"),
    "retrieval": ("aiops.retrieval.query", "aiops.retrieval.sources", "aiops.retrieval.scores"),
    "chat": ("gen_ai.response.model", "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "aiops.cache_hit"),
}

_LABEL = {"aiops.top.service": "top", "aiops.prompt.version": "prompt", "gen_ai.response.model": "model",
          "gen_ai.usage.input_tokens": "in", "gen_ai.usage.output_tokens": "out"}


def _brief(value: Any, limit: int = 70) -> str:
    text = ",".join(str(v) for v in value[:3]) if isinstance(value, (list, tuple)) else str(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ConsoleTreeExporter(SpanExporter):
    """`--trace console`: each finished trace as an indented tree on standard error."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self._spans: list[Any] = []
        self._lock = threading.Lock()

    def export(self, spans: Sequence[Any]) -> Any:
        with self._lock:
            self._spans.extend(spans)
            done = [s for s in spans if s.parent is None]
        for root in done:
            self._print(root)
        return SpanExportResult.SUCCESS

    def _print(self, root: Any) -> None:
        with self._lock:
            mine = [s for s in self._spans if s.context.trace_id == root.context.trace_id]
            self._spans = [s for s in self._spans if s.context.trace_id != root.context.trace_id]
        kids: dict[int, list[Any]] = {}
        for s in mine:
            if s.parent is not None:
                kids.setdefault(s.parent.span_id, []).append(s)
        lines = [f"trace {format(root.context.trace_id, '032x')}"]

        def walk(span: Any, prefix: str, last: bool, top: bool) -> None:
            ms = (span.end_time - span.start_time) / 1e6
            shown = _SHOWN.get(span.name.split(" ")[0], ())
            attrs = " ".join(f"{_LABEL.get(k, k.rsplit('.', 1)[-1])}={_brief(span.attributes[k])}" for k in shown
                             if k in (span.attributes or {}))
            status = " ERROR" if _status(span) == "ERROR" else ""
            branch = "" if top else ("└─ " if last else "├─ ")
            lines.append(f"{prefix}{branch}{span.name}  {ms:.1f} ms{status}  {attrs}".rstrip())
            children = sorted(kids.get(span.context.span_id, []), key=lambda s: s.start_time)
            for i, child in enumerate(children):
                walk(child, prefix + ("" if top else ("   " if last else "│  ")), i == len(children) - 1, False)

        walk(root, "", True, True)
        self.out.write("\n".join(lines) + "\n")
        self.out.flush()

    def shutdown(self) -> None:
        with self._lock:
            left = list(self._spans)
        if left:
            self.out.write(f"({len(left)} span(s) of unfinished traces not shown)\n")
