"""An incident with text planted in its data: the demo bundle plus planted log lines, spans
(operation names and attributes), events and metric labels, a knowledge base holding
planted runbooks, and the operator tools that read all of it back (declarative SQL tools,
as an operator would write them). Used by the secrets and prompt-injection tests.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

from aiops.resources import demo_bundle

T_PLANT = 1731960600.0          # 2024-11-18T20:10:00Z: inside the demo window, after its onset
SERVICE = "inventory"

READ_TOOLS = """\
tools:
  - name: logs.lines_matching
    description: Log lines that contain a text, with their service, oldest first.
    specialist: logs
    kind: sql
    parameters: {pattern: {type: string, maxLength: 200}}
    required: [pattern]
    sql: SELECT service, message FROM logs WHERE contains(message, $pattern) ORDER BY ts, message
    max_rows: 200
  - name: traces.spans_matching
    description: Spans whose operation or attributes contain a text, with both.
    specialist: traces
    kind: sql
    parameters: {pattern: {type: string, maxLength: 200}}
    required: [pattern]
    sql: |
      SELECT service, operation, attrs FROM spans
      WHERE contains(operation, $pattern) OR contains(attrs, $pattern) ORDER BY start, span_id
    max_rows: 200
  - name: metrics.labels_matching
    description: Metric series whose labels contain a text, with the labels.
    specialist: metrics
    kind: sql
    parameters: {pattern: {type: string, maxLength: 200}}
    required: [pattern]
    sql: SELECT DISTINCT metric, service, labels FROM metrics WHERE contains(labels, $pattern) ORDER BY labels
    max_rows: 200
"""


def planted_bundle(root: Path, *, logs: list[str] = (), span_ops: list[str] = (), span_attrs: list[str] = (),
                   events: list[str] = (), labels: list[str] = (), alert: dict[str, str] | None = None) -> Path:
    """The demo bundle at `root` with each planted text in its place (one record each);
    `alert` adds labels to the incident's alert (every report cites the alert)."""
    shutil.copytree(demo_bundle(), root)
    (root / "truth.toml").unlink(missing_ok=True)
    if alert:   # [alert] is the last table of the demo's incident.toml
        extra = "".join(f"{k} = {json.dumps(v)}\n" for k, v in alert.items())
        (root / "incident.toml").write_text((root / "incident.toml").read_text() + extra)
    t = T_PLANT
    lines = [{"timestamp": t + i, "service": SERVICE, "level": "error", "message": text} for i, text in enumerate(logs)]
    _write_jsonl(root / "logs.jsonl", lines)
    spans = [{"trace_id": f"plant{i:04d}", "span_id": f"op{i:04d}", "service": SERVICE, "operation": text,
              "start": int((t + i) * 1e9), "duration_us": 1200} for i, text in enumerate(span_ops)]
    spans += [{"trace_id": f"plant{i:04d}", "span_id": f"at{i:04d}", "service": SERVICE, "operation": "GET /planted",
               "start": int((t + i) * 1e9), "duration_us": 1300, "note": text} for i, text in enumerate(span_attrs)]
    _write_jsonl(root / "spans.jsonl", spans)
    planted_events = [{"timestamp": t + i, "kind": "note", "service": SERVICE, "message": text}
                      for i, text in enumerate(events)]
    _write_jsonl(root / "events.jsonl", planted_events)
    if labels:
        series = [{"metric": {"__name__": "planted_info", "service": SERVICE, "note": text},
                   "values": [[t, "1"], [t + 15, "1"]]} for text in labels]
        (root / "metrics.json").write_text(json.dumps({"status": "success", "data": {
            "resultType": "matrix", "result": series}}))
    return root


def _write_jsonl(path: Path, records: list[dict]) -> None:
    if records:
        path.write_text("".join(json.dumps(x) + "\n" for x in records))


def read_tools_dir(root: Path) -> Path:
    tools = root / "operator-tools"
    tools.mkdir(parents=True, exist_ok=True)
    (tools / "read.yaml").write_text(READ_TOOLS)
    return tools


def runbook_dir(root: Path, texts: list[str], word: str) -> Path:
    """One small runbook per text; each holds `word`, so one search finds them all."""
    books = root / "operator-runbooks"
    books.mkdir(parents=True, exist_ok=True)
    for i, text in enumerate(texts):
        (books / f"planted-{i:02d}.md").write_text(textwrap.dedent(f"""\
            # Planted runbook {i} {word}

            {word} {text}
            """))
    return books


def index_runbooks(settings, books: Path) -> None:  # noqa: ANN001 - aiops.config.Settings
    """Sync `books` into the knowledge base the run will open (settings.kb.path)."""
    from aiops.kb.builtin import open_knowledge_base

    kb = open_knowledge_base(settings)
    try:
        kb.sync(books)
    finally:
        kb.close()


def table_counts(store) -> dict[str, int]:  # noqa: ANN001 - aiops.telemetry.store.TelemetryStore
    return dict(store.counts())
