"""The settings' sections: one typed dataclass per config-file section, each validating
its own values (the loading, precedence and type checks live in aiops.config)."""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiops.config_service import MemorySettings, ServeSettings
from aiops.config_mcp import McpSettings
from aiops.errors import ConfigError

def _default_data_dir() -> str:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(base) / "aiops")


@dataclass
class GeneralSettings:
    data_dir: str = field(default_factory=_default_data_dir)
    log_level: str = "warning"

    def validate(self, where: str) -> None:
        _choice(where, "general.log_level", self.log_level, ("debug", "info", "warning", "error"))


@dataclass
class DiagnoseSettings:
    max_root_causes: int = 10
    format: str = "text"
    reasoner: str = "auto"
    max_steps: int = 24              # tool calls in one run, over all rounds
    max_rounds: int = 3              # plan -> execute -> reflect iterations
    max_wall_s: float = 120.0
    tool_timeout_s: float = 30.0
    max_tokens: int = 60_000         # model tokens one run may spend (LLM reasoner)
    max_cost_usd: float = 0.50       # model cost one run may spend (LLM reasoner)

    def validate(self, where: str) -> None:
        _choice(where, "diagnose.format", self.format, ("text", "json", "markdown", "html"))
        _choice(where, "diagnose.reasoner", self.reasoner, ("auto", "offline", "llm"))
        _positive(where, "diagnose.max_root_causes", self.max_root_causes)
        _positive(where, "diagnose.max_steps", self.max_steps)
        _positive(where, "diagnose.max_rounds", self.max_rounds)
        _positive(where, "diagnose.max_tokens", self.max_tokens)
        _positive(where, "diagnose.max_cost_usd", self.max_cost_usd)
        _positive(where, "diagnose.max_wall_s", self.max_wall_s)
        _positive(where, "diagnose.tool_timeout_s", self.tool_timeout_s)


@dataclass
class AnalyticsSettings:
    anomaly_threshold: float = 0.9
    baseline_fraction: float = 0.5
    warmup_points: int = 300

    def validate(self, where: str) -> None:
        if not 0.0 < self.anomaly_threshold < 1.0:
            raise ConfigError(f"{where}: analytics.anomaly_threshold = {self.anomaly_threshold!r} must be between 0 and 1")
        if not 0.05 <= self.baseline_fraction <= 0.95:
            raise ConfigError(f"{where}: analytics.baseline_fraction = {self.baseline_fraction!r} must be between 0.05 and 0.95")
        if isinstance(self.warmup_points, bool) or not isinstance(self.warmup_points, int) or not 10 <= self.warmup_points <= 1_000_000:
            raise ConfigError(f"{where}: analytics.warmup_points = {self.warmup_points!r} must be a whole number from 10 to 1000000")


@dataclass
class ModelsSettings:
    """Model aliases -> litellm model strings ("openai/gpt-4o-mini", "ollama/qwen2.5", ...)."""

    planner: str = ""
    fast: str = ""
    local: str = ""
    embedding: str = ""
    aliases: dict[str, str] = field(default_factory=dict)            # more aliases: name -> model
    fallbacks: dict[str, list[str]] = field(default_factory=dict)    # alias -> [alias or model, ...]
    api_bases: dict[str, str] = field(default_factory=dict)          # alias or model -> OpenAI-compatible base URL
    context_windows: dict[str, int] = field(default_factory=dict)    # alias or model -> input tokens

    def validate(self, where: str) -> None:
        for key in ("aliases", "api_bases"):
            for name, value in getattr(self, key).items():
                if not isinstance(value, str) or not value:
                    raise ConfigError(f"{where}: models.{key}.{name} = {value!r} must be a non-empty string")
        for name, chain in self.fallbacks.items():
            if not isinstance(chain, list) or not all(isinstance(v, str) and v for v in chain):
                raise ConfigError(f"{where}: models.fallbacks.{name} = {chain!r} must be a list of model names")
        for name, value in self.context_windows.items():
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ConfigError(f"{where}: models.context_windows.{name} = {value!r} must be a positive integer")


