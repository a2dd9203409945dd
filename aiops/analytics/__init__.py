"""Pure analytics: detectors, forecasting, log mining, trace analysis, root-cause ranking.

Imports numpy/scipy/statsmodels and aiops.domain/errors only; no I/O, no UI, no gateway.
"""
