"""The detector registry: name -> "module:Class" (imported lazily) or a factory.

Built-ins register through the same `register_detector` call as plug-ins do.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

from aiops.errors import BadInputError

_REGISTRY: dict[str, str | Callable[..., Any]] = {}


def register_detector(name: str, target: str | Callable[..., Any], replace: bool = False) -> None:
    """Register `target` ("package.module:ClassName" or a callable returning a Detector)."""
    key = name.strip().lower()
    if not key:
        raise ValueError("detector name must not be empty")
    if isinstance(target, str) and ":" not in target:
        raise ValueError(f"detector target must look like 'module:Class', not {target!r}")
    if key in _REGISTRY and not replace and _REGISTRY[key] != target:
        raise ValueError(f"detector {key!r} is already registered (pass replace=True)")
    _REGISTRY[key] = target


def detector_names() -> list[str]:
    return sorted(_REGISTRY)


def detector_factory(name: str) -> Callable[..., Any]:
    """The class (or factory) registered under `name`; imports its module on first use."""
    key = str(name).strip().lower()
    target = _REGISTRY.get(key)
    if target is None:
        raise BadInputError(f"unknown detector {name!r} (known: {', '.join(detector_names())})")
    if isinstance(target, str):
        module, _, attr = target.partition(":")
        target = getattr(importlib.import_module(module), attr)
        _REGISTRY[key] = target
    return target


def get_detector(name: str, **params: Any) -> Any:
    """A new detector instance: get_detector("level_shift", window=60)."""
    return detector_factory(name)(**params)


_BUILTINS = {
    "seasonal_mad": "aiops.analytics.detectors.robust_z:SeasonalMadDetector",
    "robust_z": "aiops.analytics.detectors.robust_z:SeasonalMadDetector",
    "level_shift": "aiops.analytics.detectors.robust_z:LevelShiftDetector",
    "spike": "aiops.analytics.detectors.robust_z:SpikeDetector",
    "ewma": "aiops.analytics.detectors.forecast_residual:EwmaDetector",
    "holt": "aiops.analytics.detectors.forecast_residual:HoltDetector",
    "ensemble": "aiops.analytics.detectors.ensemble:EnsembleDetector",
    "adaptive": "aiops.analytics.detectors.adaptive:AdaptiveDetector",
}
for _name, _target in _BUILTINS.items():
    register_detector(_name, _target)