@dataclass
class GatewaySettings:
    """The model gateway: ledger, cache, provider keys, retries, redaction (aiops.gateway)."""

    ledger_path: str = ""            # "" -> <data_dir>/gateway.duckdb
    keys_path: str = ""              # internal keys (hashed); "" -> <data_dir>/gateway-keys.json
    cache_dir: str = ""              # "" -> <data_dir>/gateway-cache
    cache_enabled: bool = True
    cache_ttl_s: float = 7 * 86400.0
    key_file: str = ""               # provider keys TOML, mode 0600; "" -> ~/.config/aiops/keys.toml if present
    use_keyring: bool = False        # also look in the OS keyring (needs the `keyring` package)
    timeout_s: float = 60.0
    max_retries: int = 3
    backoff_s: float = 1.0
    default_max_tokens: int = 1024
    api_base: str = ""               # OpenAI-compatible endpoint for aliases without their own
    redact_pii: bool = False
    trace_prompts: bool = False      # put the (redacted) prompt on the trace span
    internal_key: str = ""           # a secret: set it via AIOPS_GATEWAY_INTERNAL_KEY, never in a shared file
    require_internal_key: bool = False
    safety_command: list[str] = field(default_factory=list)   # veto hook: argv run with the prompt as JSON on stdin
    safety_hook: str = ""            # veto hook: "package.module:function" (messages) -> reason or None

    def validate(self, where: str) -> None:
        _positive(where, "gateway.cache_ttl_s", self.cache_ttl_s)
        _positive(where, "gateway.timeout_s", self.timeout_s)
        _positive(where, "gateway.default_max_tokens", self.default_max_tokens)
        if self.max_retries < 0:
            raise ConfigError(f"{where}: gateway.max_retries = {self.max_retries!r} must be >= 0")
        if not (self.backoff_s >= 0 and math.isfinite(self.backoff_s)):
            raise ConfigError(f"{where}: gateway.backoff_s = {self.backoff_s!r} must be >= 0")
        if self.safety_hook and not _entry_point(self.safety_hook):
            raise ConfigError(f"{where}: gateway.safety_hook = {self.safety_hook!r} is not \"package.module:function\"")


MIN_HASHING_DIM, MAX_HASHING_DIM = 8, 16384


@dataclass
class KbSettings:
    path: str = ""                 # knowledge-base DuckDB file; "" = <data_dir>/kb.duckdb
    embedder: str = "hashing"      # hashing (built in, no download) | litellm | sentence
    embed_model: str = ""          # litellm: the [models] alias to embed with ("" = "embedding")
    hashing_dim: int = 256
    include_builtin: bool = True   # index the shipped runbooks (knowledge/) automatically
    watch_interval_s: float = 2.0
    lock_wait_s: float = 10.0      # a writer waits this long for another writer's batch (readers never wait)

    def validate(self, where: str) -> None:
        _choice(where, "kb.embedder", self.embedder, ("hashing", "litellm", "sentence"))
        if not (self.lock_wait_s >= 0 and math.isfinite(self.lock_wait_s)):
            raise ConfigError(f"{where}: kb.lock_wait_s = {self.lock_wait_s!r} must be >= 0")
        if not MIN_HASHING_DIM <= self.hashing_dim <= MAX_HASHING_DIM:   # a DuckDB FLOAT[dim] column, one per chunk
            raise ConfigError(f"{where}: kb.hashing_dim = {self.hashing_dim!r} must be between {MIN_HASHING_DIM} "
                              f"and {MAX_HASHING_DIM}")
        _positive(where, "kb.watch_interval_s", self.watch_interval_s)


@dataclass
class ToolsSettings:
    """Declarative tools (YAML) beyond the shipped ones."""

    paths: list[str] = field(default_factory=list)    # directories of *.yaml tool files

    def validate(self, where: str) -> None:
        pass


