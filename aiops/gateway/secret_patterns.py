"""Moved to aiops.redaction.patterns (shared by every surface that persists or publishes text)."""

from aiops.redaction.patterns import PII_RULES, SECRET_RULES, Rule, compile_rules

__all__ = ["PII_RULES", "Rule", "SECRET_RULES", "compile_rules"]
