"""Live sources: read-only fetchers that fill a TelemetryStore from the systems operators run.

Prometheus, Alertmanager, Kubernetes, Loki, Jaeger, Tempo and plain files. Each source is a
`LiveSource` (see `base`) built from a `[sources.<kind>.<name>]` config table through one
registry (`registry.build_sources`), with `health()`, plain read methods (queries, lists,
logs, traces) and `fetch(window, scope)`, which returns a `FetchResult` holding a `Batch`
of bundle-shaped rows; expected failures come back as values, never as exceptions.
`collect` reads many sources at once into a store, each failure named as missing evidence;
`bundle_writer` writes a store out as an incident bundle. Nothing here writes to a source:
every HTTP call is a GET through a session (or Kubernetes API client) that refuses others.
See docs/live-sources.md.
"""