@dataclass
class PlaybooksSettings:
    """Playbooks (YAML) beyond the shipped ones; a playbook of the same name replaces a shipped one."""

    paths: list[str] = field(default_factory=list)    # directories of *.yaml playbooks

    def validate(self, where: str) -> None:
        pass


@dataclass
class SourcesSettings:
    """Live sources, several of each kind, named: [sources.<kind>.<name>] tables.

    Each table's keys are checked against the kind's options by aiops.telemetry.live
    (`aiops sources` lists them with their health); secrets are env var names, never values.
    """

    prometheus: dict[str, dict] = field(default_factory=dict)
    alertmanager: dict[str, dict] = field(default_factory=dict)
    kubernetes: dict[str, dict] = field(default_factory=dict)
    loki: dict[str, dict] = field(default_factory=dict)
    jaeger: dict[str, dict] = field(default_factory=dict)
    tempo: dict[str, dict] = field(default_factory=dict)
    files: dict[str, dict] = field(default_factory=dict)
    default_window: str = "30m"      # live diagnosis / snapshot window when no --window, --start or alert
    deadline_s: float = 60.0         # a source still fetching after this long is reported missing

    def validate(self, where: str) -> None:
        from aiops.timeutil import parse_duration

        for kind in ("prometheus", "alertmanager", "kubernetes", "loki", "jaeger", "tempo", "files"):
            for name, table in getattr(self, kind).items():
                if not isinstance(table, dict):
                    raise ConfigError(f"{where}: sources.{kind}.{name} = {table!r} must be a [sources.{kind}.{name}] table")
        _positive(where, "sources.deadline_s", self.deadline_s)
        try:
            if parse_duration(self.default_window) <= 0:
                raise ValueError
        except ValueError:
            raise ConfigError(f"{where}: sources.default_window = {self.default_window!r} is not a duration "
                              "(use e.g. 30m, 2h)") from None


@dataclass
class TracingSettings:
    """OpenTelemetry traces of each run (aiops.agent.run_trace, aiops.agent.trace_export).

    The OTLP/HTTP exporter is configured by the standard OTEL_* environment variables
    (OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, _HEADERS, _TIMEOUT, OTEL_SERVICE_NAME ...); they are
    read here, with the settings, into `Settings.otel_env`.
    """

    exporter: str = "auto"           # auto (otlp when an OTEL_EXPORTER_OTLP_*ENDPOINT or OTEL_TRACES_EXPORTER=otlp is set) | otlp | none
    file: str = ""                   # also append every span as one JSON line to this file
    service_name: str = "aiops"      # resource service.name unless OTEL_SERVICE_NAME is set
    flush_timeout_s: float = 3.0     # at exit, how long a collector may take before its spans are dropped

    def validate(self, where: str) -> None:
        _choice(where, "tracing.exporter", self.exporter, ("auto", "otlp", "none"))
        _positive(where, "tracing.flush_timeout_s", self.flush_timeout_s)


@dataclass
class HistorySettings:
    """The run history (aiops runs, aiops feedback): one DuckDB file, written crash-safely."""

    enabled: bool = True
    path: str = ""                   # "" -> <data_dir>/runs.duckdb

    def validate(self, where: str) -> None:
        pass


@dataclass
class EvaluationSettings:
    suite_dir: str = ""              # evaluation cases made by `aiops feedback`; "" -> <data_dir>/eval-suite

    def validate(self, where: str) -> None:
        pass


CANARY_KEYS = {"version": "", "percent": 0.0, "by": "run"}


