"""Live sources: read-only fetchers that fill a TelemetryStore from the systems operators run.

Prometheus, Alertmanager, Kubernetes, Loki, Jaeger, Tempo and plain files. Each source is a
`LiveSource` (see `base`) built from a `[sources.<kind>.<name>]` config table through one
registry (`registry.get_source_kind`), with `health()` and `fetch_into(store, window, scope)`;
expected failures come back as values (`FetchResult`), never as exceptions. Nothing here
writes to a source: every HTTP call is a GET through a session that refuses other verbs.
"""
