"""Secret redaction shared by every surface that sends, persists or publishes text: the model
gateway (prompts, spans), the run history, the diagnosis and release reports.

    redactor = Redactor()                    # one per run: stable placeholders
    text, found = redactor.redact(text)      # found: placeholder -> original (keep it local)
    doc = redactor.redact_value(doc)         # every string of a JSON-like value
    redact_text(text)                        # a one-off

Patterns (aiops.redaction.patterns) name ~95 shapes; an entropy check
(aiops.redaction.entropy) catches random tokens next to secret words that no shape names.
"""

from __future__ import annotations

from typing import Any

from aiops.redaction.redactor import PLACEHOLDER, Redactor

__all__ = ["PLACEHOLDER", "Redactor", "redact_text", "redact_value"]


def redact_text(text: str) -> str:
    """`text` with every secret replaced by a placeholder (a fresh redactor: numbering per call)."""
    return Redactor().redact(text)[0] if text else text


def redact_value(value: Any) -> Any:
    """A copy of a JSON-like value with every string redacted (one redactor for the whole value)."""
    return Redactor().redact_value(value)