@dataclass
class PromptsSettings:
    """Versioned prompt templates <dir>/<name>/v<N>.md and their gray rollout."""

    paths: list[str] = field(default_factory=list)   # operator prompt directories; they win over the shipped ones
    version: str = ""                # "" = each prompt's newest version (below a canary); "vN" = newest <= vN
    canary: dict[str, Any] = field(default_factory=lambda: dict(CANARY_KEYS))   # [prompts.canary]

    def validate(self, where: str) -> None:
        _prompt_version(where, "prompts.version", self.version)
        if not isinstance(self.canary, dict):
            raise ConfigError(f"{where}: prompts.canary = {self.canary!r} must be a [prompts.canary] table")
        for key in self.canary:
            if key not in CANARY_KEYS:
                raise ConfigError(f"{where}: unknown key prompts.canary.{key} (known: {', '.join(CANARY_KEYS)})")
        canary = {**CANARY_KEYS, **self.canary}
        _prompt_version(where, "prompts.canary.version", canary["version"])
        pct = canary["percent"]
        if isinstance(pct, bool) or not isinstance(pct, (int, float)) or not 0 <= pct <= 100:
            raise ConfigError(f"{where}: prompts.canary.percent = {pct!r} must be a number from 0 to 100")
        _choice(where, "prompts.canary.by", canary["by"], ("run", "incident"))
        if pct > 0 and not canary["version"]:
            raise ConfigError(f"{where}: prompts.canary.percent = {pct!r} needs prompts.canary.version (e.g. \"v3\")")
        self.canary = canary | {"percent": float(pct)}


@dataclass
class LimitsSettings:
    """How much of a huge input is read, so memory stays bounded (aiops.telemetry.limits)."""

    max_log_records: int = 1_000_000      # per log file of a bundle; more are sampled (every k-th record)
    max_json_document_mb: int = 256       # one OTLP JSON document read whole (one-a-line files stream)
    max_line_kb: int = 64                 # a longer log line is cut to this length, with a warning
    max_columns: int = 1000               # columns of one bundle file (labels, attributes); more: refused

    def validate(self, where: str) -> None:
        _positive(where, "limits.max_log_records", self.max_log_records)
        _positive(where, "limits.max_json_document_mb", self.max_json_document_mb)
        _positive(where, "limits.max_line_kb", self.max_line_kb)
        _positive(where, "limits.max_columns", self.max_columns)


@dataclass
class ReleaseSettings:
    """`aiops report`: the post-release check (windows, verdict thresholds, diagnosis, outputs)."""

    baseline: str = "1h"             # window before the release (flag: --baseline)
    after: str = "15m"               # window after it (flag: --after)
    history_days: int = 7            # look this many days back for the same hours (seasonality)
    alpha: float = 0.001             # significance needed before a check may warn or fail
    latency_warn: float = 0.15       # relative rise of a latency percentile
    latency_fail: float = 0.30
    latency_min_ms: float = 5.0      # ... and at least this many milliseconds
    error_rate_warn: float = 0.005   # absolute rise of the error ratio (0.005 = 0.5 points)
    error_rate_fail: float = 0.01
    error_rate_min_ratio: float = 2.0   # ... and at least this many times the baseline ratio
    traffic_drop_warn: float = 0.25  # relative fall of traffic
    traffic_drop_fail: float = 0.5
    saturation_warn: float = 0.2     # relative rise of CPU or memory per pod
    saturation_fail: float = 0.4
    restarts_warn: int = 1           # restarts after the release (and unlikely at the baseline's rate)
    restarts_fail: int = 2
    log_min_lines: int = 5           # lines (or failed traces) before a template or path can warn/fail
    log_surge_warn: float = 3.0      # rate after / rate before of an error template or error path
    log_surge_fail: float = 10.0
    diagnose_on_fail: bool = True    # run the diagnosis over the after window when the verdict is fail
    max_root_causes: int = 3
    step_summary: str = ""           # append the Markdown report here; "" = $GITHUB_STEP_SUMMARY when set

    def validate(self, where: str) -> None:
        from aiops.timeutil import parse_duration

        for key in ("baseline", "after"):
            value = getattr(self, key)
            try:
                if parse_duration(value) <= 0:
                    raise ValueError
            except ValueError:
                raise ConfigError(f"{where}: release.{key} = {value!r} is not a duration (use e.g. 15m, 1h)") from None
        if not 0 <= self.history_days <= 28:
            raise ConfigError(f"{where}: release.history_days = {self.history_days!r} must be between 0 and 28")
        if not 0.0 < self.alpha < 0.5:
            raise ConfigError(f"{where}: release.alpha = {self.alpha!r} must be between 0 and 0.5")
        for name in ("latency", "error_rate", "traffic_drop", "saturation", "restarts", "log_surge"):
            warn, fail = getattr(self, f"{name}_warn"), getattr(self, f"{name}_fail")
            _positive(where, f"release.{name}_warn", warn)
            if fail < warn:
                raise ConfigError(f"{where}: release.{name}_fail = {fail!r} must be >= release.{name}_warn = {warn!r}")
        for name in ("traffic_drop_warn", "traffic_drop_fail"):
            if getattr(self, name) >= 1.0:
                raise ConfigError(f"{where}: release.{name} = {getattr(self, name)!r} must be below 1 (a share)")
        if self.latency_min_ms < 0:
            raise ConfigError(f"{where}: release.latency_min_ms = {self.latency_min_ms!r} must be >= 0")
        _positive(where, "release.error_rate_min_ratio", self.error_rate_min_ratio)
        _positive(where, "release.log_min_lines", self.log_min_lines)
        _positive(where, "release.max_root_causes", self.max_root_causes)


