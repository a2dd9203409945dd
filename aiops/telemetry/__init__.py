"""Loading and querying telemetry: incident bundles, the DuckDB store, live sources."""
