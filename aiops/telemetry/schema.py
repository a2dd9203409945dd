"""The one DuckDB schema for metrics, logs, spans and events (all times: DOUBLE unix seconds).

`labels` / `attrs` hold a JSON object (sorted keys) of every column that has no column of
its own; '{}' when there are none. `service` is never NULL: it is derived from `pod` when
the source has no service column.
"""

TABLES: dict[str, str] = {
    "metrics": """
        CREATE TABLE IF NOT EXISTS metrics (
            ts DOUBLE NOT NULL,
            metric VARCHAR NOT NULL,
            value DOUBLE,              -- NULL = missing sample
            service VARCHAR NOT NULL,
            pod VARCHAR NOT NULL,      -- '' when the series has no pod
            labels VARCHAR NOT NULL    -- JSON object of the remaining labels
        )""",
    "logs": """
        CREATE TABLE IF NOT EXISTS logs (
            ts DOUBLE NOT NULL,
            service VARCHAR NOT NULL,
            pod VARCHAR NOT NULL,
            level VARCHAR NOT NULL,    -- lower case; '' when unknown
            message VARCHAR NOT NULL,
            trace_id VARCHAR NOT NULL,
            span_id VARCHAR NOT NULL,
            attrs VARCHAR NOT NULL
        )""",
    "spans": """
        CREATE TABLE IF NOT EXISTS spans (
            trace_id VARCHAR NOT NULL,
            span_id VARCHAR NOT NULL,
            parent_span_id VARCHAR NOT NULL,  -- '' for a root span
            service VARCHAR NOT NULL,
            pod VARCHAR NOT NULL,
            operation VARCHAR NOT NULL,
            start DOUBLE NOT NULL,            -- unix seconds
            duration_us DOUBLE NOT NULL,
            status VARCHAR NOT NULL,          -- OK / ERROR / UNSET
            http_status INTEGER,
            attrs VARCHAR NOT NULL
        )""",
    "events": """
        CREATE TABLE IF NOT EXISTS events (
            ts DOUBLE NOT NULL,
            kind VARCHAR NOT NULL,
            service VARCHAR NOT NULL,
            message VARCHAR NOT NULL,
            attrs VARCHAR NOT NULL
        )""",
}