@dataclass
class Settings:
    general: GeneralSettings = field(default_factory=GeneralSettings)
    diagnose: DiagnoseSettings = field(default_factory=DiagnoseSettings)
    analytics: AnalyticsSettings = field(default_factory=AnalyticsSettings)
    kb: KbSettings = field(default_factory=KbSettings)
    models: ModelsSettings = field(default_factory=ModelsSettings)
    gateway: GatewaySettings = field(default_factory=GatewaySettings)
    sources: SourcesSettings = field(default_factory=SourcesSettings)
    tools: ToolsSettings = field(default_factory=ToolsSettings)
    playbooks: PlaybooksSettings = field(default_factory=PlaybooksSettings)
    tracing: TracingSettings = field(default_factory=TracingSettings)
    history: HistorySettings = field(default_factory=HistorySettings)
    evaluation: EvaluationSettings = field(default_factory=EvaluationSettings)
    prompts: PromptsSettings = field(default_factory=PromptsSettings)
    limits: LimitsSettings = field(default_factory=LimitsSettings)
    release: ReleaseSettings = field(default_factory=ReleaseSettings)
    serve: ServeSettings = field(default_factory=ServeSettings)
    memory: MemorySettings = field(default_factory=MemorySettings)
    mcp: McpSettings = field(default_factory=McpSettings)
    source_file: str | None = None  # which file the settings came from, if any
    otel_env: dict[str, str] = field(default_factory=dict)   # the OTEL_* environment variables (tracing exporters)

    @property
    def data_dir(self) -> Path:
        return Path(self.general.data_dir).expanduser()

    def as_dict(self) -> dict[str, dict[str, Any]]:
        return {s: dataclasses.asdict(getattr(self, s)) for s in section_names()}


def section_names() -> list[str]:
    return [f.name for f in dataclasses.fields(Settings) if f.name not in ("source_file", "otel_env")]


def _entry_point(text: str) -> bool:
    module, _, name = text.partition(":")
    return bool(module and name) and all(p.isidentifier() for p in module.split(".") + name.split("."))


def _choice(where: str, key: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"{where}: {key} = {value!r} is not one of {', '.join(allowed)}")


def _prompt_version(where: str, key: str, value: str) -> None:
    if value and not (value[:1] == "v" and value[1:].isdigit()):
        raise ConfigError(f"{where}: {key} = {value!r} is not a prompt version (use e.g. \"v3\", or \"\")")


def _positive(where: str, key: str, value: float) -> None:
    if not (value > 0 and math.isfinite(value)):          # NaN and inf are no budget
        raise ConfigError(f"{where}: {key} = {value!r} must be > 0")
