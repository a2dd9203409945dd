"""Where shipped content lives: inside the wheel (aiops/_content/...) or the source tree."""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent
_KINDS = ("tools", "knowledge", "playbooks", "demo")


def content_dir(kind: str) -> Path:
    """The directory of shipped content `kind` (tools, knowledge, playbooks, demo)."""
    if kind not in _KINDS:
        raise KeyError(kind)
    installed = _PKG / "_content" / kind
    if installed.is_dir():
        return installed
    source_tree = _PKG.parent / kind
    return source_tree


def demo_bundle() -> Path:
    """The bundled demo incident."""
    return content_dir("demo") / "checkout-incident"
