"""Replace secrets (and optionally PII) by stable placeholders before anything leaves.

One `Redactor` serves a whole run: the same value always gets the same placeholder
(`[REDACTED_AWS_ACCESS_KEY_1]`), numbered in order of first appearance, so prompts stay
deterministic (the response cache keeps working) and a model's reply that echoes a
placeholder can be restored locally with `restore()`.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from aiops.redaction.entropy import high_entropy_spans
from aiops.redaction.patterns import PII_RULES, SECRET_RULES, compile_rules

PLACEHOLDER = re.compile(r"\[REDACTED_[A-Z0-9_]+?_\d+\]")
_STRUCTURAL_KEYS = frozenset({"role", "type", "id", "tool_call_id", "name"})
_MEMO_LIMIT = 4096
_SECRET_COMPILED = compile_rules(SECRET_RULES)
_PII_COMPILED = compile_rules(PII_RULES)


class Redactor:
    """Stateful, deterministic redaction of text and of chat messages."""

    def __init__(self, pii: bool = False, literals: Iterable[str] = ()) -> None:
        self._rules = _SECRET_COMPILED + (_PII_COMPILED if pii else [])
        self._placeholder_of: dict[str, str] = {}   # original -> placeholder
        self._original_of: dict[str, str] = {}      # placeholder -> original
        self._counts: dict[str, int] = {}
        self._literals: list[str] = []
        self._never_restored: set[str] = set()      # placeholders of known keys (provider, internal)
        self._memo: dict[str, tuple[str, dict[str, str]]] = {}
        for value in literals:
            self.add_literal(value)

    def add_literal(self, value: str, kind: str = "provider_key") -> None:
        """A known secret value (a provider key) to replace wherever it appears."""
        if value and len(value) >= 6 and value not in self._literals:
            self._literals.append(value)
            self._literals.sort(key=len, reverse=True)
            self._never_restored.add(self._placeholder(value, kind))
            self._memo.clear()

    @property
    def mapping(self) -> dict[str, str]:
        """Every placeholder handed out so far -> its original. Keep it local."""
        return dict(self._original_of)

    @property
    def restorable(self) -> dict[str, str]:
        """The placeholders a model's reply may have put back: secrets found in the data,
        never a known key (a provider or internal key has no business in a tool argument
        or an answer, whoever asks for it)."""
        return {p: v for p, v in self._original_of.items() if p not in self._never_restored}

    def redact(self, text: str) -> tuple[str, dict[str, str]]:
        """`text` with secrets replaced, and placeholder -> original for the ones in it."""
        if not text:
            return text, {}
        hit = self._memo.get(text)
        if hit is not None:
            return hit[0], dict(hit[1])
        found: dict[str, str] = {}
        out = text
        for value in self._literals:
            if value in out:
                placeholder = self._placeholder_of[value]
                out = out.replace(value, placeholder)
                found[placeholder] = value
        lowered = text.lower()
        for kind, pattern, needles in self._rules:
            if not needles or any(n in lowered for n in needles):
                out = pattern.sub(lambda m, k=kind: self._replace(m, k, found), out)
        spans = high_entropy_spans(out)          # random tokens next to secret words no shape names
        for start, end in reversed(spans):
            secret = out[start:end]
            placeholder = self._placeholder(secret, "high_entropy_secret")
            found[placeholder] = secret
            out = out[:start] + placeholder + out[end:]
        if len(self._memo) >= _MEMO_LIMIT:
            self._memo.clear()
        self._memo[text] = (out, dict(found))
        return out, found

    @staticmethod
    def restore(text: str, mapping: dict[str, str]) -> str:
        """Put the originals back for every placeholder in `mapping`; others stay."""
        if not text or not mapping:
            return text
        return PLACEHOLDER.sub(lambda m: mapping.get(m.group(0), m.group(0)), text)

    def redact_value(self, value: Any) -> Any:
        """A deep copy of a JSON-like value with every string redacted (structural keys kept)."""
        if isinstance(value, str):
            return self.redact(value)[0]
        if isinstance(value, list):
            return [self.redact_value(v) for v in value]
        if isinstance(value, tuple):
            return [self.redact_value(v) for v in value]
        if isinstance(value, dict):
            return {k: (v if k in _STRUCTURAL_KEYS and isinstance(v, str) else self.redact_value(v)) for k, v in value.items()}
        return value

    def restore_value(self, value: Any) -> Any:
        """The inverse of `redact_value` for placeholders this redactor handed out."""
        if isinstance(value, str):
            return self.restore(value, self.restorable)
        if isinstance(value, list):
            return [self.restore_value(v) for v in value]
        if isinstance(value, dict):
            return {k: self.restore_value(v) for k, v in value.items()}
        return value

    def _replace(self, match: re.Match[str], kind: str, found: dict[str, str]) -> str:
        group: int | str = next((g for g in match.re.groupindex if g.startswith("secret") and match.group(g) is not None), 0)
        secret = match.group(group)
        if not secret or PLACEHOLDER.fullmatch(secret):
            return match.group(0)
        placeholder = self._placeholder(secret, kind)
        found[placeholder] = secret
        whole = match.group(0)
        if group == 0:
            return placeholder
        start, end = match.start(group) - match.start(0), match.end(group) - match.start(0)
        return whole[:start] + placeholder + whole[end:]

    def _placeholder(self, secret: str, kind: str) -> str:
        existing = self._placeholder_of.get(secret)
        if existing is not None:
            return existing
        label = kind.upper()
        self._counts[label] = self._counts.get(label, 0) + 1
        placeholder = f"[REDACTED_{label}_{self._counts[label]}]"
        self._placeholder_of[secret] = placeholder
        self._original_of[placeholder] = secret
        return placeholder
